/** `npm run cli`: the command line to a command, its summary to stdout, failures to an exit code. */
import { AppError } from '@wasync/shared';
import { openFirestore } from '../firebase.ts';
import { createLogger } from '../log.ts';
import { parseCommandLine, USAGE, UsageError } from './args.ts';
import { importHistory, replayHistory } from './history-commands.ts';
import { formatSummary } from './summary.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let closeDb: (() => Promise<void>) | undefined;
  try {
    const command = parseCommandLine(argv);
    if (command.kind === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const deps = {
      openDb: () => {
        const handle = openFirestore('cli', io.env.GOOGLE_CLOUD_PROJECT || io.env.GCLOUD_PROJECT || undefined);
        closeDb = handle.close;
        return handle.db;
      },
      // Warnings (retried commits) as JSON lines on stderr; progress and the summary stay readable.
      log: createLogger(io.env.LOG_LEVEL || 'warn', io.stderr),
      say,
      stream: io.stderr,
    };
    const summary =
      command.kind === 'import-history'
        ? await importHistory(command.files, command, deps)
        : await replayHistory(command, deps);
    io.stdout.write(`${command.json ? JSON.stringify(summary) : formatSummary(summary)}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) {
      say(`error ${err.code}: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    const code = err instanceof AppError ? err.code : 'internal';
    say(`error ${code}: ${err instanceof Error ? err.message : String(err)}`);
    if (!(err instanceof AppError)) console.error(err);
    return EXIT.failed;
  } finally {
    await closeDb?.();
  }
}
