/** Progress: a bar on a terminal (cli-progress), plain lines — one per chunk — anywhere else. */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { progressView } from '../../src/cli/progress.ts';
import type { SyncCounters } from '../../src/pipeline/account-sync.ts';
import { emptyWriterCounters } from '../../src/pipeline/writer/account-writer.ts';

function stream(tty: boolean) {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  out.isTTY = tty;
  out.columns = 160;
  let text = '';
  out.on('data', (d) => (text += d));
  return { out: out as unknown as NodeJS.WriteStream, text: () => text };
}

const counters = (chunks: number, messages: number): SyncCounters => ({
  ...emptyWriterCounters(),
  writes: messages + chunks,
  commits: chunks,
  historyChunks: chunks,
  historyMessages: messages,
  skipped: {},
});

describe('cli: progress', () => {
  it('prints a line per imported chunk when not on a terminal', () => {
    const { out, text } = stream(false);
    const view = progressView({ messages: 3_000, chunks: 2 }, out);
    view.update(counters(0, 0));
    view.update(counters(1, 1_500));
    view.update(counters(1, 1_500));
    view.update(counters(2, 3_000));
    view.stop();
    const lines = text().trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^history: 1,500\/3,000 messages \(50 %\), chunk 1\/2, 1,501 writes, 1 commits, [\d.]+ s$/);
    assert.match(lines[1]!, /^history: 3,000\/3,000 messages \(100 %\), chunk 2\/2/);
  });

  it('draws a bar on a terminal', () => {
    const { out, text } = stream(true);
    const view = progressView({ messages: 3_000, chunks: 2 }, out);
    view.update(counters(1, 1_500));
    view.stop();
    assert.match(text(), /history \|[█░]+\| 50% · 1500\/3000 messages · chunk 1\/2 · 1501 writes · 1 commits/);
  });
});
