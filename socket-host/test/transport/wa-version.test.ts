/**
 * The host's WhatsApp Web version: fetched at start-up and on a schedule, Baileys' built-in one
 * while no fetch has worked (logged), asked again after a refusal — once for all accounts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WAVersion } from '@whiskeysockets/baileys';
import { createLogger } from '../../src/log.ts';
import {
  BUILT_IN_WA_VERSION,
  type FetchLatestVersion,
  fetchWaWebVersion,
  isNewer,
  type LatestVersion,
  WaVersionSource,
} from '../../src/transport/wa-version.ts';

const NEWER: WAVersion = [2, 3000, BUILT_IN_WA_VERSION[2] + 1];
const NEWEST: WAVersion = [2, 3000, BUILT_IN_WA_VERSION[2] + 2];

function capturedLog() {
  const lines: { level: string; message: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: createLogger('info', stream), lines };
}

/** A fetch that answers from a list (the last answer repeats) and counts its calls. */
function scripted(...answers: (LatestVersion | Error | 'hang')[]) {
  const calls = { n: 0 };
  const fetch: FetchLatestVersion = async () => {
    const answer = answers[Math.min(calls.n++, answers.length - 1)]!;
    if (answer === 'hang') return new Promise<never>(() => {});
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch, calls };
}

const latest = (version: WAVersion): LatestVersion => ({ version, isLatest: true });
const DAY = 24 * 3_600_000;

describe('WhatsApp Web version', () => {
  const sources: WaVersionSource[] = [];
  function source(fetch: FetchLatestVersion, log = createLogger('silent'), overrides = {}) {
    const s = new WaVersionSource({ fetch, refreshEveryMs: DAY, minFetchIntervalMs: 0, ...overrides }, log);
    sources.push(s);
    return s;
  }
  afterEach(() => {
    for (const s of sources.splice(0)) s.stop();
  });

  it('connects with the version fetched at start-up (the first connect waits for it)', async () => {
    const { fetch, calls } = scripted(latest(NEWER));
    const versions = source(fetch);
    void versions.start();
    assert.deepEqual(await versions.current(), NEWER);
    assert.deepEqual(await versions.current(), NEWER);
    assert.equal(calls.n, 1, 'one fetch, however many connects');
  });

  /** Runs Baileys' real `fetchLatestWaWebVersion` (our default fetch) against a stand-in for web.whatsapp.com. */
  async function withWebWhatsApp<T>(answer: () => Promise<Response>, run: () => Promise<T>): Promise<T> {
    const real = globalThis.fetch;
    globalThis.fetch = async () => answer();
    try {
      return await run();
    } finally {
      globalThis.fetch = real;
    }
  }

  it("reads the version from WhatsApp Web's service worker with Baileys' fetchLatestWaWebVersion", async () => {
    const sw = 'self.__swData=JSON.parse(/*BTDS*/"{\\"client_revision\\":1050000001,\\"x\\":1}");';
    const version = await withWebWhatsApp(
      async () => new Response(sw),
      () => source(fetchWaWebVersion).current(),
    );
    assert.deepEqual(version, [2, 3000, 1050000001]);
  });

  it('falls back to the built-in version when the fetch fails, and logs it', async () => {
    for (const [what, answer] of [
      ['offline', () => Promise.reject(new TypeError('fetch failed'))],
      ['refused', async () => new Response('', { status: 400, statusText: 'Bad Request' })],
      ['no revision in the answer', async () => new Response('<html></html>')],
    ] as const) {
      const { log, lines } = capturedLog();
      const version = await withWebWhatsApp(answer, () => source(fetchWaWebVersion, log).current());
      assert.deepEqual(version, BUILT_IN_WA_VERSION, what);
      const warning = lines.find((l) => l.level === 'warn');
      assert.ok(warning, `${what}: the failure is logged`);
      assert.match(warning.message, /fetching the current WhatsApp Web version failed/);
      assert.equal(warning.source, 'built-in');
      assert.ok(warning.err, `${what}: with the error`);
    }
    const { log, lines } = capturedLog();
    assert.deepEqual(await source(scripted(new Error('fetch threw')).fetch, log).current(), BUILT_IN_WA_VERSION);
    assert.equal(lines.filter((l) => l.level === 'warn').length, 1, 'a fetch that throws: logged too');
  });

  it('a fetch that hangs is given up after its timeout; the built-in version is used', async () => {
    const versions = source(scripted('hang').fetch, createLogger('silent'), { fetchTimeoutMs: 50 });
    const started = Date.now();
    assert.deepEqual(await versions.current(), BUILT_IN_WA_VERSION);
    assert.ok(Date.now() - started < 2_000);
  });

  it('refreshes on its schedule (daily in the host) and keeps the last version it learnt when a fetch fails', async () => {
    // The middle answer is what Baileys' fetch gives offline: its built-in version, not the latest.
    const offline = { version: BUILT_IN_WA_VERSION, isLatest: false, error: new Error('fetch failed') };
    const { fetch, calls } = scripted(latest(NEWER), offline, latest(NEWEST));
    const versions = source(fetch, createLogger('silent'), { refreshEveryMs: 40 });
    assert.deepEqual(await versions.current(), NEWER);
    const deadline = Date.now() + 3_000;
    while (calls.n < 2 && Date.now() < deadline) await sleep(5);
    await sleep(5);
    assert.deepEqual(versions.version, NEWER, 'a failed refresh keeps the fetched version, not the built-in one');
    while (calls.n < 3 && Date.now() < deadline) await sleep(5);
    await sleep(5);
    assert.deepEqual(versions.version, NEWEST, 'the next refresh brings the new version without any connect');
  });

  it('after a refusal: one fetch for every account refused together; true only when it brought a newer version', async () => {
    const { fetch, calls } = scripted(latest(BUILT_IN_WA_VERSION), latest(NEWER));
    const versions = source(fetch);
    const used = await versions.current();
    const answers = await Promise.all(Array.from({ length: 30 }, () => versions.refreshAfterRefusal(used)));
    assert.deepEqual(new Set(answers), new Set([true]));
    assert.equal(calls.n, 2, 'start-up + one refresh for 30 refusals');
    // An account still connecting with the old version learns the new one without another fetch.
    assert.equal(await versions.refreshAfterRefusal(used), true);
    assert.equal(calls.n, 2);
    // Refused with the newest known version, and WhatsApp Web has nothing newer: a real failure.
    assert.equal(await versions.refreshAfterRefusal(NEWER), false);
    assert.equal(calls.n, 3);
  });

  it('refusals ask WhatsApp Web at most once per interval', async () => {
    const { fetch, calls } = scripted(latest(BUILT_IN_WA_VERSION));
    const versions = source(fetch, createLogger('silent'), { minFetchIntervalMs: 60_000 });
    const used = await versions.current();
    for (let i = 0; i < 5; i++) assert.equal(await versions.refreshAfterRefusal(used), false);
    assert.equal(calls.n, 2, 'the first refusal asks (the start-up fetch does not count), the others back off');
  });

  it('orders versions part by part', () => {
    assert.equal(isNewer([2, 3000, 2], [2, 3000, 1]), true);
    assert.equal(isNewer([2, 3001, 0], [2, 3000, 9]), true);
    assert.equal(isNewer([2, 3000, 1], [2, 3000, 1]), false);
    assert.equal(isNewer([2, 2999, 9], [2, 3000, 0]), false);
  });
});
