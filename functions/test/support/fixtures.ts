/**
 * Test data in the shape of the data contract (DESIGN §3), written with the real firebase-admin
 * SDK to the test Firestore, and test users with real ID tokens from the Auth emulator.
 */
import { randomUUID } from 'node:crypto';
import { type MemberRole, type MessageType, messageDocId, paths, threadDocId } from '@wasync/shared';
import { type Firestore, Timestamp } from 'firebase-admin/firestore';
import { createTestUser, type TestUser } from '../../../test/support/auth-emulator.ts';
import { sharedEmulators } from '../../../test/support/emulators.ts';

export interface Persona extends TestUser {
  label: string;
  email: string;
}

/** A new Auth-emulator user (unique email per call) with an ID token carrying `claims`. */
export async function newUser(
  label: string,
  claims?: Record<string, unknown>,
  options: { emailVerified?: boolean } = {},
): Promise<Persona> {
  const { authHost } = await sharedEmulators();
  const email = `${label}-${randomUUID()}@example.com`;
  const user = await createTestUser(authHost, email, claims, options);
  return { ...user, label, email };
}

export async function seedAccount(
  db: Firestore,
  accountId: string,
  members: Record<string, MemberRole>,
  displayName = `Account ${accountId}`,
): Promise<void> {
  const batch = db.batch();
  batch.set(db.doc(paths.account(accountId)), {
    displayName,
    connection: { state: 'open', updatedAt: Timestamp.fromMillis(1_700_000_000_000) },
  });
  for (const [uid, role] of Object.entries(members)) batch.set(db.doc(paths.member(accountId, uid)), { role, uid });
  await batch.commit();
}

export interface SeededMessage {
  docId: string;
  threadId: string;
  timestamp: Timestamp;
}

export interface ThreadSeed {
  accountId: string;
  jid: string;
  count: number;
  /** Time of message i (default: one per second, newest last). */
  time?: (i: number) => Timestamp;
  fromMe?: (i: number) => boolean;
  type?: (i: number) => MessageType;
  /** Added to i in the WhatsApp ids, so later seeds of one thread add messages (default 0). */
  idOffset?: number;
}

const T0 = 1_700_000_000_000;

/** A thread document and `count` message documents under it, in batches of 500. */
export async function seedThread(db: Firestore, seed: ThreadSeed): Promise<SeededMessage[]> {
  const { accountId, jid, count } = seed;
  const threadId = threadDocId(jid);
  const time = seed.time ?? ((i: number) => Timestamp.fromMillis(T0 + i * 1000));
  const fromMe = seed.fromMe ?? ((i: number) => i % 3 === 0);
  const type = seed.type ?? (() => 'text' as MessageType);
  const messages: SeededMessage[] = [];
  const docs: [string, Record<string, unknown>][] = [];
  for (let i = 0; i < count; i++) {
    const id = `3EB0${(i + (seed.idOffset ?? 0)).toString(16).toUpperCase().padStart(18, '0')}`;
    const mine = fromMe(i);
    const docId = messageDocId(mine ? null : jid, mine, id);
    const timestamp = time(i);
    messages.push({ docId, threadId, timestamp });
    docs.push([
      paths.message(accountId, threadId, docId),
      {
        id,
        threadId,
        accountId,
        fromMe: mine,
        sender: mine ? null : jid,
        timestamp,
        type: type(i),
        text: `message ${i}`,
        status: 'delivered',
        source: 'history',
        updatedAt: timestamp,
      },
    ]);
  }
  const last = messages.reduce<SeededMessage | undefined>(
    (a, m) => (a === undefined || m.timestamp.toMillis() > a.timestamp.toMillis() ? m : a),
    undefined,
  );
  docs.push([
    paths.thread(accountId, threadId),
    {
      jid,
      aliases: [],
      kind: jid.endsWith('@g.us') ? 'group' : 'dm',
      name: `Chat ${jid}`,
      lastMessageAt: last?.timestamp ?? Timestamp.fromMillis(T0),
      lastMessage: { id: 'x', text: 'last', fromMe: false, type: 'text', status: 'delivered' },
      updatedAt: Timestamp.fromMillis(T0),
    },
  ]);
  for (let start = 0; start < docs.length; start += 500) {
    const batch = db.batch();
    for (const [path, data] of docs.slice(start, start + 500)) batch.set(db.doc(path), data);
    await batch.commit();
  }
  return messages;
}

/** The kinds of caller the authorization tests compare. */
export type Who = 'outsider' | 'viewer' | 'agent' | 'admin' | 'operator';

/**
 * One new user per kind of caller: the operator carries the claim, the others are plain users
 * that `seedAccount` makes members (or not: the outsider).
 */
export async function newPeople(): Promise<Record<Who, Persona>> {
  const [outsider, viewer, agent, admin, operator] = await Promise.all([
    newUser('outsider'),
    newUser('viewer'),
    newUser('agent'),
    newUser('admin'),
    newUser('operator', { operator: true }),
  ]);
  return { outsider, viewer, agent, admin, operator };
}
