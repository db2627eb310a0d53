/**
 * The pipeline reads Baileys' LID ↔ PN store through the socket seam (`PipelineSocket`:
 * `signalRepository.lidMapping`): Baileys stores a history payload's mappings there before it
 * emits the payload, and its event buffer may then drop `lidPnMappings` from a merged one. A
 * LID-addressed chat whose phone number only the store knows still lands in the phone-number
 * thread, and the pair is stored with the account.
 */
import assert from 'node:assert/strict';
import { lidPnPairDocId, paths, threadDocId } from '@wasync/shared';
import { addTransactionCapability, proto } from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import { testDb } from '../../../test/support/firestore.ts';
import { createLogger } from '../../src/log.ts';
import type { BaileysEventBatch, PipelineSocket } from '../../src/pipeline/consumer.ts';
import { memoryAuthState } from '../support/memory-auth.ts';
import { feed, openSync } from '../support/sync.ts';

const T = 1_750_000_000;
const NOW = (T + 3600) * 1000;
const LID = '190000000000001@lid';
const PN = '4915100000001@s.whatsapp.net';

/** A RECENT chunk as the buffer may hand it over: the contact's chat by LID only, its mapping gone. */
function lidOnlyHistory(): BaileysEventBatch {
  return {
    'messaging-history.set': {
      chats: [{ id: LID, conversationTimestamp: T }],
      contacts: [],
      messages: [
        {
          key: { remoteJid: LID, fromMe: false, id: 'LIDMAP-1' },
          messageTimestamp: T,
          message: { conversation: 'hello from a LID' },
        },
      ],
      syncType: proto.HistorySync.HistorySyncType.RECENT,
      progress: 100,
      isLatest: false,
    },
  };
}

/** The pipeline's part of a socket, with Baileys' real signal repository over an in-memory key store. */
async function socketKnowing(pairs: { lid: string; pn: string }[]): Promise<PipelineSocket> {
  const log = createLogger('silent');
  const auth = memoryAuthState();
  // As socket.js wires it: the key store with Baileys' transactions.
  const keys = addTransactionCapability(auth.keys, log, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
  const signalRepository = makeLibSignalRepository({ creds: auth.creds, keys }, log);
  await signalRepository.lidMapping.storeLIDPNMappings(pairs);
  return {
    signalRepository,
    groupFetchAllParticipating: async () => ({}),
    updateMediaMessage: async (m) => m,
  } as PipelineSocket;
}

async function threadIds(accountId: string): Promise<string[]> {
  return (await testDb().collection(paths.threads(accountId)).get()).docs.map((d) => d.id).sort();
}

describe("pipeline: Baileys' LID mapping store through the socket seam", function () {
  this.timeout(30_000);

  it('files a LID-only history chat under the phone number the store knows, and keeps the pair', async () => {
    const sync = await openSync({ now: NOW, socket: await socketKnowing([{ lid: LID, pn: PN }]) });
    await feed(sync, [lidOnlyHistory()], NOW);
    await sync.drain();
    const accountId = sync.writer.accountId;
    assert.deepEqual(await threadIds(accountId), [threadDocId(PN)]);
    const pair = await testDb()
      .doc(paths.lidPnPair(accountId, lidPnPairDocId({ lid: LID, pn: PN })))
      .get();
    assert.ok(pair.exists, 'the pair is stored with the account');
    await sync.close('test');
  });

  it('without the store (no socket), the same chunk stays a LID thread', async () => {
    const sync = await openSync({ now: NOW });
    await feed(sync, [lidOnlyHistory()], NOW);
    await sync.drain();
    assert.deepEqual(await threadIds(sync.writer.accountId), [threadDocId(LID)]);
    await sync.close('test');
  });
});
