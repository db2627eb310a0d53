/** What every script here does with a child process it started. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Rejects when `child` exits; race it against a readiness wait so a crash fails fast. */
export async function failOnExit(child: ChildProcess, what: string): Promise<never> {
  const [code, signal] = await once(child, 'exit');
  throw new Error(`${what} exited (code ${code}, signal ${signal}) while starting`);
}

/** Sends `signal` unless the child already ended, and waits for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/**
 * Waits for the `{"ready":true,...}` JSON line an emulator runner prints on stdout (other lines
 * are ignored) and returns it; fails if the child exits first.
 */
export async function readReadyLine<T extends { ready: true }>(child: ChildProcess, what: string): Promise<T> {
  const lines = createInterface({ input: child.stdout! });
  const ready = (async () => {
    for await (const line of lines) {
      if (!line.startsWith('{')) continue;
      const msg = JSON.parse(line) as T;
      if (msg.ready) return msg;
    }
    throw new Error(`${what} closed its output before it was ready`);
  })();
  return Promise.race([ready, failOnExit(child, what)]);
}
