/**
 * Bodies and malformed requests through the Functions runtime (firebase-tools' Functions emulator
 * serving the deployed bundle), where the runtime reads and parses every body before the app.
 *
 * Every answer must be a 4xx — never a 5xx — and nothing stored may change. Every answer comes in
 * the API's error shape, except the ones the runtime gives before any code of this project runs
 * (functions/src/api/body.ts): a body it cannot parse under `Content-Type: application/json`, a
 * charset it refuses there, and bodies over its 32 MB limit. Those are asserted to be what they
 * are, so a runtime that starts handing them over shows up here.
 */
import assert from 'node:assert/strict';
import { HTTP_STATUS_BY_CODE, paths, threadDocId } from '@wasync/shared';
import fc from 'fast-check';
import { Timestamp } from 'firebase-admin/firestore';
import { type StoreSnapshot, snapshotStore } from '../../functions/test/support/store.ts';
import type { FirebaseEmulators } from '../../scripts/lib/firebase-emulators.ts';
import { createTestUser, type TestUser } from '../support/auth-emulator.ts';
import { sharedEmulators } from '../support/emulators.ts';
import { clearFirestore, testDb } from '../support/firestore.ts';

const ACCOUNT = 'bodies-emulated';
const JID = '4915100000099@s.whatsapp.net';
const MB = 1024 * 1024;

interface Answer {
  status: number;
  /** The API's `{error:{code,message}}` with the status of its code, and X-Request-Id. */
  apiShape: boolean;
  code?: string;
  reason?: string;
}

/** Whether the runtime's own JSON parser (body-parser, strict, type application/json) refuses this. */
function runtimeRefuses(type: string, body: string): boolean {
  const [mime, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (mime !== 'application/json') return false;
  // body-parser refuses a charset it cannot read before it looks at the body: an empty one too
  // (it has a Content-Length, so it "has a body").
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && !charset.startsWith('utf-')) return true;
  if (body.length === 0) return false;
  const first = body.trimStart()[0];
  if (first !== '{' && first !== '[') return true;
  try {
    JSON.parse(body);
    return false;
  } catch {
    return true;
  }
}

