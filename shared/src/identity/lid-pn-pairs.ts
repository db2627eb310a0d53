/**
 * LID ↔ phone-number pairs from every place Baileys reveals them, validated and normalised.
 *
 * Each adapter takes the plain shape Baileys hands over and returns only pairs that really link a
 * LID user to a PN user; everything else (groups, half-empty fields, two LIDs) is dropped, because
 * a wrong pair would merge two people's conversations (invariant I4 cuts both ways).
 *
 * `lidPnMappings` from `messaging-history.set` is deliberately not among the sources: Baileys'
 * event buffer drops it when it consolidates chunks (research brief §1), so the history adapters
 * read `chats[].pnJid/lidJid` and `contacts[].lid/phoneNumber` instead.
 */
import type { LidPnPair } from '../schema.ts';
import { isLidJid, isPnJid, normalizeJid, normalizeUserJid } from './jid.ts';
import type { SelfIdentity } from './self.ts';

/** A field value as Baileys delivers it: proto objects use `null` for unset strings. */
type MaybeJid = string | null | undefined;

export type PairCheck = { ok: true; pair: LidPnPair } | { ok: false; reason: string };

/**
 * The pair two JIDs form when one is a LID user and the other a phone-number user, in either order,
 * with both halves normalised (`getPNForLID` and live keys carry `:device` suffixes; the mapping is
 * per user, not per device); `undefined` otherwise. With `includeHosted` false only plain `@lid`
 * and `@s.whatsapp.net` / `@c.us` users count. No check against our own JIDs: see `checkLidPnPair`.
 */
export function lidPnPairOf(a: MaybeJid, b: MaybeJid, includeHosted = true): LidPnPair | undefined {
  if (!a || !b) return undefined;
  // Message normalisation calls this for every message with an alternate JID: no arrays, each half
  // classified once. A LID or PN user JID is one-to-one, so `normalizeJid` is its `normalizeUserJid`.
  const aIsLid = isLidJid(a, includeHosted);
  if (!aIsLid && !isLidJid(b, includeHosted)) return undefined;
  const pnRaw = aIsLid ? b : a;
  if (!isPnJid(pnRaw, includeHosted)) return undefined;
  const lid = normalizeJid(aIsLid ? a : b);
  const pn = normalizeJid(pnRaw);
  return lid && pn ? { lid, pn } : undefined;
}

/**
 * Validate two JIDs as one LID ↔ PN pair (`lidPnPairOf`), giving the reason when they are not.
 *
 * A pair that links exactly one of our own JIDs to someone else's is rejected:
 * on our own DMs Baileys may fill the alt field with OUR alt (its addressing-mode detection follows
 * our JID, `decode-wa-message.js:72-89`), and accepting that would merge a contact into our
 * "message yourself" chat. Our own PN ↔ our own LID is a valid pair.
 */
export function checkLidPnPair(a: MaybeJid, b: MaybeJid, self: SelfIdentity): PairCheck {
  if (!a || !b) return { ok: false, reason: 'missing half' };
  const pair = lidPnPairOf(a, b);
  if (!pair) return { ok: false, reason: 'not a LID user and a PN user' };
  const { lid, pn } = pair;
  const selfLid = self.lid ? normalizeUserJid(self.lid) : undefined;
  const selfPn = normalizeUserJid(self.pn);
  const lidIsSelf = selfLid !== undefined && lid === selfLid;
  const pnIsSelf = selfPn !== undefined && pn === selfPn;
  // Only decidable when both of our JIDs are known; otherwise the other half may be ours too.
  if (selfLid !== undefined && selfPn !== undefined && lidIsSelf !== pnIsSelf) {
    return { ok: false, reason: 'links our own JID to another user' };
  }
  return { ok: true, pair };
}

function collect(candidates: Iterable<[MaybeJid, MaybeJid]>, self: SelfIdentity): LidPnPair[] {
  const pairs: LidPnPair[] = [];
  for (const [a, b] of candidates) {
    const check = checkLidPnPair(a, b, self);
    if (check.ok) pairs.push(check.pair);
  }
  return pairs;
}

/**
 * Pairs that another module already extracted (live `key.remoteJidAlt` / `participantAlt`), or a
 * `lid-mapping.update` payload (`{lid, pn}`, `Types/Events.d.ts:46`; typed as one object, accepted
 * as a list too), re-validated here because both come from outside this module.
 */
export function pairsFromLidMappings(
  mappings: Iterable<{ lid?: MaybeJid; pn?: MaybeJid }> | { lid?: MaybeJid; pn?: MaybeJid },
  self: SelfIdentity,
): LidPnPair[] {
  const list = Symbol.iterator in mappings ? [...mappings] : [mappings];
  return collect(
    list.map((m) => [m.lid, m.pn]),
    self,
  );
}

/** The fields of a history `Conversation` (`messaging-history.set` → `chats`) that name the peer. */
export interface HistoryChatIds {
  id?: MaybeJid;
  pnJid?: MaybeJid;
  lidJid?: MaybeJid;
}

/**
 * Pairs from history chats: a LID chat with `pnJid`, a PN chat with `lidJid` (the same two cases
 * Baileys' `processHistoryMessage` uses, `Utils/history.js:56-78`), and `pnJid` + `lidJid` together.
 */
export function pairsFromHistoryChats(chats: Iterable<HistoryChatIds>, self: SelfIdentity): LidPnPair[] {
  const candidates: [MaybeJid, MaybeJid][] = [];
  for (const chat of chats) {
    candidates.push([chat.id, chat.pnJid], [chat.id, chat.lidJid], [chat.lidJid, chat.pnJid]);
  }
  return dedupe(collect(candidates, self));
}

/** The fields of a Baileys `Contact` that name the person. */
export interface ContactIds {
  id?: MaybeJid;
  lid?: MaybeJid;
  phoneNumber?: MaybeJid;
}

/**
 * Pairs from contacts (history `contacts`, app-state `contacts.upsert`): `id` is either form and
 * `lid` / `phoneNumber` carry the other. Baileys fills a history contact's `lid` from
 * `chat.lidJid || chat.accountLid`; `accountLid` is probably our own LID, which `self` rules out.
 */
export function pairsFromContacts(contacts: Iterable<ContactIds>, self: SelfIdentity): LidPnPair[] {
  const candidates: [MaybeJid, MaybeJid][] = [];
  for (const contact of contacts) {
    candidates.push([contact.id, contact.phoneNumber], [contact.id, contact.lid], [contact.lid, contact.phoneNumber]);
  }
  return dedupe(collect(candidates, self));
}

/** One entry per distinct pair, in first-seen order (one chat often yields the same pair twice). */
function dedupe(pairs: LidPnPair[]): LidPnPair[] {
  const seen = new Map<string, LidPnPair>();
  for (const pair of pairs) {
    const key = `${pair.lid} ${pair.pn}`;
    if (!seen.has(key)) seen.set(key, pair);
  }
  return [...seen.values()];
}
