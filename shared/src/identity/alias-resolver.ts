/**
 * One thread per conversation across LID / phone-number aliases (DESIGN §3, invariant I4).
 *
 * WhatsApp shows one person under two user JIDs: a phone-number JID (`…@s.whatsapp.net`) and a
 * LID (`…@lid`). Incoming messages may arrive as `@lid` while replies sent from the phone arrive as
 * `@s.whatsapp.net` (Baileys #1832, #1752), so without a mapping one chat splits into two threads.
 *
 * Model: every learned pair is an edge; the JIDs linked by edges form one identity (connected
 * components, kept with a small union-find). The canonical JID of an identity is its
 * **phone-number JID** — the research decision: keep the PN as the thread key, the LID as an alias,
 * resolve when writing (copying WAHA's `lid_map`, but at write time instead of read time). An
 * identity without a known PN is a lone JID and is its own canonical JID.
 *
 * Everything here depends only on the SET of pairs seen, never on their order: components are
 * order-independent, and the canonical JID is the minimum of the component under a fixed order
 * (`comparePreference`). That is what makes replays and late or reordered mappings converge (I1).
 *
 * Known limitation: a phone number recycled to a new person links two LIDs through one PN and
 * merges both people's threads. WhatsApp offers no signal to tell this from a LID migration, and
 * merges are not undone.
 */
import { threadDocId } from '../ids.ts';
import type { LidPnPair } from '../schema.ts';
import { jidCategory, jidServer, normalizeUserJid } from './jid.ts';
import { checkLidPnPair } from './lid-pn-pairs.ts';
import type { SelfIdentity } from './self.ts';

/** A thread named by its canonical JID and its doc id (`threadDocId(jid)`). */
export interface ThreadRef {
  threadId: string;
  jid: string;
}

/**
 * Move everything of `absorbed` into `survivor`, then delete `absorbed`. `survivor` may not
 * exist yet (a LID thread created before its PN was known moves to the PN thread).
 */
export interface ThreadMergePlan {
  survivor: ThreadRef;
  absorbed: ThreadRef;
  /** The survivor's full `aliases` after the merge. */
  aliases: string[];
}

/** An existing (or merge-created) canonical thread whose `aliases` field must be rewritten. */
export interface AliasUpdate {
  thread: ThreadRef;
  aliases: string[];
}

/**
 * A JID whose canonical form changed. Message doc ids contain the canonical sender
 * (`messageDocId`), so messages stored with `before` as sender — in groups too — now have a stale
 * doc id; see `rekeyMessage`.
 */
export interface CanonicalChange {
  jid: string;
  before: string;
  after: string;
}

/** A pair that was not accepted, with the reason, for logging (I8). */
export interface IgnoredPair {
  pair: Partial<LidPnPair>;
  reason: string;
}

/** What one `add` changed. Replaying pairs that are already known yields all-empty lists. */
export interface AliasChange {
  canonicalChanges: CanonicalChange[];
  merges: ThreadMergePlan[];
  aliasUpdates: AliasUpdate[];
  ignored: IgnoredPair[];
}

/** Tells whether a thread with this canonical JID exists (e.g. `(jid) => knownThreads.has(jid)`). */
export type ThreadExists = (jid: string) => boolean;

/** Maps a JID to its canonical JID; `AliasResolver.canonical` is one. */
export type CanonicalJid = (jid: string) => string;

interface Identity {
  members: Set<string>;
  canonical: string;
}

/** Phone numbers first (the decision above), plain before hosted; then by code units. */
const SERVER_PREFERENCE = ['s.whatsapp.net', 'hosted', 'lid', 'hosted.lid'];

function serverPreference(jid: string): number {
  const index = SERVER_PREFERENCE.indexOf(jidServer(jid) ?? '');
  return index < 0 ? SERVER_PREFERENCE.length : index;
}

