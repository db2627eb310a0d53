/**
 * The host's only ingress: `GET /healthz` (liveness: the process serves requests) and
 * `GET /readyz` (readiness: Firestore was reached by the last heartbeat).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HeartbeatStatus } from './heartbeat.ts';

export interface HealthInfo {
  hostId: string;
  heartbeat: HeartbeatStatus;
  /** How long a heartbeat stays fresh for readiness. */
  staleAfterMs: number;
}

export function healthBody(info: HealthInfo, now = Date.now()) {
  const { lastBeatAt, lastError } = info.heartbeat;
  const firestoreOk = lastBeatAt !== undefined && now - lastBeatAt <= info.staleAfterMs;
  return {
    ready: firestoreOk,
    body: {
      status: firestoreOk ? 'ok' : 'degraded',
      hostId: info.hostId,
      firestore: firestoreOk ? 'ok' : (lastError ?? 'no heartbeat yet'),
      lastHeartbeatAt: lastBeatAt === undefined ? null : new Date(lastBeatAt).toISOString(),
      uptimeS: Math.round(process.uptime()),
    },
  };
}

export async function startHealthServer(port: number, info: HealthInfo): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const { ready, body } = healthBody(info);
    const send = (status: number, payload: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    if (req.method !== 'GET') return send(405, { error: { code: 'method_not_allowed', message: 'use GET' } });
    if (req.url === '/healthz') return send(200, body);
    if (req.url === '/readyz') return send(ready ? 200 : 503, body);
    return send(404, { error: { code: 'not_found', message: 'try /healthz or /readyz' } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${bound}` };
}
