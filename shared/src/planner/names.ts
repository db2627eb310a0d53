/**
 * Names as joins: a name document keeps, per source, the latest name by its time (ties: the larger
 * name), and a thread's name is the best one any of its JIDs has — for one-to-one chats the
 * contact name, else the push name, else the verified name; for groups (and newsletters, broadcast
 * lists) the subject — the latest of that source. "Best" is a total order (source, then time, then
 * the name itself), so the thread only needs to keep its winner (`name` and `nameFrom`) to join
 * every later name into it: any order and any replay give the same thread name, and a name never
 * goes back to a worse source.
 */
import type { EpochMs, NameDoc, NameSource, ThreadDoc, ThreadKind } from '../schema.ts';
import { sameContent } from './equal.ts';
import type { NameEvent } from './types.ts';

type Named = { name: string; at: EpochMs };

/** A thread's name and where it came from (`ThreadDoc.name` and `ThreadDoc.nameFrom`). */
export interface ThreadName extends Named {
  source: NameSource;
}

const DM_ORDER: readonly NameSource[] = ['contact', 'push', 'verified'];
const GROUP_ORDER: readonly NameSource[] = ['subject', 'contact', 'push', 'verified'];

function later<N extends Named>(a: N | undefined, b: N | undefined): N | undefined {
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

/** The name a stored thread carries; undefined when it has none or was named before `nameFrom` existed. */
export function nameOfThread(thread: ThreadDoc | undefined): ThreadName | undefined {
  if (thread?.name === undefined || thread.nameFrom === undefined) return undefined;
  return { name: thread.name, ...thread.nameFrom };
}

/** The thread fields that carry `name`. */
export function nameFields({ name, source, at }: ThreadName): Pick<ThreadDoc, 'name' | 'nameFrom'> {
  return { name, nameFrom: { source, at } };
}

/** The better of two names for a thread of `kind` (a source that does not name such threads loses). */
export function betterName(
  kind: ThreadKind,
  a: ThreadName | undefined,
  b: ThreadName | undefined,
): ThreadName | undefined {
  const order = kind === 'dm' ? DM_ORDER : GROUP_ORDER;
  const rank = (n: ThreadName | undefined) => (n ? order.indexOf(n.source) : -1);
  const [ra, rb] = [rank(a), rank(b)];
  if (ra < 0 || rb < 0) return ra < 0 ? (rb < 0 ? undefined : b) : a;
  if (ra !== rb) return ra < rb ? a : b;
  return later(a, b);
}

/**
 * The name of a thread of `kind`: the best of the name it carries (`current`) and those in the name
 * documents of its JIDs; undefined when there is none.
 */
export function threadName(
  kind: ThreadKind,
  current: ThreadName | undefined,
  docs: Iterable<NameDoc | undefined>,
): ThreadName | undefined {
  let best = betterName(kind, current, undefined);
  for (const doc of docs) {
    if (!doc) continue;
    for (const [source, named] of Object.entries(doc.names) as Array<[NameSource, Named | undefined]>) {
      if (named) best = betterName(kind, best, { name: named.name, at: named.at, source });
    }
  }
  return best;
}
