import assert from 'node:assert/strict';
import type { proto, WAMessage } from '@whiskeysockets/baileys';
import fc from 'fast-check';
import { isValidDocId, messageDocId, threadDocId } from '../../src/ids.ts';
import {
  type NormalizeOptions,
  type NormalizeResult,
  normalizeMessage,
  SKIP_REASONS,
} from '../../src/normalize/index.ts';
import { MESSAGE_SOURCES, MESSAGE_STATUSES, MESSAGE_TYPES, THREAD_KINDS } from '../../src/schema.ts';
import {
  GROUP,
  historyMessage,
  liveDm,
  liveGroup,
  liveOwnDm,
  NEWSLETTER,
  NOW,
  PEER,
  protoMessage,
  SELF,
  T0,
  uint64,
} from '../fixtures/wa-messages.ts';
import { firstNonPlain } from './helpers.ts';

const RUNS = 10_000;
const options: NormalizeOptions = { source: 'realtime', receivedAt: NOW, self: SELF, includeStatusBroadcast: true };

/** Every invariant a result must satisfy, whatever the input was. */
function checkResult(result: NormalizeResult): void {
  assert.equal(firstNonPlain(result), null, `not plain JSON: ${firstNonPlain(result)}`);
  switch (result.kind) {
    case 'skip':
      assert.ok(SKIP_REASONS.includes(result.reason), result.reason);
      return;
    case 'update':
      assert.ok(isValidDocId(threadDocId(result.target.chatJid)), result.target.chatJid);
      assert.ok(isValidDocId(messageDocId(result.target)), messageDocId(result.target));
      assert.equal(result.target.fromMe, result.target.sender === null);
      return;
    case 'message': {
      const { doc } = result;
      assert.ok(isValidDocId(messageDocId(result.ref)), messageDocId(result.ref));
      assert.ok(isValidDocId(threadDocId(result.ref.chatJid)), result.ref.chatJid);
      assert.deepEqual([doc.id, doc.fromMe, doc.sender], [result.ref.id, result.ref.fromMe, result.ref.sender]);
      assert.equal(doc.fromMe, doc.sender === null);
      assert.ok(typeof doc.id === 'string' && doc.id.length > 0);
      assert.ok(Number.isSafeInteger(doc.timestamp) && doc.timestamp > 0 && doc.timestamp <= NOW + 86_400_000);
      assert.ok(MESSAGE_TYPES.includes(doc.type));
      assert.ok(MESSAGE_STATUSES.includes(doc.status));
      assert.ok(MESSAGE_SOURCES.includes(doc.source));
      assert.ok(THREAD_KINDS.includes(result.ref.threadKind));
      assert.ok(doc.text === null || typeof doc.text === 'string');
      for (const alias of result.aliases) assert.ok(alias.lid.endsWith('@lid') && alias.pn.endsWith('@s.whatsapp.net'));
    }
  }
}

/** Valid messages of every shape, rebuilt for each run so mutations never leak between runs. */
const templates: Array<() => WAMessage> = [
  () => liveDm({ conversation: 'hello' }),
  () => liveOwnDm({ extendedTextMessage: { text: 'quoted', contextInfo: { stanzaId: 'Q' } } }),
  () => liveGroup({ imageMessage: { caption: 'c', fileLength: 10, width: 1, height: 2, mimetype: 'image/jpeg' } }),
  () =>
    liveGroup({ ephemeralMessage: { message: { viewOnceMessageV2: { message: { videoMessage: { seconds: 3 } } } } } }),
  () => liveDm({ documentWithCaptionMessage: { message: { documentMessage: { fileName: 'f.pdf', caption: 'x' } } } }),
  () => liveDm({ locationMessage: { degreesLatitude: 1, degreesLongitude: 2, name: 'n' } }),
  () => liveDm({ contactsArrayMessage: { contacts: [{ displayName: 'a' }, { displayName: 'b' }] } }),
  () => liveGroup({ pollCreationMessageV3: { name: 'q', options: [{ optionName: 'o' }] } }),
  () => liveDm({ reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: 'T' }, text: '👍' } }),
  () =>
    liveGroup({
      protocolMessage: { type: 0, key: { remoteJid: GROUP, fromMe: false, id: 'T', participant: PEER.pn } },
    }),
  () =>
    liveDm({
      editedMessage: {
        message: { protocolMessage: { type: 14, key: { id: 'T' }, editedMessage: { conversation: 'e' } } },
      },
    }),
  () => liveDm({ protocolMessage: { type: 5 } }),
  () =>
    protoMessage({
      key: { remoteJid: NEWSLETTER, fromMe: false, id: 'N' },
      messageTimestamp: T0,
      message: { conversation: 'n' },
    }),
  () =>
    historyMessage({
      key: { remoteJid: GROUP, fromMe: false, id: 'H', participant: PEER.lid },
      messageTimestamp: T0,
      message: { audioMessage: { seconds: 4, fileLength: 5 } },
      reactions: [{ key: { remoteJid: GROUP, participant: PEER.pn, id: 'R' }, text: '🙂' }],
      userReceipt: [{ userJid: PEER.lid, readTimestamp: T0 + 1 }],
    }),
];

