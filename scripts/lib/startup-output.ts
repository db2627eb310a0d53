/**
 * `npm start` prints what to open and who to sign in as before anything else. Its children talk
 * while they start (firebase-tools' banner, the socket host's first log lines), so their lines are
 * held back until the summary is out, then saved to a file; from then on they pass through live,
 * each prefixed with where it came from. A start that fails shows the held lines instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class StartupOutput {
  #held: string[] | undefined = [];

  constructor(
    /** Where the held lines are saved once the stack is up. */
    readonly file: string,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  /** A line from a child process (`source` names it). */
  line(source: string, text: string): void {
    const line = `[${source}] ${text}\n`;
    if (this.#held) this.#held.push(line);
    else this.write(line);
  }

  /** Saves what was held to `file`; later lines print at once. */
  release(): void {
    if (!this.#held) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, this.#held.join(''));
    this.#held = undefined;
  }

  /** The held lines, to show why a start failed (nothing once released: those were printed). */
  held(): string {
    return this.#held?.join('') ?? '';
  }
}
