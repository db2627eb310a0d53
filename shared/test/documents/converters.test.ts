import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Timestamp as ClientTimestamp } from 'firebase/firestore';
import { Timestamp as AdminTimestamp } from 'firebase-admin/firestore';
import { DOCUMENT_TIME_PATHS, makeDocumentConverters } from '../../src/documents/converters.ts';
import { AppError } from '../../src/errors.ts';
import type { AccountDoc, CommandDoc, LidPnPairDoc, MessageDoc, PairingDoc, ThreadDoc } from '../../src/schema.ts';

const T = 1_700_000_000_123;

const account: AccountDoc = {
  displayName: 'Shop',
  phone: '+491700000001',
  me: { id: '491700000001@s.whatsapp.net', lid: '99000000001@lid' },
  connection: { state: 'qr', lastError: 'earlier', updatedAt: T },
  lastConnectedAt: T - 1,
  historySync: { syncType: 'RECENT', progress: 40, chunks: 2, messages: 10, isLatest: true, updatedAt: T + 2 },
  backfill: { state: 'running', threads: 3, requested: 100, received: 5, startedAt: T + 3 },
};

const thread: ThreadDoc = {
  jid: '4915112345678@s.whatsapp.net',
  aliases: ['123456789012345@lid'],
  kind: 'dm',
  lastMessageAt: T,
  lastMessage: { id: 'A', text: 'hi', fromMe: false, type: 'text', status: 'delivered' },
  oldestMessageAt: T - 1000,
  updatedAt: T + 5,
};

const message: MessageDoc = {
  accountId: 'acc1',
  id: '3EB0AAAA',
  threadId: '120363041234567890@g.us',
  fromMe: true,
  sender: null,
  timestamp: T,
  type: 'image',
  text: 'caption',
  media: {
    mimetype: 'image/jpeg',
    fileLength: 10,
    width: 1,
    height: 2,
    state: 'stored',
    path: 'accounts/acc1/media/120363041234567890@g.us/me~3EB0AAAA/original',
    sha256: 'a'.repeat(64),
    storedAt: T + 10,
  },
  status: 'read',
  // JID keys that need quoting in a field path (`111@lid`) and a hostile one.
  receipts: Object.fromEntries([
    ['111@lid', { deliveredAt: T + 1, readAt: T + 2 }],
    ['4915112345678@s.whatsapp.net', { deliveredAt: T + 3 }],
    ['__proto__', { playedAt: T + 4 }],
  ]),
  reactions: { '111@lid': '👍' },
  reactionTimes: { '111@lid': T + 6, '222@lid': T + 7 },
  edited: { text: 'new caption', at: T + 8 },
  pollOptions: ['yes', 'no'],
  pollVotes: { '111@lid': ['yes'] },
  pollVoteTimes: { '111@lid': T + 10, '222@lid': T + 11 },
  source: 'realtime',
  updatedAt: T + 9,
};

const command: CommandDoc = {
  type: 'send',
  state: 'pending',
  payload: { to: 'x' },
  createdAt: T,
  createdBy: 'uid1',
  updatedAt: T + 1,
  expiresAt: T + 2,
  purgeAt: T + 3,
  pairingGeneration: 2,
};

const pair: LidPnPairDoc = { lid: '111@lid', pn: '4915112345678@s.whatsapp.net', learnedAt: T };

/** Every value at the given time paths of a stored doc, with its dotted field name. */
function valuesAt(doc: unknown, path: readonly string[], prefix = ''): Array<[string, unknown]> {
  const [head, ...rest] = path;
  if (head === undefined || typeof doc !== 'object' || doc === null) return [];
  const record = doc as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  return keys.flatMap((key) => {
    const field = prefix ? `${prefix}.${key}` : key;
    return rest.length === 0 ? [[field, record[key]] as [string, unknown]] : valuesAt(record[key], rest, field);
  });
}

