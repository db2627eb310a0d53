/**
 * Progress of a long import: a bar on a terminal (cli-progress), plain lines otherwise (a log
 * file or CI keeps one line per imported chunk, and one every 10 s while a large chunk imports).
 * Both go to stderr, so stdout carries only the summary.
 */
import { type Options, SingleBar } from 'cli-progress';
import type { SyncCounters } from '../pipeline/account-sync.ts';

export interface ProgressTotals {
  messages: number;
  chunks: number;
}

export interface ProgressView {
  update(counters: SyncCounters): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 10_000;
const number = (n: number) => n.toLocaleString('en-US');

/** The view for `stream`: a bar when it is a terminal. */
export function progressView(totals: ProgressTotals, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  return stream.isTTY ? new BarView(totals, stream) : new LineView(totals, stream);
}

class BarView implements ProgressView {
  readonly #bar: SingleBar;

  constructor(totals: ProgressTotals, stream: NodeJS.WriteStream) {
    const options: Options = {
      stream,
      format:
        'history |{bar}| {percentage}% · {value}/{total} messages · chunk {chunks}/{chunkTotal} · {writes} writes · {commits} commits · {eta_formatted} left',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    };
    this.#bar = new SingleBar(options);
    this.#bar.start(Math.max(totals.messages, 1), 0, { chunks: 0, chunkTotal: totals.chunks, writes: 0, commits: 0 });
  }

  update(c: SyncCounters): void {
    this.#bar.update(c.historyMessages, { chunks: c.historyChunks, writes: c.writes, commits: c.commits });
  }

  stop(): void {
    this.#bar.stop();
  }
}

class LineView implements ProgressView {
  #chunks = 0;
  #messages = 0;
  #printedAt = Date.now();
  readonly #startedAt = Date.now();

  constructor(
    private readonly totals: ProgressTotals,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  update(c: SyncCounters): void {
    const chunkDone = c.historyChunks > this.#chunks;
    const due = Date.now() - this.#printedAt >= PLAIN_EVERY_MS && c.historyMessages > this.#messages;
    if (!chunkDone && !due) return;
    this.#chunks = c.historyChunks;
    this.#messages = c.historyMessages;
    this.#printedAt = Date.now();
    const percent = this.totals.messages > 0 ? Math.floor((c.historyMessages / this.totals.messages) * 100) : 100;
    const seconds = ((Date.now() - this.#startedAt) / 1000).toFixed(1);
    this.stream.write(
      `history: ${number(c.historyMessages)}/${number(this.totals.messages)} messages (${percent} %), ` +
        `chunk ${c.historyChunks}/${this.totals.chunks}, ${number(c.writes)} writes, ${number(c.commits)} commits, ${seconds} s\n`,
    );
  }

  stop(): void {}
}

/** Calls `view.update` with `read()` every 200 ms until the returned function is called (once more then). */
export function watchProgress(read: () => SyncCounters, view: ProgressView): () => void {
  const timer = setInterval(() => view.update(read()), 200);
  return () => {
    clearInterval(timer);
    view.update(read());
    view.stop();
  };
}
