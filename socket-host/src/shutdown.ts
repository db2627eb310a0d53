/**
 * The one owner of process shutdown. Components register a close step; on SIGTERM (Cloud Run
 * gives 10 s before SIGKILL) or SIGINT the steps run in reverse registration order, each bounded,
 * all within `deadlineMs`. A crash (uncaught exception / unhandled rejection) is logged and then
 * takes the same path, so pending writes are flushed and leases released either way.
 */
import type { Logger } from './log.ts';
import { withTimeout } from './util/timeout.ts';

export type CloseStep = { name: string; close: () => Promise<void> };

export class Shutdown {
  private readonly steps: CloseStep[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly deadlineMs = 8_000,
  ) {}

  register(name: string, close: () => Promise<void>): void {
    this.steps.push({ name, close });
  }

  /** Runs every close step once; later calls wait for the first. */
  run(reason: string): Promise<void> {
    this.running ??= this.closeAll(reason);
    return this.running;
  }

  /** Wires process signals and crash handlers to `run`, then exits. */
  installProcessHandlers(): void {
    const exitAfter = (reason: string, code: number) => {
      void this.run(reason).finally(() => process.exit(code));
    };
    process.once('SIGTERM', () => exitAfter('SIGTERM', 0));
    process.once('SIGINT', () => exitAfter('SIGINT', 0));
    process.on('uncaughtException', (err) => {
      this.log.fatal({ err }, 'uncaught exception; shutting down');
      exitAfter('uncaughtException', 1);
    });
    process.on('unhandledRejection', (err) => {
      this.log.fatal({ err }, 'unhandled rejection; shutting down');
      exitAfter('unhandledRejection', 1);
    });
  }

  private async closeAll(reason: string): Promise<void> {
    const started = Date.now();
    this.log.info({ reason, steps: this.steps.length }, 'shutting down');
    for (const step of [...this.steps].reverse()) {
      const remaining = this.deadlineMs - (Date.now() - started);
      if (remaining <= 0) {
        this.log.error({ step: step.name }, 'shutdown deadline reached; skipping remaining steps');
        break;
      }
      try {
        await withTimeout(step.close(), remaining, step.name);
      } catch (err) {
        this.log.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    this.log.info({ reason, ms: Date.now() - started }, 'shutdown complete');
  }
}
