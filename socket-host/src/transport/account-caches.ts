/**
 * The caches Baileys lets its user own (`SocketConfig.msgRetryCounterCache`, `cachedGroupMetadata`),
 * made once per account session and handed to every socket of it, so they outlive reconnects.
 * Left to Baileys, each `makeWASocket` makes its own and a reconnect forgets them:
 *
 * - `msgRetryCounterCache` (messages-recv.js) counts the retry receipts sent per message it could
 *   not decrypt, and stops asking after `maxMsgRetryCount`. Reset by every reconnect — and a failed
 *   decryption often ends in one — the count starts again, and a message that cannot be decrypted
 *   is asked for again and again.
 * - `cachedGroupMetadata` (messages-send.js) is where `relayMessage` looks for a group's
 *   participants before it encrypts for them; without it every group send queries WhatsApp for the
 *   group first. Filled from what the socket emits — the group list the pipeline fetches after each
 *   connect (`groups.update` with every group), new groups (`groups.upsert`) — and, on a miss, by
 *   one `groupMetadata` query whose answer is kept. A participant change drops the group's entry
 *   (the next send asks WhatsApp), so a send never encrypts for a stale member list.
 */
import NodeCache from '@cacheable/node-cache';
import { type BaileysEventMap, type CacheStore, DEFAULT_CACHE_TTLS, type GroupMetadata } from '@whiskeysockets/baileys';

/** How long a group's metadata is trusted without a participant event (Baileys' README: minutes). */
export const GROUP_METADATA_TTL_S = 10 * 60;

export class AccountSocketCaches {
  /**
   * Same TTL and cloning as the cache Baileys would make itself. Baileys' `CacheStore.get<T>` lets
   * the caller name the type; a cache of `never` is what satisfies that (it holds numbers).
   */
  readonly msgRetryCounterCache: CacheStore = new NodeCache<never>({
    stdTTL: DEFAULT_CACHE_TTLS.MSG_RETRY,
    useClones: false,
  });
  readonly #groups = new NodeCache<GroupMetadata>({ stdTTL: GROUP_METADATA_TTL_S, useClones: false });

  /** @param fetchGroup asks WhatsApp for one group (the live socket's `groupMetadata`); undefined: no socket. */
  constructor(private readonly fetchGroup: (jid: string) => Promise<GroupMetadata> | undefined) {}

  /** Baileys' `cachedGroupMetadata`. */
  readonly cachedGroupMetadata = async (jid: string): Promise<GroupMetadata | undefined> => {
    const cached = this.#groups.get(jid);
    if (cached) return cached;
    // On failure Baileys queries by itself (and fails the same way if the socket is gone).
    const fetched = await this.fetchGroup(jid)?.catch(() => undefined);
    if (fetched?.participants) this.#groups.set(jid, fetched);
    return fetched;
  };

  /** Learns from every event map of the account's sockets. */
  observe(events: Partial<BaileysEventMap>): void {
    for (const group of events['groups.upsert'] ?? []) this.#groups.set(group.id, group);
    for (const update of events['groups.update'] ?? []) {
      if (!update.id) continue;
      if (update.participants) {
        // `groupFetchAllParticipating` emits whole groups as updates.
        this.#groups.set(update.id, { ...this.#groups.get(update.id), ...update } as GroupMetadata);
      } else {
        // Subject, settings, …: merged into a known group (TTL restarts; the member list is unchanged).
        const known = this.#groups.get(update.id);
        if (known) this.#groups.set(update.id, { ...known, ...update });
      }
    }
    const participants = events['group-participants.update'];
    if (participants) this.#groups.del(participants.id);
  }

  /** Stops the caches' expiry timers (the session ends). */
  close(): void {
    this.msgRetryCounterCache.close?.();
    this.#groups.close();
  }
}
