/**
 * Names as joins: a name document keeps, per source, the latest name by its time (ties: the larger
 * name), and a thread's name is the best source any of its JIDs has — for one-to-one chats the
 * contact name, else the push name, else the verified name; for groups (and newsletters, broadcast
 * lists) the subject. Both only depend on the set of names seen, so any order and any replay give
 * the same thread name, and a name never goes back to a worse source.
 */
import type { EpochMs, NameDoc, NameSource, ThreadKind } from '../schema.ts';
import { sameContent } from './equal.ts';
import type { NameEvent } from './types.ts';

type Named = { name: string; at: EpochMs };

const DM_ORDER: readonly NameSource[] = ['contact', 'push', 'verified'];
const GROUP_ORDER: readonly NameSource[] = ['subject', 'contact', 'push', 'verified'];

function later(a: Named | undefined, b: Named | undefined): Named | undefined {
  if (!a || !b) return a ?? b;
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return a.name >= b.name ? a : b;
}

/** `doc` with `event` joined in; the same object when nothing changed. */
export function joinName(doc: NameDoc | undefined, event: NameEvent, now: EpochMs): NameDoc {
  const current = doc?.names[event.source];
  const best = later(current, { name: event.name, at: event.at });
  if (doc && best === current) return doc;
  return { jid: event.jid, names: { ...doc?.names, [event.source]: best }, updatedAt: now };
}

/** Whether two name documents hold the same names. */
export function sameNames(a: NameDoc | undefined, b: NameDoc | undefined): boolean {
  return a !== undefined && b !== undefined && sameContent(a, b);
}

/** The name of a thread of `kind` from the name documents of its JIDs; undefined when none has one. */
export function threadName(kind: ThreadKind, docs: Iterable<NameDoc | undefined>): string | undefined {
  const all = [...docs].filter((doc): doc is NameDoc => doc !== undefined);
  for (const source of kind === 'dm' ? DM_ORDER : GROUP_ORDER) {
    let best: Named | undefined;
    for (const doc of all) best = later(best, doc.names[source]);
    if (best) return best.name;
  }
  return undefined;
}
