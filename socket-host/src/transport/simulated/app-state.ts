/**
 * App-state sync, both ends, with Baileys' own functions:
 *
 * - the phone's side (`AppStateServer`): its app-state sync key (shared with the companion as an
 *   APP_STATE_SYNC_KEY_SHARE peer message) and the collections WhatsApp stores, every change an
 *   encrypted, MAC'd patch made by `encodeSyncdPatch` — contacts (`contactAction` with the LID),
 *   `pnForLidChatAction`, mute, pin, archive and mark-read, all derived from the phone's chats;
 * - the socket's side (`makeAppStateResync`): chats.js `resyncAppState` — the patches after the
 *   stored version decoded by `decodePatches` (MACs checked with the shared key), the new
 *   `app-state-sync-version` stored, and each mutation handed to `processSyncAction`, which emits
 *   `chats.update`, `contacts.upsert`, `lid-mapping.update` as a real socket does (conditional
 *   chat updates during the initial sync).
 *
 * WhatsApp answers a first sync with a snapshot; this server answers with the patches (the
 * mutations and events are the same, the snapshot's own MAC path is not exercised).
 */
import { createHash } from 'node:crypto';
import {
  type AuthenticationCreds,
  type BaileysEventEmitter,
  decodePatches,
  encodeSyncdPatch,
  type LTHashState,
  newLTHashState,
  processSyncAction,
  proto,
  type SignalKeyStoreWithTransaction,
  type WAPatchName,
} from '@whiskeysockets/baileys';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import { HISTORY_END_S, lidJid, pnJid, type SimulatedPhone } from './phone.ts';
import { stableMessageId } from './random.ts';

const { SET } = proto.SyncdMutation.SyncdOperation;

interface Mutation {
  collection: WAPatchName;
  index: string[];
  action: proto.ISyncActionValue;
  apiVersion: number;
}

interface Collection {
  state: LTHashState;
  patches: proto.ISyncdPatch[];
}

export class AppStateServer {
  readonly keyId: string;
  readonly #keyData: Uint8Array;
  readonly #collections = new Map<WAPatchName, Collection>();
  #seeded = false;

  constructor(
    private readonly phone: SimulatedPhone,
    seed: string,
  ) {
    const digest = createHash('sha256').update(`${seed}\0app-state`).digest();
    this.keyId = Buffer.concat([Buffer.alloc(4), digest.subarray(0, 2)]).toString('base64');
    this.#keyData = digest.subarray(2, 34);
  }

