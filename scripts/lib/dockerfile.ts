/**
 * The socket host's Dockerfile, read: its stages and the runtime stage's command. The container
 * test replays the runtime stage from it; the sync benchmark runs its memory figures with the
 * `NODE_OPTIONS` the host runs with.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './firebase-emulators.ts';

export interface DockerStage {
  from: string;
  /** Its instructions after FROM, one per line, comments and blank lines left out. */
  lines: string[];
}

export function dockerStages(dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')): DockerStage[] {
  const out: DockerStage[] = [];
  for (const raw of dockerfile.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('FROM ')) out.push({ from: line.slice(5).trim(), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

/** A stage's `CMD` (exec form) as its argument list. */
export function dockerCommand(stage: DockerStage): string[] {
  const cmd = stage.lines.filter((l) => l.startsWith('CMD ')).at(-1);
  if (!cmd) throw new Error(`no CMD in the stage FROM ${stage.from}`);
  return JSON.parse(cmd.slice(4)) as string[];
}

/** A stage's `ENV` settings (`ENV KEY=value`, one per line, unquoted). */
export function dockerEnv(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of stage.lines) {
    const setting = /^ENV (\w+)=(\S+)$/.exec(line);
    if (setting) env[setting[1]!] = setting[2]!;
  }
  return env;
}

/** The `NODE_OPTIONS` the host's container starts it with (the runtime stage's). */
export function hostNodeOptions(): string {
  return dockerEnv(dockerStages().at(-1)!).NODE_OPTIONS ?? '';
}
