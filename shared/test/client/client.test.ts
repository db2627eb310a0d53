/**
 * `@wasync/shared/client` is what app developers bundle: it must build for the browser (no Node
 * built-ins, no Baileys), and its wrappers and converters must hand over exactly what the
 * functions and the data contract define.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  allPages,
  CALLABLE_NAMES,
  callableErrorCode,
  firestoreConverters,
  type ListMessagesResult,
  visibleAccount,
  whatsappCallables,
} from '@wasync/shared/client';
import { build } from 'esbuild';

/** A Timestamp class of the shape both Firestore SDKs have. */
class FakeTimestamp {
  constructor(readonly ms: number) {}
  static fromMillis(ms: number) {
    return new FakeTimestamp(ms);
  }
  toMillis() {
    return this.ms;
  }
}

describe('shared/client', () => {
  it('bundles for the browser without Node built-ins or Baileys', async function () {
    this.timeout(20_000);
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../src/client/index.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.deepEqual(
      inputs.filter((i) => i.startsWith('node:') || i.includes('baileys')),
      [],
    );
  });

  it('wraps every callable by name and returns its data', async () => {
    const calls: [string, unknown][] = [];
    const wa = whatsappCallables('functions-instance', (functions, name) => {
      assert.equal(functions, 'functions-instance');
      return async (data) => {
        calls.push([name, data]);
        return { data: { name } };
      };
    });
    assert.deepEqual(Object.keys(wa).sort(), [...CALLABLE_NAMES].sort());
    assert.deepEqual(await wa.listThreads({ accountId: 'a' }), { name: 'listThreads' });
    assert.deepEqual(calls, [['listThreads', { accountId: 'a' }]]);
  });

  it('walks every page until nextCursor is absent', async () => {
    const seen: (string | undefined)[] = [];
    const list = async (input: { accountId: string; cursor?: string }): Promise<ListMessagesResult> => {
      seen.push(input.cursor);
      const next = { undefined: 'c1', c1: 'c2', c2: undefined }[String(input.cursor) as 'undefined' | 'c1' | 'c2'];
      return next === undefined ? { messages: [] } : { messages: [], nextCursor: next };
    };
    let pages = 0;
    for await (const _ of allPages(list, { accountId: 'a' })) pages++;
    assert.equal(pages, 3);
    assert.deepEqual(seen, [undefined, 'c1', 'c2']);
  });

  it('reads the AppError code of a failed call', () => {
    assert.equal(
      callableErrorCode({ code: 'functions/permission-denied', details: { code: 'permission_denied' } }),
      'permission_denied',
    );
    assert.equal(callableErrorCode(new Error('network')), undefined);
    assert.equal(callableErrorCode(null), undefined);
  });

  it('converts documents with their ids, times as epoch milliseconds', () => {
    const convert = firestoreConverters(FakeTimestamp);
    const stored = {
      jid: '1@s.whatsapp.net',
      aliases: [],
      kind: 'dm',
      lastMessageAt: new FakeTimestamp(2000),
      lastMessage: { id: 'M', text: 't', fromMe: false, type: 'text', status: 'read' },
      updatedAt: new FakeTimestamp(1000),
    };
    const thread = convert.thread.fromFirestore({ id: 'thread-1', data: () => stored });
    assert.equal(thread.threadId, 'thread-1');
    assert.equal(thread.lastMessageAt, 2000);
    const back = convert.thread.toFirestore(thread);
    assert.equal('threadId' in back, false);
    assert.equal((back.lastMessageAt as FakeTimestamp).toMillis(), 2000);
  });

  it('hands apps the documented fields only: no bookkeeping, key material or undocumented fields', () => {
    const convert = firestoreConverters(FakeTimestamp);
    const t = new FakeTimestamp(5000);
    const stored = {
      accountId: 'a',
      id: 'M',
      threadId: 'g@g.us',
      fromMe: false,
      sender: '1@s.whatsapp.net',
      timestamp: t,
      type: 'text',
      text: 'x',
      status: 'read',
      receipts: { '1@s.whatsapp.net': { readAt: t, internal: 1 } },
      // A map key is data, whatever it is named.
      reactions: { ['__proto__']: '🙂', constructor: '👍' },
      reactionTimes: { '1@s.whatsapp.net': t },
      unresolvedJids: ['9@lid'],
      messageSecret: 'c2VjcmV0',
      source: 'history',
      updatedAt: t,
      futureField: { anything: true },
    };
    const message = convert.message.fromFirestore({ id: 'doc-1', data: () => stored });
    assert.deepEqual(Object.keys(message).sort(), [
      'accountId',
      'docId',
      'fromMe',
      'id',
      'reactions',
      'receipts',
      'sender',
      'source',
      'status',
      'text',
      'threadId',
      'timestamp',
      'type',
      'updatedAt',
    ]);
    assert.deepEqual(Object.keys(message.receipts!['1@s.whatsapp.net']!), ['readAt']);
    assert.deepEqual(Object.keys(message.reactions!).sort(), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(message.reactions), Object.prototype);
    const pairing = { qr: 'q', pairingCode: 'ABCD1234', updatedAt: 1 };
    const stray = { state: 'qr' as const, qr: 'stray', updatedAt: 1 } as { state: 'qr'; updatedAt: number };
    const account = { displayName: 'd', connection: stray, pairing };
    assert.equal(visibleAccount(account, 'viewer').pairing, undefined);
    assert.equal(visibleAccount(account, 'agent').pairing, undefined);
    assert.deepEqual(visibleAccount(account, 'admin').pairing, pairing);
    assert.deepEqual(visibleAccount(account, 'operator').pairing, pairing);
    for (const role of ['viewer', 'admin']) {
      assert.deepEqual(visibleAccount(account, role).connection, { state: 'qr', updatedAt: 1 }, role);
    }
  });
});
