/** The two things every script here does with a child process it started. */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

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