  /** The phone's APP_STATE_SYNC_KEY_SHARE (processMessage stores the key and sets `myAppStateKeyId`). */
  keyShare(): proto.IMessage {
    return {
      protocolMessage: {
        type: proto.Message.ProtocolMessage.Type.APP_STATE_SYNC_KEY_SHARE,
        appStateSyncKeyShare: {
          keys: [
            {
              keyId: { keyId: Buffer.from(this.keyId, 'base64') },
              keyData: { keyData: this.#keyData, fingerprint: { rawId: 1, currentIndex: 0 }, timestamp: HISTORY_END_S },
            },
          ],
        },
      },
    };
  }

  /** The peer message carrying the key share, from the account's phone. */
  keyShareEnvelope(nowS: number) {
    return {
      attrs: {
        id: stableMessageId(this.keyId, 'key-share'),
        t: String(nowS),
        from: this.phone.meLid,
        category: 'peer',
        type: 'text',
      },
      message: this.keyShare(),
      sender: this.phone.meLid,
    };
  }

  /** Patches of `name` newer than `version` (the collection's state before the phone's first change is empty). */
  async patchesAfter(name: WAPatchName, version: number): Promise<proto.ISyncdPatch[]> {
    await this.#seed();
    const collection = this.#collections.get(name);
    return (collection?.patches ?? []).filter((p) => Number(p.version?.version) > version);
  }

  /** A live change on the phone (`n` picks it); returns the collection to tell the companion about. */
  async change(n: number): Promise<WAPatchName> {
    await this.#seed();
    const chat = this.phone.chats[n % this.phone.chats.length]!;
    const mutation: Mutation =
      n % 2 === 0
        ? {
            collection: 'regular_low',
            index: ['archive', chat.jid],
            action: { archiveChatAction: { archived: n % 4 === 0 } },
            apiVersion: 3,
          }
        : {
            collection: 'regular_high',
            index: ['mute', chat.jid],
            action: { muteAction: { muted: n % 4 === 1, muteEndTimestamp: HISTORY_END_S + 86_400 * 365 } },
            apiVersion: 2,
          };
    await this.#push(mutation, HISTORY_END_S + n);
    return mutation.collection;
  }

  /** The phone's state at pairing: one patch per contact and chat setting. */
  async #seed(): Promise<void> {
    if (this.#seeded) return;
    this.#seeded = true;
    const { phone } = this;
    const mutations: Mutation[] = [];
    for (const c of phone.contacts) {
      mutations.push({
        collection: 'critical_unblock_low',
        index: ['contact', pnJid(c.pn)],
        action: {
          contactAction: { fullName: `${c.name} ${c.pn.slice(-2)}`, firstName: c.name, lidJid: lidJid(c.lid) },
        },
        apiVersion: 2,
      });
    }
    for (const [i, chat] of phone.chats.entries()) {
      if (chat.kind === 'dm' && chat.jid.endsWith('@lid')) {
        mutations.push({
          collection: 'regular',
          index: ['pnForLidChat', chat.jid],
          action: { pnForLidChatAction: { pnJid: pnJid(chat.members[0]!.pn) } },
          apiVersion: 1,
        });
      }
      const range = { lastMessageTimestamp: HISTORY_END_S - chat.offsetS };
      if (i % 3 === 0)
        mutations.push({
          collection: 'regular_low',
          index: ['markChatAsRead', chat.jid],
          action: { markChatAsReadAction: { read: true, messageRange: range } },
          apiVersion: 3,
        });
      if (i % 3 === 1)
        mutations.push({
          collection: 'regular_high',
          index: ['mute', chat.jid],
          action: { muteAction: { muted: true, muteEndTimestamp: HISTORY_END_S + 86_400 * 7 } },
          apiVersion: 2,
        });
      if (i % 3 === 2)
        mutations.push({
          collection: 'regular_low',
          index: ['archive', chat.jid],
          action: { archiveChatAction: { archived: true, messageRange: range } },
          apiVersion: 3,
        });
      if (chat.kind === 'group')
        mutations.push({
          collection: 'regular_high',
          index: ['pin_v1', chat.jid],
          action: { pinAction: { pinned: true } },
          apiVersion: 5,
        });
    }
    for (const [i, m] of mutations.entries()) await this.#push(m, HISTORY_END_S - 86_400 + i);
  }

  async #push({ collection, index, action, apiVersion }: Mutation, timestampS: number): Promise<void> {
    const current = this.#collections.get(collection) ?? { state: newLTHashState(), patches: [] };
    const { patch, state } = await encodeSyncdPatch(
      { type: collection, index, syncAction: { ...action, timestamp: timestampS * 1000 }, apiVersion, operation: SET },
      this.keyId,
      current.state,
      async (id) => (id === this.keyId ? { keyData: this.#keyData } : undefined),
    );
    current.patches.push({ ...patch, version: { version: state.version } });
    current.state = state;
    this.#collections.set(collection, current);
  }
}

export interface AppStateResyncContext {
  readonly ev: BaileysEventEmitter & {
    createBufferedFunction: <A extends unknown[], T>(fn: (...a: A) => Promise<T>) => (...a: A) => Promise<T>;
  };
  readonly keys: SignalKeyStoreWithTransaction;
  readonly creds: AuthenticationCreds;
  readonly logger: ILogger;
  readonly server: AppStateServer;
}

/** chats.js `resyncAppState` against the simulated server. */
export function makeAppStateResync({ ev, keys, creds, logger, server }: AppStateResyncContext) {
  const getKey = async (id: string) => (await keys.get('app-state-sync-key', [id]))[id] ?? undefined;
  return ev.createBufferedFunction(async (collections: readonly WAPatchName[], isInitialSync: boolean) => {
    const mutations: Record<string, Parameters<typeof processSyncAction>[0]> = {};
    await keys.transaction(async () => {
      for (const name of collections) {
        const stored = (await keys.get('app-state-sync-version', [name]))[name];
        const state = stored ?? newLTHashState();
        const patches = await server.patchesAfter(name, state.version);
        if (!patches.length) continue;
        const decoded = await decodePatches(name, patches, state, getKey, {}, stored?.version, logger);
        await keys.set({ 'app-state-sync-version': { [name]: decoded.state } });
        Object.assign(mutations, decoded.mutationMap);
      }
    }, creds.me?.id || 'resync-app-state');
    const initial = isInitialSync ? { accountSettings: creds.accountSettings } : undefined;
    for (const key in mutations) processSyncAction(mutations[key]!, ev, creds.me!, initial, logger);
  });
}
