/**
 * Runs the embedded Firestore emulator (`@firestore-emulator/server`, a Node gRPC
 * re-implementation) in its own process, bound to loopback.
 *
 * Why a separate process: the emulator keeps everything in memory (~2 GB RSS per 40k documents)
 * and its CPU use would distort anything measured in the caller. Why not the official emulator:
 * it needs Java 21 and a jar download, neither available here (DESIGN §6).
 *
 * It runs the package's TypeScript sources (`src/`, through tsx), not its bundled `dist/`: the
 * sources carry this project's fixes (patches/@firestore-emulator+server+*.patch, applied by
 * patch-package on `npm ci`; README "Tests: which Firestore?").
 *
 * Besides gRPC it serves a small HTTP admin endpoint that mirrors the official emulator's route
 * `DELETE /emulator/v1/projects/{p}/databases/(default)/documents`, so test helpers clear data the
 * same way for both backends, and `GET /memory` (heap after a full GC) for the memory benchmark.
 *
 * Usage: tsx scripts/firestore-embedded.ts [--port N] [--admin-port N] [--transaction-timeout-ms N]
 * [--unpatched] (0 = pick a free port; --unpatched runs the published bundle instead, only so that
 * benchmarks can compare against it). Prints one JSON line
 * `{"ready":true,"host":"127.0.0.1:N","admin":"http://127.0.0.1:M"}` on stdout.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'admin-port': { type: 'string', default: '0' },
    'transaction-timeout-ms': { type: 'string', default: '30000' },
    unpatched: { type: 'boolean', default: false },
  },
});

interface EmbeddedServer {
  state: { clear(): void };
  stop(): void;
}
const require = createRequire(import.meta.url);
// Without the patch the emulator would run and silently get transactions, queries and merges
// wrong: refuse to start instead.
if (
  !existsSync(
    join(dirname(require.resolve('@firestore-emulator/server/package.json')), 'src/FirestoreState/transactions.ts'),
  )
) {
  process.stderr.write(
    'firestore-embedded: @firestore-emulator/server is not patched; run `npx patch-package` (npm ci does it)\n',
  );
  process.exit(2);
}
// The patched sources; the package is CommonJS TypeScript, which tsx compiles on require.
const { FirestoreServer } = require(
  values.unpatched ? '@firestore-emulator/server' : '@firestore-emulator/server/src/index.ts',
) as {
  FirestoreServer: new (options: { transactionTimeoutMs: number }) => EmbeddedServer;
};
// The emulator ships its own @grpc/grpc-js; credentials must come from that same copy.
const requireFromEmulator = createRequire(require.resolve('@firestore-emulator/server'));
const { ServerCredentials } = requireFromEmulator('@grpc/grpc-js') as typeof import('@grpc/grpc-js');

const emulator = new FirestoreServer({ transactionTimeoutMs: Number(values['transaction-timeout-ms']) });
// The library binds 0.0.0.0; bind its gRPC server to loopback ourselves instead.
const grpc = (emulator as unknown as { server: import('@grpc/grpc-js').Server }).server;
const grpcPort = await new Promise<number>((resolve, reject) =>
  grpc.bindAsync(`127.0.0.1:${values.port}`, ServerCredentials.createInsecure(), (err, port) =>
    err ? reject(err) : resolve(port),
  ),
);

const admin = createServer((req, res) => {
  if (
    req.method === 'DELETE' &&
    /^\/emulator\/v1\/projects\/[^/]+\/databases\/[^/]+\/documents\/?$/.test(req.url ?? '')
  ) {
    emulator.state.clear();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return;
  }
  if (req.method === 'GET' && req.url === '/memory') {
    // Live heap after a full collection (needs --expose-gc), for the memory benchmark.
    (globalThis as { gc?: () => void }).gc?.();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(process.memoryUsage()));
    return;
  }
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"backend":"embedded"}');
    return;
  }
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => admin.listen(Number(values['admin-port']), '127.0.0.1', resolve));
const adminPort = (admin.address() as import('node:net').AddressInfo).port;

process.stdout.write(
  `${JSON.stringify({ ready: true, host: `127.0.0.1:${grpcPort}`, admin: `http://127.0.0.1:${adminPort}` })}\n`,
);

function shutdown() {
  admin.close();
  emulator.stop();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Exit with the parent: a test run that dies must not leave an emulator holding 2 GB.
process.stdin.on('end', shutdown);
process.stdin.resume();
