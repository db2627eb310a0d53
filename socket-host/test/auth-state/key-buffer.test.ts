/**
 * The key write-behind buffer on its own, over an in-memory "Firestore" whose commits can be slowed
 * down, blocked and failed: what it reads and what lands always match the writes in order, it
 * commits within its bounds, never drops a failed batch, and holds Baileys back when full.
 */
import assert from 'node:assert/strict';
import type { SignalDataSet, SignalDataTypeMap } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import type { KeyType } from '../../src/auth-state/codec.ts';
import { type KeyBufferOptions, KeyWriteBuffer } from '../../src/auth-state/key-buffer.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A committed key store: commits land whole, can fail (before landing) or wait on a gate. */
function backend() {
  const landed = new Map<string, unknown>();
  const b = {
    landed,
    commits: [] as SignalDataSet[],
    attempts: 0,
    failNext: 0,
    gate: undefined as Promise<void> | undefined,
    /** A commit's round trip. */
    delayMs: 0,
    async commit(data: SignalDataSet) {
      b.attempts++;
      await b.gate;
      if (b.delayMs > 0) await sleep(b.delayMs);
      if (b.failNext > 0) {
        b.failNext--;
        throw new Error('14 UNAVAILABLE (injected)');
      }
      for (const [type, values] of Object.entries(data)) {
        for (const [id, value] of Object.entries(values ?? {})) {
          if (value == null) landed.delete(`${type}/${id}`);
          else landed.set(`${type}/${id}`, value);
        }
      }
      b.commits.push(data);
    },
    async read<T extends KeyType>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const v = landed.get(`${type}/${id}`);
        if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
      }
      return out;
    },
  };
  return b;
}

function buffer(b: ReturnType<typeof backend>, options: Partial<KeyBufferOptions> = {}) {
  return new KeyWriteBuffer(
    { commit: (d) => b.commit(d), read: (t, ids) => b.read(t, ids), retry: async () => true },
    { flushMs: 20, flushKeys: 50, maxKeys: 500, ...options },
  );
}

const session = (id: string, v: number | null) => ({ session: { [id]: v === null ? null : Buffer.from([v]) } });