describe('functions: bodies and malformed requests through the Functions runtime', function () {
  this.timeout(240_000);
  let emulators: FirebaseEmulators;
  let agent: TestUser;
  let before_: StoreSnapshot;
  const tally = { api: 0, runtime: 0 };

  before(async function () {
    this.timeout(180_000);
    emulators = await sharedEmulators();
    agent = await createTestUser(emulators.authHost, `bodies-${Date.now().toString(36)}@example.com`);
    await clearFirestore();
    const db = testDb();
    await db
      .doc(paths.account(ACCOUNT))
      .set({ displayName: 'Bodies', connection: { state: 'open', updatedAt: Timestamp.now() } });
    await db.doc(paths.member(ACCOUNT, agent.uid)).set({ role: 'agent', uid: agent.uid });
    await db.doc(paths.thread(ACCOUNT, threadDocId(JID))).set({
      jid: JID,
      aliases: [],
      kind: 'dm',
      lastMessageAt: Timestamp.now(),
      lastMessage: { id: 'x', text: 'x', fromMe: false, type: 'text', status: 'read' },
      updatedAt: Timestamp.now(),
    });
    before_ = await snapshotStore(db);
  });

  async function post(path: string, body: string | Buffer, type: string, token = true): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (type !== '') headers['content-type'] = type;
    if (token) headers.authorization = `Bearer ${agent.idToken}`;
    const res = await fetch(`${emulators.functionUrl('api')}/whatsapp/${path}`, { method: 'POST', headers, body });
    const text = await res.text();
    let parsed: { error?: { code?: string; message?: string; details?: { reason?: string } } } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {}
    const code = parsed?.error?.code;
    const apiShape =
      typeof code === 'string' &&
      typeof parsed?.error?.message === 'string' &&
      HTTP_STATUS_BY_CODE[code as keyof typeof HTTP_STATUS_BY_CODE] === res.status &&
      res.headers.get('x-request-id') !== null;
    assert.ok(res.status >= 400 && res.status < 500, `${path} ${type} → ${res.status} ${text.slice(0, 200)}`);
    return { status: res.status, apiShape, code, reason: parsed?.error?.details?.reason };
  }

  /** An answer the app gave, in its shape, unless the runtime answers `type`/`body` itself. */
  function expectShape(answer: Answer, type: string, body: string, what: string): void {
    if (runtimeRefuses(type, body)) {
      tally.runtime++;
      assert.equal(answer.apiShape, false, `${what}: the runtime answered this one until now; update body.ts`);
    } else {
      tally.api++;
      assert.ok(answer.apiShape, `${what}: ${JSON.stringify(answer)}`);
    }
  }

  it('1 MB bodies: 413 in the API’s shape, before authentication', async () => {
    const big = JSON.stringify({ accountId: ACCOUNT, to: JID, text: 'x'.repeat(MB), clientMessageId: 'big' });
    for (const [token, type] of [
      [true, 'application/json'],
      [false, 'application/json'],
      [false, 'text/plain'],
      [true, 'application/octet-stream'],
    ] as const) {
      const answer = await post('send', big, type, token);
      assert.deepEqual([answer.status, answer.code, answer.apiShape], [413, 'payload_too_large', true], `${type}`);
    }
  });

  it('40 MB bodies: refused by the runtime (413) before any code of the project', async () => {
    const huge = Buffer.alloc(40 * MB, 'x');
    for (const type of ['application/json', 'text/plain']) {
      const answer = await post('send', huge, type);
      assert.equal(answer.status, 413, type);
      tally.runtime++;
    }
  });

  it('wrong content types and bad JSON under +json types: 400 in the API’s shape', async () => {
    for (const [type, body, reason] of [
      ['text/plain', '{"accountId":"x"}', 'content_type'],
      ['application/x-www-form-urlencoded', 'accountId=x&text=y', 'content_type'],
      ['application/octet-stream', '{"accountId":"x"}', 'content_type'],
      [
        'multipart/form-data; boundary=b',
        '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--',
        'content_type',
      ],
      ['', '{"accountId":"x"}', 'content_type'],
      ['application/merge-patch+json', '{"accountId":', 'invalid_json'],
      ['application/vnd.api+json', 'null', 'not_object'],
    ] as const) {
      const answer = await post('send', body, type);
      assert.deepEqual(
        [answer.status, answer.code, answer.reason, answer.apiShape],
        [400, 'invalid_argument', reason, true],
        type,
      );
      tally.api++;
    }
  });

  it('bad JSON under application/json: the runtime’s own 400, before the app', async () => {
    for (const body of ['{"accountId":', 'null', '"text"', '{"a":1}}']) {
      const answer = await post('send', body, 'application/json');
      assert.equal(answer.status, 400, body);
      expectShape(answer, 'application/json', body, body);
    }
  });

  it('fuzzed bodies, content types, routes and tokens: every answer a 4xx, in the API’s shape where the app answers', async () => {
    const types = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/merge-patch+json',
      'application/vnd.wasync+json',
      'text/plain',
      'text/html; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'application/xml',
      '',
    );
    const bodies = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { accountId: fc.jsonValue(), to: fc.jsonValue(), text: fc.jsonValue(), clientMessageId: fc.jsonValue() },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('send', `backfill/${ACCOUNT}`),
        types,
        bodies,
        fc.boolean(),
        async (path, type, body, token) => {
          runs++;
          // No body, or a valid one, is a backfill the API accepts: this test sends only malformed requests.
          if (
            path.startsWith('backfill') &&
            (body === '' || (!runtimeRefuses(type, body) && /json/.test(type) && isObject(body)))
          ) {
            return;
          }
          const answer = await post(path, body, type, token);
          expectShape(answer, type, body, `${path} ${type} ${body.slice(0, 80)}`);
        },
      ),
      // The case a run found: an empty body under a charset body-parser cannot read.
      { numRuns: 80, examples: [['send', 'application/json; charset=latin1', '', false]] },
    );
    assert.ok(runs >= 80);
  });

  it('changed nothing stored, and tells how the answers split', async () => {
    console.log(
      `      runtime-emulated bodies: ${tally.api} answered by the app in its shape, ${tally.runtime} by the runtime first`,
    );
    assert.deepEqual(await snapshotStore(testDb()), before_);
  });
});

function isObject(body: string): boolean {
  try {
    const v = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}
