/**
 * `npm run cli -- <command>` (and `node dist/cli.js <command>` in the container): history tools.
 * See `args.ts` for the commands, `npm run cli -- --help` for their usage.
 */
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
// Exit now: a Firestore channel or timer left behind must not keep a finished tool running.
process.exit(code);
