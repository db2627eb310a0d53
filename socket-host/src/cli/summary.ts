/** The closing summary of `import-history` / `replay-history`: lines for people, or one JSON line. */
import type { IngestSummary } from '../pipeline/ingest.ts';

export interface CliSummary {
  command: string;
  accountId: string;
  chunks: number;
  /** History messages imported (a replay counts them again; `messagesWritten` says what changed). */
  messages: number;
  messagesWritten: number;
  threads: number;
  skipped: Record<string, number>;
  reads: number;
  writes: number;
  commits: number;
  retries: number;
  seconds: number;
}

export function cliSummary(command: string, accountId: string, s: IngestSummary): CliSummary {
  return {
    command,
    accountId,
    chunks: s.historyChunks,
    messages: s.historyMessages,
    messagesWritten: s.messagesWritten,
    threads: s.threadsTouched,
    skipped: s.skipped,
    reads: s.reads,
    writes: s.writes,
    commits: s.commits,
    retries: s.retries,
    seconds: Math.round(s.seconds * 100) / 100,
  };
}

const number = (n: number) => n.toLocaleString('en-US');

export function formatSummary(s: CliSummary): string {
  const skipped = Object.entries(s.skipped)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${number(n)}`);
  const rate = s.seconds > 0 ? ` (${number(Math.round(s.messages / s.seconds))}/s)` : '';
  return [
    `${s.command} ${s.accountId}: done in ${s.seconds.toFixed(1)} s`,
    `  chunks     ${number(s.chunks)}`,
    `  messages   ${number(s.messages)} imported${rate}, ${number(s.messagesWritten)} written`,
    `  threads    ${number(s.threads)} written`,
    `  skipped    ${skipped.length > 0 ? skipped.join(', ') : 'none'}`,
    `  Firestore  ${number(s.reads)} reads, ${number(s.writes)} writes, ${number(s.commits)} commits${s.retries > 0 ? `, ${number(s.retries)} retries` : ''}`,
  ].join('\n');
}
