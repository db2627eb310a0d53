/**
 * Keeps `npm start` restartable after a crash. Its children outlive a SIGKILL of the parent (the
 * firebase-tools emulators lead their own process group, so that Ctrl-C can stop them as a
 * group) and keep holding the fixed ports of firebase.json. A second start would then find *those*
 * answering and report "ready" for a stack whose Firestore is gone. So every start records its
 * children, stops the ones a previous start left behind, and refuses to go on while a port it needs
 * is still taken, naming the port.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { REPO_ROOT } from './firebase-emulators.ts';

const PID_FILE = `${REPO_ROOT}.emulators/start-children.json`;

export interface RecordedChild {
  name: string;
  pid: number;
  /** The child leads a process group (firebase-tools): stop the whole group. */
  group: boolean;
  /** A piece of its command line, so a recycled pid of an unrelated process is never signalled. */
  commandIncludes: string;
}

export function recordChildren(children: RecordedChild[]): void {
  mkdirSync(`${REPO_ROOT}.emulators`, { recursive: true });
  writeFileSync(PID_FILE, JSON.stringify(children, null, 2));
}

export function forgetChildren(): void {
  rmSync(PID_FILE, { force: true });
}

/** Stops what an earlier `npm start` that did not shut down left running; says what it stopped. */
export async function stopLeftovers(say: (line: string) => void): Promise<void> {
  let children: RecordedChild[];
  try {
    children = JSON.parse(readFileSync(PID_FILE, 'utf8')) as RecordedChild[];
  } catch {
    return; // no earlier start, or it shut down cleanly
  }
  await stopRecorded(children, (child) => say(`stopping ${child.name} (pid ${child.pid}) left running by an earlier npm start`));
  forgetChildren();
}

/**
 * Stops each of `children` that still runs (SIGTERM, SIGKILL after 10 s), in order; never this
 * process or its parent, whose pids an earlier start's may have been.
 */
export async function stopRecorded(
  children: RecordedChild[],
  onStop: (child: RecordedChild) => void = () => {},
): Promise<void> {
  const self = [process.pid, process.ppid];
  for (const child of children) {
    if (self.includes(child.pid) || !isStillRunning(child)) continue;
    onStop(child);
    const target = child.group ? -child.pid : child.pid;
    signal(target, 'SIGTERM');
    if (!(await exited(child.pid, 10_000))) {
      signal(target, 'SIGKILL');
      await exited(child.pid, 5_000);
    }
  }
}

/**
 * Throws, naming the ports and what they are for, when two parts were given the same port (say
 * SOCKET_HOST_PORT=8080, Firestore's) or something already listens on one.
 */
export async function assertPortsFree(ports: Record<string, number>): Promise<void> {
  const byPort = new Map<number, string[]>();
  for (const [name, port] of Object.entries(ports)) byPort.set(port, [...(byPort.get(port) ?? []), name]);
  const shared = [...byPort].filter(([, names]) => names.length > 1);
  if (shared.length > 0) {
    throw new Error(
      shared.map(([port, names]) => `port ${port} is given to ${names.join(' and ')}`).join('; ') +
        ': change firebase.json or SOCKET_HOST_PORT.',
    );
  }
  const taken: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (await listening(port)) taken.push(`${port} (${name})`);
  }
  if (taken.length > 0) {
    throw new Error(
      `port ${taken.join(', port ')} already in use by another process. Stop it (e.g. \`lsof -i :PORT\`), ` +
        'or change the ports in firebase.json / SOCKET_HOST_PORT.',
    );
  }
}

function isStillRunning(child: RecordedChild): boolean {
  const { stdout, status } = spawnSync('ps', ['-o', 'command=', '-p', String(child.pid)], { encoding: 'utf8' });
  return status === 0 && stdout.includes(child.commandIncludes);
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // already gone
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Whether anything accepts connections on the loopback `port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