describe('key write-behind buffer', () => {
  it('reads its own writes and lands exactly the last write of each key, whatever the commits do (property)', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id: fc.integer({ min: 0, max: 7 }), v: fc.option(fc.nat(255)) }),
      fc.record({ kind: fc.constant('get' as const), id: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('fail' as const), n: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('slow' as const), ms: fc.integer({ min: 0, max: 15 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), async (ops, flushKeys) => {
        const b = backend();
        const buf = buffer(b, { flushMs: 5, flushKeys });
        const model = new Map<string, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            await buf.set(session(String(o.id), o.v));
            if (o.v === null) model.delete(String(o.id));
            else model.set(String(o.id), o.v);
          } else if (o.kind === 'get') {
            const got = await buf.get('session', [String(o.id)]);
            const want = model.get(String(o.id));
            assert.deepEqual(got, want === undefined ? {} : { [o.id]: Buffer.from([want]) });
          } else if (o.kind === 'fail') b.failNext += o.n;
          else if (o.kind === 'slow') b.delayMs = o.ms;
          else await sleep(o.ms);
        }
        await buf.flush();
        assert.deepEqual(new Map([...b.landed].map(([k, v]) => [k.slice('session/'.length), (v as Buffer)[0]])), model);
        assert.equal(buf.waiting, 0);
      }),
      { numRuns: 60 },
    );
  });

  it('coalesces: many writes of few keys are few commits, each holding the newest values', async () => {
    const b = backend();
    const buf = buffer(b, { flushMs: 50, flushKeys: 1000 });
    for (let i = 0; i < 300; i++) await buf.set(session(String(i % 3), i % 256));
    await buf.flush();
    assert.equal(b.commits.length, 1);
    assert.deepEqual(Object.keys(b.commits[0]!.session!).sort(), ['0', '1', '2']);
    assert.equal((b.landed.get('session/2') as Buffer)[0], 299 % 256);
  });

  it('commits within its time bound without being asked, and at once when it holds flushKeys keys', async () => {
    const b = backend();
    const timed = buffer(b, { flushMs: 30, flushKeys: 1000 });
    await timed.set(session('t', 1));
    assert.equal(b.commits.length, 0, 'written behind');
    await sleep(120);
    assert.equal(b.commits.length, 1, 'committed within the bound');

    const c = backend();
    const sized = buffer(c, { flushMs: 60_000, flushKeys: 4 });
    for (let i = 0; i < 4; i++) await sized.set(session(String(i), i));
    await sleep(10);
    assert.equal(c.commits.length, 1, 'committed at flushKeys, long before flushMs');
  });

  it('keeps its time bound while writes come back to back and its timer never gets a turn', async () => {
    const b = backend();
    const buf = buffer(b, { flushMs: 30, flushKeys: 1000 });
    // Decryption of a backlog: one microtask after another, no macrotask in between.
    const until = Date.now() + 100;
    for (let i = 0; Date.now() < until; i++) await buf.set(session(String(i % 3), i % 256));
    assert.ok(b.attempts >= 1, 'a commit started within the bound');
    await buf.flush();
  });

  it('never drops a failed batch: retried past 5 failures, it lands, in order before newer writes', async () => {
    const b = backend();
    const buf = buffer(b);
    b.failNext = 8;
    await buf.set(session('a', 1));
    const first = buf.flush();
    await buf.set(session('a', 2));
    await first;
    await buf.flush();
    assert.equal(b.attempts, 8 + 2);
    assert.equal((b.landed.get('session/a') as Buffer)[0], 2);
  });

  it('reads a write while its commit is under way', async () => {
    const b = backend();
    const buf = buffer(b, { flushMs: 1 });
    b.gate = new Promise(() => {});
    await buf.set(session('k', 9));
    await sleep(10);
    assert.equal(b.attempts, 1, 'the commit started');
    assert.deepEqual(await buf.get('session', ['k']), { k: Buffer.from([9]) });
  });

  it('writes pre-keys through: set() resolves only once they landed (Baileys uploads them next)', async () => {
    const b = backend();
    const buf = buffer(b, { flushMs: 60_000 });
    let open!: () => void;
    b.gate = new Promise((resolve) => {
      open = resolve;
    });
    let done = false;
    const write = buf.set({ 'pre-key': { '7': { public: Buffer.alloc(32), private: Buffer.alloc(32) } } }).then(() => {
      done = true;
    });
    await sleep(20);
    assert.equal(done, false, 'waits for the commit');
    open();
    await write;
    assert.ok(b.landed.has('pre-key/7'));
  });

  it('holds writers back while maxKeys wait for a commit (Firestore slow or down)', async () => {
    const b = backend();
    const buf = buffer(b, { flushMs: 1, flushKeys: 5, maxKeys: 10 });
    let open!: () => void;
    b.gate = new Promise((resolve) => {
      open = resolve;
    });
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) {
        await buf.set(session(String(i), i));
        written++;
      }
    })();
    await sleep(30);
    assert.ok(buf.waiting <= 10, `${buf.waiting} keys waiting`);
    assert.ok(written < 30, 'the writer waits');
    b.gate = undefined;
    open();
    await writer;
    await buf.flush();
    assert.equal(b.landed.size, 30);
  });

  it('discard() forgets what waits and ends a commit being retried (a wipe)', async () => {
    const b = backend();
    const buf = new KeyWriteBuffer(
      { commit: (d) => b.commit(d), read: (t, ids) => b.read(t, ids), retry: () => sleep(5).then(() => true) },
      { flushMs: 1, flushKeys: 50, maxKeys: 500 },
    );
    b.failNext = Number.POSITIVE_INFINITY;
    await buf.set(session('x', 1));
    await sleep(20);
    await buf.set(session('y', 1));
    await buf.discard();
    b.failNext = 0;
    await buf.flush();
    assert.equal(b.landed.size, 0);
    assert.deepEqual(await buf.get('session', ['x', 'y']), {});
    await buf.set(session('z', 1));
    await buf.flush();
    assert.deepEqual([...b.landed.keys()], ['session/z'], 'writes after the wipe land');
  });
});
