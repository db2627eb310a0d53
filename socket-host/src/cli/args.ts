/** The command line of `npm run cli`: `node:util` `parseArgs`, one usage text, errors as `AppError`s. */
import { parseArgs } from 'node:util';
import { AppError } from '@wasync/shared';

export const USAGE = `Usage:
  npm run cli -- import-history --account <accountId> <file>...
  npm run cli -- replay-history --account <accountId> [--pending]

Commands:
  import-history   Import HistorySync protobuf files (zlib-deflated as WhatsApp ships them, or
                   inflated) into the account through the sync pipeline. Every file is decoded
                   before anything is written: one bad file and nothing is touched.
  replay-history   Re-run the account's stored raw history (rawHistory/{accountId}) through the
                   pipeline; a replay changes nothing that is right and repairs what is not.

Options:
  --account <id>             The account (accounts/{id}.me says who it is; it must be paired).
  --pending                  replay-history: only the chunks not imported yet (default: all).
  --writes-per-second <n>    Write budget to start with (default 500, ramping +50 % every
                             5 minutes up to 10,000, like the host; Firestore's 500/50/5 rule).
  --json                     Print the summary as one JSON line.
  -h, --help                 This text.

Firestore: FIRESTORE_EMULATOR_HOST when set, else the project of GOOGLE_CLOUD_PROJECT (or
GCLOUD_PROJECT) with Application Default Credentials. Stop the account's socket host first:
the tool writes outside any lease.

Exit codes: 0 done, 1 failed (the error's code is printed), 2 bad command line.`;

export type CliCommand =
  | { kind: 'help' }
  | {
      kind: 'import-history' | 'replay-history';
      accountId: string;
      files: string[];
      pendingOnly: boolean;
      writesPerSecond: number;
      json: boolean;
    };

/** A command-line mistake (exit code 2, the usage is shown). */
export class UsageError extends AppError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('invalid_argument', message);
  }
}

export const DEFAULT_WRITES_PER_SECOND = 500;

export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...files] = positionals;
  if (values.help || command === undefined || command === 'help') return { kind: 'help' };
  if (command !== 'import-history' && command !== 'replay-history') throw new UsageError(`unknown command ${command}`);
  const accountId = values.account?.trim();
  if (!accountId) throw new UsageError(`${command} needs --account <accountId>`);
  if (accountId.includes('/')) throw new UsageError(`--account: not an account id: ${accountId}`);
  if (command === 'import-history' && files.length === 0)
    throw new UsageError('import-history needs at least one file');
  if (command === 'replay-history' && files.length > 0) throw new UsageError('replay-history takes no files');
  if (command === 'import-history' && values.pending) throw new UsageError('--pending is for replay-history');
  const writesPerSecond = Number(values['writes-per-second'] ?? DEFAULT_WRITES_PER_SECOND);
  if (!Number.isInteger(writesPerSecond) || writesPerSecond < 1) {
    throw new UsageError(`--writes-per-second: expected a positive integer, got ${values['writes-per-second']}`);
  }
  return {
    kind: command,
    accountId,
    files,
    pendingOnly: values.pending ?? false,
    writesPerSecond,
    json: values.json ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      account: { type: 'string' },
      pending: { type: 'boolean' },
      'writes-per-second': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