/** Plain code-unit order, for every list this module returns (same as `Array#sort`). */
function compareJids(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on normalised user JIDs; the canonical JID of an identity is its minimum. */
function comparePreference(a: string, b: string): number {
  return serverPreference(a) - serverPreference(b) || compareJids(a, b);
}

function threadRef(jid: string): ThreadRef {
  return { threadId: threadDocId(jid), jid };
}

/**
 * Resolves any chat or user JID to its canonical JID and plans thread merges when a late mapping
 * links two threads. Holds only pairs (no I/O); persist the pairs and rebuild it from them.
 */
export class AliasResolver {
  readonly #self: SelfIdentity;
  /** Member JID → its identity. Identities are shared objects; a JID without an entry is alone. */
  readonly #identities = new Map<string, Identity>();

  /**
   * @param options.self our own account's JIDs, used to reject pairs that link us to someone else.
   * @param options.pairs pairs known already (e.g. persisted ones); invalid ones are ignored.
   */
  constructor(options: { self: SelfIdentity; pairs?: Iterable<Partial<LidPnPair>> }) {
    this.#self = options.self;
    // Our own LID and phone number are one identity, so our own JIDs resolve like anyone's.
    this.add([{ lid: options.self.lid ?? undefined, pn: options.self.pn }].filter((pair) => pair.lid));
    if (options.pairs) this.add(options.pairs);
  }

  /**
   * The canonical JID for a chat or user JID. Groups, broadcast lists, newsletters and Status
   * keep their JID. One-to-one JIDs are normalised (device suffix dropped, `c.us` →
   * `s.whatsapp.net`) and mapped to the identity's phone-number JID when a mapping is known.
   * Unparseable input is returned as given. A bound function, so it can be passed around.
   */
  readonly canonical: CanonicalJid = (jid) => {
    const user = normalizeUserJid(jid);
    if (user === undefined) return jid;
    return this.#identities.get(user)?.canonical ?? user;
  };

  /** The other JIDs of `jid`'s identity (never the canonical one), sorted by code units: `ThreadDoc.aliases`. */
  aliasesOf(jid: string): string[] {
    const canonical = this.canonical(jid);
    const identity = this.#identities.get(canonical);
    if (!identity) return [];
    return [...identity.members].filter((member) => member !== canonical).sort();
  }

  /**
   * Learn pairs. Invalid pairs are skipped and reported in `ignored`. For every identity that
   * grew, reports which JIDs changed canonical form, which existing threads must be merged into
   * the canonical thread (`threadExists` answers for JIDs of existing threads) and which
   * canonical threads need their `aliases` rewritten.
   *
   * Apply the returned merges before calling `add` again with a `threadExists` that reflects them
   * (a survivor exists afterwards, an absorbed thread does not). If applying fails, the same plans
   * come back from `mergePlansFor` — they are a function of the pairs and the existing threads.
   */
  add(pairs: Iterable<Partial<LidPnPair>>, threadExists: ThreadExists = () => false): AliasChange {
    const ignored: IgnoredPair[] = [];
    const canonicalBefore = new Map<string, string>();
    const grown = new Set<string>();
    for (const raw of pairs) {
      const check = checkLidPnPair(raw.lid, raw.pn, this.#self);
      if (!check.ok) {
        ignored.push({ pair: { ...raw }, reason: check.reason });
        continue;
      }
      const { lid, pn } = check.pair;
      const a = this.#identityOf(lid);
      const b = this.#identityOf(pn);
      if (a === b) continue;
      for (const member of [...a.members, ...b.members]) {
        if (!canonicalBefore.has(member)) canonicalBefore.set(member, this.canonical(member));
      }
      this.#union(a, b);
      grown.add(lid);
    }

    const canonicalChanges: CanonicalChange[] = [];
    for (const [jid, before] of canonicalBefore) {
      const after = this.canonical(jid);
      if (after !== before) canonicalChanges.push({ jid, before, after });
    }
    canonicalChanges.sort((x, y) => compareJids(x.jid, y.jid));

    const merges: ThreadMergePlan[] = [];
    const aliasUpdates: AliasUpdate[] = [];
    const identities = new Set([...grown].map((jid) => this.#identityOf(jid)));
    for (const identity of [...identities].sort((x, y) => compareJids(x.canonical, y.canonical))) {
      const plans = this.mergePlansFor([...identity.members].filter((member) => threadExists(member)));
      merges.push(...plans);
      if (plans.length > 0 || threadExists(identity.canonical)) {
        aliasUpdates.push({ thread: threadRef(identity.canonical), aliases: this.aliasesOf(identity.canonical) });
      }
    }
    return { canonicalChanges, merges, aliasUpdates, ignored };
  }

  /**
   * Merge plans for existing threads whose JID is no longer canonical, e.g. at start-up after
   * rebuilding the resolver from persisted pairs. Sorted by the absorbed JID; empty when
   * every given thread is canonical.
   */
  mergePlansFor(threadJids: Iterable<string>): ThreadMergePlan[] {
    const plans = new Map<string, ThreadMergePlan>();
    for (const jid of threadJids) {
      if (jidCategory(jid) !== 'dm') continue;
      const canonical = this.canonical(jid);
      if (canonical === jid || plans.has(jid)) continue;
      plans.set(jid, { survivor: threadRef(canonical), absorbed: threadRef(jid), aliases: this.aliasesOf(canonical) });
    }
    return [...plans.values()].sort((x, y) => compareJids(x.absorbed.jid, y.absorbed.jid));
  }

  /** The identity of a normalised user JID, created alone if unseen. */
  #identityOf(jid: string): Identity {
    let identity = this.#identities.get(jid);
    if (!identity) {
      identity = { members: new Set([jid]), canonical: jid };
      this.#identities.set(jid, identity);
    }
    return identity;
  }

  /** Union by size; the canonical JID is the preferred of the two canonical JIDs. */
  #union(a: Identity, b: Identity): void {
    const [large, small] = a.members.size >= b.members.size ? [a, b] : [b, a];
    for (const member of small.members) {
      large.members.add(member);
      this.#identities.set(member, large);
    }
    if (comparePreference(small.canonical, large.canonical) < 0) large.canonical = small.canonical;
  }
}
