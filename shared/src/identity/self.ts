/**
 * Who we are: the one description of our own account's JIDs that every part of the domain takes
 * (normalisation, the alias resolver, pair validation, the write planner). It is required
 * everywhere: leaving it out used to be allowed and silently split threads (our own DMs' alternate
 * JIDs were dropped) or keyed our own reactions by a placeholder.
 */
import { jidUser, normalizeUserJid } from './jid.ts';

export interface SelfIdentity {
  /** Our phone-number JID (`creds.me.id`, `AccountDoc.me.id`); a device suffix is fine. */
  pn: string;
  /** Our LID (`creds.me.lid`, `AccountDoc.me.lid`), or null when the account has none yet. */
  lid: string | null;
}

/** The JID our own reactions and receipts are keyed by: our device-free phone-number JID. */
export function selfJid(self: SelfIdentity): string {
  return normalizeUserJid(self.pn) ?? self.pn;
}

const usersCache = new WeakMap<SelfIdentity, ReadonlySet<string>>();

/** The user parts of our JIDs (`491700000001`, `99000000001`): a JID is ours when its user is in here. */
export function selfUsers(self: SelfIdentity): ReadonlySet<string> {
  let users = usersCache.get(self);
  if (!users) {
    const set = new Set<string>();
    for (const jid of [self.pn, self.lid]) {
      const user = jid ? jidUser(jid) : undefined;
      if (user) set.add(user);
    }
    users = set;
    usersCache.set(self, users);
  }
  return users;
}

/** Whether `jid` (any device) is one of ours. */
export function isSelfJid(self: SelfIdentity, jid: string): boolean {
  const user = jidUser(jid);
  return user !== undefined && selfUsers(self).has(user);
}
