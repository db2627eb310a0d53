/**
 * `import-history` and `replay-history`: HistorySync files, or the account's stored raw history,
 * through `HistoryIngest` (the live pipeline's own path) with progress and a summary.
 */
import type { Firestore } from 'firebase-admin/firestore';
import type { Logger } from '../log.ts';
import { accountIdentity, HistoryIngest } from '../pipeline/ingest.ts';
import { WriteBudget } from '../pipeline/writer/write-budget.ts';
import { checkHistoryFiles, readHistoryFile } from './history-files.ts';
import { type ProgressTotals, progressView, watchProgress } from './progress.ts';
import { type CliSummary, cliSummary } from './summary.ts';

export interface HistoryCommandDeps {
  /** Opened only once the input is known to be good. */
  openDb: () => Firestore;
  log: Logger;
  /** Human-readable lines (stderr). */
  say: (line: string) => void;
  stream?: NodeJS.WriteStream;
}

interface RunOptions {
  accountId: string;
  writesPerSecond: number;
}

/** Like the host: start at `writesPerSecond`, +50 % every 5 minutes, up to 10,000/s. */
function budgetOf(writesPerSecond: number): WriteBudget {
  return new WriteBudget({ startPerSecond: writesPerSecond, maxPerSecond: Math.max(writesPerSecond, 10_000) });
}

async function openIngest(db: Firestore, deps: HistoryCommandDeps, o: RunOptions, source?: 'import') {
  const me = await accountIdentity(db, o.accountId);
  return HistoryIngest.open({
    db,
    accountId: o.accountId,
    me,
    log: deps.log,
    budget: budgetOf(o.writesPerSecond),
    ...(source ? { source } : {}),
  });
}

async function withProgress(
  ingest: HistoryIngest,
  totals: ProgressTotals,
  deps: HistoryCommandDeps,
  feed: () => Promise<void>,
) {
  const stop = watchProgress(() => ingest.counters, progressView(totals, deps.stream));
  try {
    await feed();
    return await ingest.finish();
  } finally {
    stop();
  }
}

export async function importHistory(
  files: readonly string[],
  o: RunOptions,
  deps: HistoryCommandDeps,
): Promise<CliSummary> {
  // Every file decoded before anything is read or written.
  const infos = await checkHistoryFiles(files);
  const totals = { messages: infos.reduce((n, f) => n + f.messages, 0), chunks: infos.length };
  for (const f of infos) {
    deps.say(
      `${f.path}: ${f.syncType}, ${f.conversations} conversations, ${f.messages} messages${f.deflated ? ' (deflated)' : ''}`,
    );
  }
  const db = deps.openDb();
  const ingest = await openIngest(db, deps, o, 'import');
  const summary = await withProgress(ingest, totals, deps, async () => {
    // Decoded again one at a time: each is stored raw (durable) before its import is queued.
    for (const path of files) await ingest.historySyncs([(await readHistoryFile(path)).sync]);
  });
  return cliSummary('import-history', o.accountId, summary);
}

export async function replayHistory(
  o: RunOptions & { pendingOnly: boolean },
  deps: HistoryCommandDeps,
): Promise<CliSummary> {
  const db = deps.openDb();
  const ingest = await openIngest(db, deps, o);
  // Opening queued the unfinished chunks; `all` adds the finished ones.
  const stored = await ingest.sync.raw.all();
  const replayed = o.pendingOnly ? stored.filter((c) => c.state === 'pending') : stored;
  const totals = { messages: replayed.reduce((n, c) => n + c.messages, 0), chunks: replayed.length };
  deps.say(
    `${o.accountId}: ${stored.length} stored chunks, replaying ${replayed.length} (${totals.messages} messages)`,
  );
  const summary = await withProgress(ingest, totals, deps, async () => {
    await ingest.replayStored(o.pendingOnly ? 'pending' : 'all');
  });
  return cliSummary('replay-history', o.accountId, summary);
}