/** Field names the mutations aim at: the ones normalisation reads, plus prototype-ish traps. */
const FIELD_NAMES = [
  'key',
  'message',
  'remoteJid',
  'remoteJidAlt',
  'participant',
  'participantAlt',
  'fromMe',
  'id',
  'isViewOnce',
  'messageTimestamp',
  'status',
  'messageStubType',
  'messageStubParameters',
  'reactions',
  'userReceipt',
  'userJid',
  'readTimestamp',
  'text',
  'conversation',
  'extendedTextMessage',
  'imageMessage',
  'caption',
  'fileLength',
  'width',
  'contextInfo',
  'stanzaId',
  'ephemeralMessage',
  'editedMessage',
  'protocolMessage',
  'type',
  'timestampMs',
  'reactionMessage',
  'senderTimestampMs',
  'locationMessage',
  'degreesLatitude',
  'contactsArrayMessage',
  'contacts',
  'pollCreationMessageV3',
  'senderKeyDistributionMessage',
  'deviceSentMessage',
  '0',
  'constructor',
  'toString',
  '__proto__',
];

/** Values that stress type checks: wrong primitives, Longs, bytes, huge numbers, odd strings. */
const awkwardValue = fc.oneof(
  fc.anything(),
  fc.constantFrom<unknown>(
    null,
    undefined,
    '',
    0,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e300,
    '9'.repeat(40),
    'status@broadcast',
    '@lid',
    'x@g.us',
    '/',
    '__x__',
    new Uint8Array([1, 2]),
    [],
    {},
    Object.create(null),
    uint64(T0),
    uint64(2 ** 53),
    BigInt(T0),
    new Date(0),
    () => 1,
    Symbol('s'),
  ),
  fc.string({ unit: 'binary', maxLength: 2000 }),
);

const mutation = fc.record({
  path: fc.array(fc.constantFrom(...FIELD_NAMES), { minLength: 1, maxLength: 5 }),
  value: awkwardValue,
  remove: fc.boolean(),
});

type Loose = Record<string, unknown>;

/** Define an own, enumerable property, even for names like `__proto__` (as `JSON.parse` does). */
function defineOwn(node: Loose, name: string, value: unknown): void {
  Object.defineProperty(node, name, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Set (or delete) a value at a path, replacing non-objects on the way with fresh objects. Only own
 * properties are followed: walking into `__proto__` or `constructor` would pollute shared prototypes.
 */
function applyMutation(
  root: Loose,
  { path, value, remove }: { path: string[]; value: unknown; remove: boolean },
): void {
  let node: Loose = root;
  for (const name of path.slice(0, -1)) {
    const next = Object.hasOwn(node, name) ? node[name] : undefined;
    if (typeof next === 'object' && next !== null) node = next as Loose;
    else {
      const created: Loose = {};
      defineOwn(node, name, created);
      node = created;
    }
  }
  const last = path[path.length - 1] as string;
  if (remove) delete node[last];
  else defineOwn(node, last, value);
}

describe('normalizeMessage: properties', function () {
  this.timeout(120_000);

  it('never throws on fc.anything()', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withTypedArray: true }), (input) => {
        checkResult(normalizeMessage(input as WAMessage, options));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on fc.object()', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 4 }), (input) => {
        checkResult(normalizeMessage(input as unknown as WAMessage, options));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on mutated valid messages, and every result keeps the invariants', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: templates.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...MESSAGE_SOURCES),
        (index, mutations, source) => {
          const msg = (templates[index] as () => WAMessage)();
          for (const m of mutations) applyMutation(msg as unknown as Loose, m);
          checkResult(normalizeMessage(msg, { ...options, source }));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('gives every well-formed message valid ids, whatever its JIDs and id contain', () => {
    // Any user part that is a JID user at all: `@` ends it, and `:` / `_` start device and agent suffixes.
    const jidUser = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }).filter((s) => !/[@:_]/.test(s));
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2000 }),
        jidUser,
        fc.constantFrom('s.whatsapp.net', 'lid', 'g.us', 'newsletter', 'broadcast', 'c.us'),
        jidUser,
        fc.boolean(),
        (id, user, server, participantUser, fromMe) => {
          const info: proto.IWebMessageInfo = {
            key: { remoteJid: `${user}@${server}`, fromMe, id, participant: `${participantUser}@lid` },
            messageTimestamp: T0,
            message: { conversation: id },
          };
          const result = normalizeMessage(protoMessage(info), options);
          checkResult(result);
          assert.equal(result.kind, 'message', JSON.stringify(result));
          if (result.kind === 'message') assert.equal(result.doc.id, id);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
