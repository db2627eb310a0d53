/**
 * Names in a Baileys event map, as planner `NameEvent`s (the planner keeps a name document per JID
 * and names threads from them, `planner/names.ts`):
 * - contacts (history `contacts[]`, `contacts.upsert`, `contacts.update`): `name` is the contact
 *   name the account saved (history fills it from the chat's display name) — a group's subject
 *   when the JID is a group —, `notify` the push name, `verifiedName` the business's verified name;
 * - groups (`groups.upsert`, `groups.update` — also what `groupFetchAllParticipating` emits —,
 *   and group `chats.upsert` / `chats.update`): the subject.
 * Every name is ordered by the receive time of the event that carried it — the latest observation
 * wins — never by a time WhatsApp reports (`subjectTime`): history carries none, and comparing two
 * clocks would let an old history chunk, replayed, bring an old subject back. Our own JIDs and
 * Status are never named.
 */
import type { BaileysEventMap } from '@whiskeysockets/baileys';
import { jidCategory, normalizeJid } from '../identity/jid.ts';
import { isSelfJid, type SelfIdentity } from '../identity/self.ts';
import type { NameEvent } from '../planner/types.ts';
import type { EpochMs, NameSource } from '../schema.ts';
import { asFields, type Fields, nonEmptyString } from './fields.ts';

type Events = Partial<BaileysEventMap>;

class Names {
  readonly events: NameEvent[] = [];

  constructor(
    private readonly receivedAt: EpochMs,
    private readonly self: SelfIdentity,
  ) {}

  add(rawJid: unknown, source: NameSource, rawName: unknown): void {
    const name = nonEmptyString(typeof rawName === 'string' ? rawName.trim() : rawName);
    const raw = nonEmptyString(rawJid);
    if (!name || !raw) return;
    const category = jidCategory(raw);
    if (!category || category === 'status') return;
    const jid = normalizeJid(raw);
    if (!jid || (category === 'dm' && isSelfJid(this.self, jid))) return;
    // A group is named by its subject, whichever field carried it.
    const kind: NameSource = category === 'dm' ? source : 'subject';
    this.events.push({ kind: 'name', receivedAt: this.receivedAt, jid, source: kind, name, at: this.receivedAt });
  }

  contact(contact: Fields): void {
    this.add(contact.id, 'contact', contact.name);
    this.add(contact.id, 'push', contact.notify);
    this.add(contact.id, 'verified', contact.verifiedName);
  }

  group(group: Fields): void {
    this.add(group.id, 'subject', group.subject);
  }
}

/** The name events of one event map (receive time `receivedAt`). */
export function nameEventsOf(events: Events, receivedAt: EpochMs, self: SelfIdentity): NameEvent[] {
  const names = new Names(receivedAt, self);
  const lists: unknown[] = [
    events['messaging-history.set']?.contacts,
    events['contacts.upsert'],
    events['contacts.update'],
  ];
  for (const list of lists)
    for (const contact of Array.isArray(list) ? list : []) names.contact(asFields(contact) ?? {});
  for (const list of [events['groups.upsert'], events['groups.update']]) {
    for (const group of Array.isArray(list) ? list : []) names.group(asFields(group) ?? {});
  }
  for (const list of [events['chats.upsert'], events['chats.update']]) {
    for (const chat of Array.isArray(list) ? list : []) {
      const fields = asFields(chat) ?? {};
      if (jidCategory(String(fields.id ?? '')) === 'group') names.add(fields.id, 'subject', fields.name);
    }
  }
  return names.events;
}
