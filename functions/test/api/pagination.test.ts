/**
 * Keyset pagination through the API: complete, in order, without duplicates, and each page reads
 * at most limit + 1 documents — measured by wrapping firebase-admin's query methods, not assumed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { type MessageType, threadDocId } from '@wasync/shared';
import fc from 'fast-check';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, requires, testDb } from '../../../test/support/firestore.ts';
import { assertError, assertMatchesSchema, testApi } from '../support/api.ts';
import { newUser, type Persona, type SeededMessage, seedAccount, seedThread } from '../support/fixtures.ts';
import { ReadMeter } from '../support/reads.ts';

const ACCOUNT = 'acct-p';
const JID = '4915100000001@s.whatsapp.net';
const T0 = 1_700_000_000;

/** Sort key of a message in a listing: time, then document id (what the queries order by). */
function byTimeThenId(a: SeededMessage, b: SeededMessage): number {
  const t = a.timestamp.toMillis() - b.timestamp.toMillis() || a.timestamp.nanoseconds - b.timestamp.nanoseconds;
  return t !== 0 ? t : a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0;
}

describe('api: pagination', function () {
  this.timeout(120_000);
  const api = testApi();
  let viewer: Persona;
  const meter = new ReadMeter();

  before(async function () {
    this.timeout(180_000);
    viewer = await newUser('pager');
  });
  afterEach(() => meter.stop());

  async function walk(path: string, key: 'messages' | 'threads', limit: number) {
    const pages: { items: { docId?: string; threadId?: string }[]; reads: { kind: string; docs: number }[] }[] = [];
    let cursor: string | undefined;
    do {
      meter.reset();
      const sep = path.includes('?') ? '&' : '?';
      const url = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await api.get(url, viewer.idToken);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      pages.push({ items: res.body[key], reads: [...meter.records] });
      cursor = res.body.nextCursor;
      assert.ok(pages.length < 1000, 'pagination terminates');
    } while (cursor !== undefined);
    return pages;
  }

  describe('a 1,000-message thread in pages of 50', () => {
    let seeded: SeededMessage[];
    before(async function () {
      this.timeout(120_000);
      await clearFirestore();
      await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer' });
      // Three messages per second share a timestamp (ties are broken by document id), and every
      // time has microseconds, which a millisecond cursor would cut off.
      seeded = await seedThread(testDb(), {
        accountId: ACCOUNT,
        jid: JID,
        count: 1000,
        time: (i) => new Timestamp(T0 + Math.floor(i / 3), 123_456_000 + (i % 2) * 1000),
      });
    });

    for (const order of ['desc', 'asc'] as const) {
      it(`walks every message once, in ${order} order, reading at most 51 documents per page`, async () => {
        meter.start();
        const pages = await walk(
          `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId(JID))}?order=${order}`,
          'messages',
          50,
        );
        meter.stop();
        const expected = [...seeded].sort(byTimeThenId).map((m) => m.docId);
        if (order === 'desc') expected.reverse();
        assert.deepEqual(
          pages.flatMap((p) => p.items.map((m) => m.docId)),
          expected,
          'no duplicates, no gaps, in order',
        );
        assert.equal(pages.length, 20);
        assert.ok(
          pages.every((p) => p.items.length === 50),
          'full pages, and no empty last page',
        );
        for (const [i, page] of pages.entries()) {
          const queryReads = page.reads.filter((r) => r.kind === 'query').map((r) => r.docs);
          assert.deepEqual(queryReads, [i === pages.length - 1 ? 50 : 51], `page ${i}: one query of ≤ limit + 1`);
          // Plus the membership check: one document.
          assert.deepEqual(
            page.reads.filter((r) => r.kind === 'docs').map((r) => r.docs),
            [1],
          );
        }
      });
    }

    it('keeps its place when newer messages arrive while paging (an offset would repeat rows)', async () => {
      const path = `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId(JID))}`;
      const first = await api.get(`${path}?limit=50`, viewer.idToken);
      const newer = await seedThread(testDb(), {
        accountId: ACCOUNT,
        jid: JID,
        count: 5,
        idOffset: 5000,
        time: (i) => Timestamp.fromMillis((T0 + 10_000 + i) * 1000),
      });
      const second = await api.get(
        `${path}?limit=50&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        viewer.idToken,
      );
      const expected = [...seeded].sort(byTimeThenId).reverse();
      assert.deepEqual(
        second.body.messages.map((m: { docId: string }) => m.docId),
        expected.slice(50, 100).map((m) => m.docId),
      );
      // The newer messages are there for whoever starts again from the top.
      const top = await api.get(`${path}?limit=5`, viewer.idToken);
      assert.deepEqual(
        top.body.messages.map((m: { docId: string }) => m.docId),
        newer.map((m) => m.docId).reverse(),
      );
    });
  });

  it('pages threads by last activity', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer' });
    const threads = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        seedThread(testDb(), {
          accountId: ACCOUNT,
          jid: `49151${String(i).padStart(8, '0')}@s.whatsapp.net`,
          count: 1,
          time: () => Timestamp.fromMillis((T0 + (i % 40)) * 1000),
        }).then(([m]) => m!),
      ),
    );
    meter.start();
    const pages = await walk(`/api/whatsapp/threads/${ACCOUNT}`, 'threads', 50);
    meter.stop();
    const expected = [...threads].sort((a, b) => byTimeThenId(b, a)).map((m) => m.threadId);
    assert.deepEqual(
      pages.flatMap((p) => p.items.map((t) => t.threadId)),
      [...threads]
        .sort((a, b) => b.timestamp.toMillis() - a.timestamp.toMillis() || (b.threadId < a.threadId ? -1 : 1))
        .map((m) => m.threadId),
    );
    assert.equal(expected.length, 120);
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [50, 50, 20],
    );
    assert.deepEqual(
      pages.map((p) => p.reads.filter((r) => r.kind === 'query').map((r) => r.docs)),
      [[51], [51], [20]],
    );
  });

  it('returns every message exactly once, over several pages with ties across page edges (property)', async () => {
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer' });
    let run = 0;
    let edgesInTies = 0;
    /**
     * Runs of messages sharing one timestamp (microseconds included). One run is longer than a
     * page, so some page edge always falls inside a tie: only the cursor's document-id
     * tie-break then says where the next page starts.
     */
    const data = fc.integer({ min: 2, max: 12 }).chain((limit) =>
      fc.record({
        limit: fc.constant(limit),
        runs: fc
          .tuple(
            fc.array(fc.integer({ min: 1, max: 3 * limit }), { minLength: 2, maxLength: 8 }),
            fc.integer({ min: limit + 1, max: 3 * limit }),
            fc.nat(),
          )
          .map(([sizes, long, at]) => {
            const all = [...sizes];
            all.splice(at % (sizes.length + 1), 0, long);
            return all;
          })
          .filter((sizes) => sizes.reduce((a, b) => a + b, 0) >= 3 * limit),
        order: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
        type: fc.option(fc.constantFrom<MessageType>('text', 'image'), { nil: undefined }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(data, async ({ limit, runs, order, type }) => {
        // A fresh thread per run: the previous runs' threads stay but are other listings.
        const jid = `4917${String(run++).padStart(9, '0')}@s.whatsapp.net`;
        const times = runs.flatMap((size, r) =>
          Array.from({ length: size }, () => new Timestamp(T0 + r, 123_456_000 + r * 1000)),
        );
        const seeded = await seedThread(testDb(), {
          accountId: ACCOUNT,
          jid,
          count: times.length,
          time: (i) => times[i]!,
          // Interleave the types, so a type filter's listing has ties at its page edges too.
          type: (i) => (i % 2 === 0 ? 'text' : 'image'),
        });
        const filter = type ? `&type=${type}` : '';
        const pages = await walk(
          `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId(jid))}?order=${order}${filter}`,
          'messages',
          limit,
        );
        const wanted = seeded.filter((_, i) => type === undefined || (i % 2 === 0 ? 'text' : 'image') === type);
        const expected = wanted.sort(byTimeThenId);
        if (order === 'desc') expected.reverse();
        assert.deepEqual(
          pages.flatMap((p) => p.items.map((m) => m.docId)),
          expected.map((m) => m.docId),
        );
        assert.equal(pages.length, Math.max(1, Math.ceil(expected.length / limit)));
        for (let edge = limit; edge < expected.length; edge += limit) {
          if (expected[edge - 1]!.timestamp.isEqual(expected[edge]!.timestamp)) edgesInTies++;
        }
        if (type === undefined) assert.ok(pages.length >= 3, `${pages.length} pages`);
      }),
      { numRuns: 30 },
    );
    assert.ok(edgesInTies >= 30, `page edges inside ties: ${edgesInTies}`);
  });

  it('walks messages across threads with a collection-group query', async function () {
    requires(this, 'collectionGroupQueries');
    await clearFirestore();
    await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer' });
    await seedAccount(testDb(), 'other-acct', {});
    const all: SeededMessage[] = [];
    for (const [i, jid] of [
      '4915100000010@s.whatsapp.net',
      '4915100000011@s.whatsapp.net',
      '12036300@g.us',
    ].entries()) {
      all.push(
        ...(await seedThread(testDb(), {
          accountId: ACCOUNT,
          jid,
          count: 50,
          time: (n) => new Timestamp(T0 + Math.floor(n / 2) + i, 0),
        })),
      );
    }
    // Same thread id in another account: must not appear.
    await seedThread(testDb(), { accountId: 'other-acct', jid: '4915100000010@s.whatsapp.net', count: 30 });
    meter.start();
    const pages = await walk(`/api/whatsapp/messages?accountId=${ACCOUNT}`, 'messages', 20);
    meter.stop();
    const key = (m: { threadId?: string; docId?: string }) => `${m.threadId}/${m.docId}`;
    const got = pages.flatMap((p) => p.items.map(key));
    const expected = all
      .sort((a, b) => byTimeThenId({ ...a, docId: key(a) }, { ...b, docId: key(b) }))
      .map(key)
      .reverse();
    assert.deepEqual(got, expected);
    for (const page of pages) assert.ok(page.reads.filter((r) => r.kind === 'query').every((r) => r.docs <= 21));
  });

  describe('bad paging input', () => {
    before(async () => {
      await clearFirestore();
      await seedAccount(testDb(), ACCOUNT, { [viewer.uid]: 'viewer' });
      await seedThread(testDb(), { accountId: ACCOUNT, jid: JID, count: 30 });
      await seedThread(testDb(), { accountId: ACCOUNT, jid: '4915199999999@s.whatsapp.net', count: 30 });
    });
    const path = () => `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId(JID))}`;

    it('refuses limits outside 1–200 or not integers, instead of clamping them', async () => {
      for (const limit of ['0', '201', '1000', '-1', '1.5', '1e2', '+5', ' 5', 'abc', '', '0x10', '5&limit=6']) {
        assertError(await api.get(`${path()}?limit=${limit}`, viewer.idToken), 400, 'invalid_argument');
      }
      for (const [limit, size] of [
        ['1', 1],
        ['200', 30],
      ] as const) {
        const res = await api.get(`${path()}?limit=${limit}`, viewer.idToken);
        assert.equal(res.body.messages.length, size, `limit=${limit}`);
      }
    });

    it('refuses since and until beyond the last instant Firestore stores', async () => {
      for (const query of ['since=253402300800000', 'until=300000000000000', 'until=8640000000000000']) {
        assertError(await api.get(`${path()}?${query}`, viewer.idToken), 400, 'invalid_argument');
      }
      assert.equal((await api.get(`${path()}?until=253402300799999`, viewer.idToken)).status, 200);
    });

    it('refuses cursors of other listings, other orders, and forged ones', async () => {
      const res = await api.get(`${path()}?limit=10`, viewer.idToken);
      assertMatchesSchema('MessagePage', res.body);
      const cursor = encodeURIComponent(res.body.nextCursor);
      const other = `/api/whatsapp/messages/${ACCOUNT}/${encodeURIComponent(threadDocId('4915199999999@s.whatsapp.net'))}`;
      const threads = `/api/whatsapp/threads/${ACCOUNT}`;
      for (const url of [
        `${other}?cursor=${cursor}`,
        `${path()}?order=asc&cursor=${cursor}`,
        `${path()}?fromMe=true&cursor=${cursor}`,
        `${threads}?cursor=${cursor}`,
        `${path()}?cursor=${cursor.slice(0, -2)}`,
        `${path()}?cursor=${cursor}A`,
        `${path()}?cursor=not-a-cursor`,
      ]) {
        assertError(await api.get(url, viewer.idToken), 400, 'invalid_cursor');
      }
      assert.equal((await api.get(`${path()}?cursor=${cursor}`, viewer.idToken)).status, 200);
    });

    it('refuses well-formed forged cursors whose time or ids no document can have', async () => {
      const threads = `/api/whatsapp/threads/${ACCOUNT}`;
      const across = `/api/whatsapp/messages?accountId=${ACCOUNT}`;
      const genuine = async (url: string) => {
        const res = await api.get(`${url}${url.includes('?') ? '&' : '?'}limit=1`, viewer.idToken);
        assert.ok(res.body.nextCursor, JSON.stringify(res.body));
        return res.body.nextCursor as string;
      };
      for (const url of [path(), threads, across]) {
        const cursor = await genuine(url);
        for (const t of [1e300, -1e300, 253_402_300_800_000, -62_135_596_800_001]) {
          const res = await api.get(
            `${url}${url.includes('?') ? '&' : '?'}cursor=${forge(cursor, { t })}`,
            viewer.idToken,
          );
          assertError(res, 400, 'invalid_cursor');
        }
      }
      const cursor = await genuine(across);
      for (const id of ['.|..', '..|x', '__x__|y', 'x|__y__']) {
        assertError(await api.get(`${across}&cursor=${forge(cursor, { id })}`, viewer.idToken), 400, 'invalid_cursor');
      }
    });
  });
});

/**
 * A cursor as anyone could forge it from a genuine one: a new time or id, and the checksum (a
 * plain SHA-256 prefix, shared/src/cursor.ts) recomputed. Layout: version, flags, t (float64 BE),
 * 8 bytes of scope hash, id, 8 bytes of checksum.
 */
function forge(cursor: string, change: { t?: number; id?: string }): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const header = Buffer.from(bytes.subarray(0, 18));
  if (change.t !== undefined) header.writeDoubleBE(change.t, 2);
  const id = change.id === undefined ? bytes.subarray(18, bytes.length - 8) : Buffer.from(change.id, 'utf8');
  const body = Buffer.concat([header, id]);
  const checksum = createHash('sha256').update(body).digest().subarray(0, 8);
  return encodeURIComponent(Buffer.concat([body, checksum]).toString('base64url'));
}
