/**
 * The WhatsApp Web version every socket of this host announces (`makeWASocket({ version })`).
 *
 * WhatsApp refuses a client whose version it considers outdated with `<failure reason="405">`,
 * which Baileys turns into `Connection Failure` (405); the version built into a Baileys release
 * goes stale within weeks. So the host asks WhatsApp Web for its current revision at start-up and
 * once a day (Baileys' `fetchLatestWaWebVersion`, one fetch per host for all its accounts), keeps
 * the last one it learnt, and starts from Baileys' built-in version when no fetch has worked.
 * A 405 asks again at once (`refreshAfterRefusal`): the account reconnects right away when that
 * brought a newer version, and counts a failure otherwise.
 */
import { DEFAULT_CONNECTION_CONFIG, fetchLatestWaWebVersion, type WAVersion } from '@whiskeysockets/baileys';
import type { Logger } from '../log.ts';
import { withTimeout } from '../util/timeout.ts';

/** `<failure reason="405">`: WhatsApp refuses the client's version as outdated (no Baileys name). */
export const OUTDATED_CLIENT = 405;

/** What `fetchLatestWaWebVersion` answers: `isLatest` false (with `error`) when the fetch failed. */
export interface LatestVersion {
  version: WAVersion;
  isLatest: boolean;
  error?: unknown;
}

/** Asks WhatsApp Web for its current version; the transport decides where (tests: the simulator). */
export type FetchLatestVersion = () => Promise<LatestVersion>;

/** The version this Baileys release was built with: the fallback while no fetch has worked. */
export const BUILT_IN_WA_VERSION: WAVersion = [...DEFAULT_CONNECTION_CONFIG.version];

export const FETCH_TIMEOUT_MS = 10_000;

/** The real fetch: WhatsApp Web's service worker (`client_revision`), bounded in time. */
export const fetchWaWebVersion: FetchLatestVersion = () =>
  fetchLatestWaWebVersion({ signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });

/** What an account session needs: the version to connect with, and a second opinion after a 405. */
export interface WaVersionProvider {
  /** The version to connect with; waits for the start-up fetch to settle. */
  current(): Promise<WAVersion>;
  /** After WhatsApp refused `used` (405): true when a newer version than `used` is known now. */
  refreshAfterRefusal(used: WAVersion): Promise<boolean>;
}

export interface WaVersionOptions {
  fetch: FetchLatestVersion;
  /** The scheduled refresh (a day). */
  refreshEveryMs: number;
  /**
   * Refusals ask WhatsApp Web at most this often: when every account of the host gets a 405 and
   * the fetch brings nothing new, they back off instead of asking once each. (Scheduled fetches do
   * not count: WhatsApp may ship a version a minute after one.)
   */
  minFetchIntervalMs: number;
  /** Longest wait for one fetch (an injected fetch is bounded here too). */
  fetchTimeoutMs?: number;
}

export class WaVersionSource implements WaVersionProvider {
  #version: WAVersion = BUILT_IN_WA_VERSION;
  #fetched = false;
  #inFlight: Promise<void> | undefined;
  #lastRefusalFetchAt = Number.NEGATIVE_INFINITY;
  #started: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: WaVersionOptions,
    private readonly log: Logger,
  ) {}

  /** Fetches once now and then every `refreshEveryMs`; resolves when the first fetch settled. */
  start(): Promise<void> {
    if (!this.#started) {
      this.#started = this.#refresh('start-up');
      this.#timer = setInterval(() => void this.#refresh('daily'), this.options.refreshEveryMs);
      this.#timer.unref();
    }
    return this.#started;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** The version known now, without waiting (logs, tests). */
  get version(): WAVersion {
    return this.#version;
  }

  async current(): Promise<WAVersion> {
    await this.start();
    return this.#version;
  }

  async refreshAfterRefusal(used: WAVersion): Promise<boolean> {
    await this.start();
    if (isNewer(this.#version, used)) return true;
    if (Date.now() - this.#lastRefusalFetchAt >= this.options.minFetchIntervalMs) {
      this.#lastRefusalFetchAt = Date.now();
      await this.#refresh('refused (405)');
    } else {
      await this.#inFlight;
    }
    return isNewer(this.#version, used);
  }

  /** One fetch at a time: concurrent callers share it. */
  #refresh(why: string): Promise<void> {
    this.#inFlight ??= this.#fetch(why).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(why: string): Promise<void> {
    let answer: LatestVersion;
    try {
      answer = await withTimeout(
        this.options.fetch(),
        this.options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS,
        'fetching the WhatsApp Web version',
      );
    } catch (error) {
      answer = { version: this.#version, isLatest: false, error };
    }
    if (!answer.isLatest) {
      this.log.warn(
        { err: answer.error, why, keeping: this.#version.join('.'), source: this.#fetched ? 'fetched' : 'built-in' },
        'fetching the current WhatsApp Web version failed; keeping the one known',
      );
      return;
    }
    const before = this.#version;
    this.#version = [...answer.version];
    this.#fetched = true;
    if (before.join('.') !== this.#version.join('.'))
      this.log.info({ why, version: this.#version.join('.'), was: before.join('.') }, 'WhatsApp Web version updated');
  }
}

/** Whether `a` is a later version than `b` (compared part by part). */
export function isNewer(a: WAVersion, b: WAVersion): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return false;
}