for (const [sdk, Timestamp] of [
  ['firebase-admin', AdminTimestamp],
  ['firebase (client SDK)', ClientTimestamp],
] as const) {
  describe(`document converters with the ${sdk} Timestamp`, () => {
    const docs = makeDocumentConverters(Timestamp);
    const pairing: PairingDoc = { qr: 'QR', qrExpiresAt: T + 60_000, pairingCode: 'ABCD1234', updatedAt: T };
    const samples = { account, thread, message, command, lidPnPair: pair, member: { role: 'agent' as const }, pairing };

    for (const [kind, doc] of Object.entries(samples) as Array<[keyof typeof samples, unknown]>) {
      it(`${kind}: every time field becomes a Timestamp and reads back as the same document`, () => {
        const c = docs[kind] as { toFirestore(d: unknown): unknown; fromFirestore(d: unknown): unknown };
        const stored = c.toFirestore(doc);
        const times = DOCUMENT_TIME_PATHS[kind].flatMap((path) => valuesAt(stored, path));
        for (const [field, value] of times) assert.ok(value instanceof Timestamp, `${kind}.${field}`);
        assert.equal(times.length, DOCUMENT_TIME_PATHS[kind].flatMap((path) => valuesAt(doc, path)).length);
        assert.deepEqual(c.fromFirestore(stored), doc);
      });
    }

    it('keeps millisecond precision and JID-keyed maps (including a `__proto__` key) as data', () => {
      const stored = docs.message.toFirestore(message);
      assert.equal(stored.timestamp.toMillis(), T);
      assert.ok(Object.hasOwn(stored.receipts ?? {}, '__proto__'));
      assert.equal(Object.getPrototypeOf(stored.receipts), Object.prototype);
      assert.equal(stored.reactionTimes?.['222@lid']?.toMillis(), T + 7);
      assert.ok(stored.media?.storedAt instanceof Timestamp, 'media.storedAt');
      assert.equal(stored.media?.storedAt?.toMillis(), T + 10);
    });

    it('drops undefined fields, which Firestore rejects', () => {
      const stored = docs.account.toFirestore({
        ...account,
        phone: undefined,
        connection: { ...account.connection, lastError: undefined },
      });
      assert.equal(Object.hasOwn(stored, 'phone'), false);
      assert.equal(Object.hasOwn(stored.connection, 'lastError'), false);
    });

    it('converts partial documents for update()', () => {
      const patch = docs.account.patchToFirestore({ connection: { state: 'open', updatedAt: T } });
      assert.deepEqual(Object.keys(patch), ['connection']);
      assert.ok(patch.connection?.updatedAt instanceof Timestamp);
    });

    it('rejects a stored time that is not a Timestamp, naming the field', () => {
      const stored = { ...docs.thread.toFirestore(thread), lastMessageAt: T };
      assert.throws(
        () => docs.thread.fromFirestore(stored),
        (err: unknown) => err instanceof AppError && (err.details as { field: string }).field === 'lastMessageAt',
      );
      const receipts = { ...docs.message.toFirestore(message), receipts: { '111@lid': { readAt: 'yesterday' } } };
      assert.throws(() => docs.message.fromFirestore(receipts), /receipts\.111@lid\.readAt/);
      assert.throws(() => docs.message.fromFirestore(null), AppError);
    });

    it('rejects a domain time that is not a finite number (a writer bug)', () => {
      assert.throws(() => docs.command.toFirestore({ ...command, createdAt: Number.NaN }), /createdAt/);
    });

    it('round-trips any message document (property)', () => {
      const jid = fc.constantFrom('111@lid', '4915112345678@s.whatsapp.net', 'a-b', '1a', '__proto__', 'x.y');
      const time = fc.integer({ min: 1, max: 4_102_444_800_000 });
      const receipt = fc.record(
        { deliveredAt: time, readAt: time, playedAt: time },
        { requiredKeys: [], noNullPrototype: true },
      );
      const arbitraryMessage = fc.record({
        receipts: fc.dictionary(jid, receipt, { noNullPrototype: true }),
        reactionTimes: fc.dictionary(jid, time, { noNullPrototype: true }),
        timestamp: time,
        edited: fc.option(
          fc.record({ text: fc.option(fc.string(), { nil: null }), at: time }, { noNullPrototype: true }),
          { nil: undefined },
        ),
      });
      fc.assert(
        fc.property(arbitraryMessage, (parts) => {
          const doc: MessageDoc = { ...message, ...parts };
          if (doc.edited === undefined) delete doc.edited;
          assert.deepEqual(docs.message.fromFirestore(docs.message.toFirestore(doc)), doc);
        }),
      );
    });
  });
}
