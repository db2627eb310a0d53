/**
 * A socket host process that dies between claiming a send and handing it to WhatsApp
 * (`send-crash.test.ts`): its simulated socket's `sendMessage` logs one line and SIGKILLs the
 * process before the message reaches the simulated WhatsApp. Arguments: hostId, accountId.
 */
import { loadHostConfig, startHost } from '../../src/host.ts';
import { createLogger } from '../../src/log.ts';
import { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import { TEST_TTL_MS } from './host.ts';

const [hostId, accountId] = process.argv.slice(2);
const sim = new SimulatedWhatsApp({
  seed: accountId,
  autoPairAfterMs: 50,
  timings: { connectMs: 20, historyChunkMs: 1 },
});
const inner = sim.transport();
const config = loadHostConfig({
  ...process.env,
  PORT: '0',
  HOST_ID: hostId,
  LEASE_TTL_MS: String(TEST_TTL_MS),
  WHATSAPP_TRANSPORT: 'simulated',
  SEND_INTERVAL_MS: '0',
  SEND_JITTER_MS: '0',
});
await startHost(config, createLogger('silent'), {
  simulator: sim,
  transport: {
    kind: 'simulated',
    connect(options) {
      const socket = inner.connect(options);
      socket.sendMessage = async (_jid, _content, opts) => {
        process.stdout.write(`${JSON.stringify({ message: 'killed in sendMessage', messageId: opts?.messageId })}\n`);
        process.kill(process.pid, 'SIGKILL');
        return new Promise(() => {});
      };
      return socket;
    },
  },
});
process.stdout.write(`${JSON.stringify({ message: 'host ready' })}\n`);
