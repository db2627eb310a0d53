/**
 * Decrypt-path key writes per second for one account: real Signal sessions (Baileys'
 * `makeLibSignalRepository` over `addTransactionCapability`, as the socket builds them) between
 * contacts kept in memory and the account, whose key store is the host's Firestore store under a
 * real lease fence. Every decrypted message writes its session key inside Baileys' key-store mutex.
 *
 * Measured in the same run, against the embedded emulator with BENCH_KEY_RTT_MS added to every
 * request (loopback answers in about a millisecond, Firestore from Cloud Run in several):
 * - `direct`: one fenced commit per key write (the store's path before the write-behind buffer,
 *   kept as `keyWrites: 'direct'`);
 * - `buffered`: the default write-behind buffer; timed until every write has landed (flushed).
 *
 * Knobs: BENCH_KEY_MESSAGES (1500 buffered), BENCH_KEY_DIRECT_MESSAGES (200), BENCH_KEY_CONTACTS
 * (10), BENCH_KEY_RTT_MS (5).
 */

import { randomBytes } from 'node:crypto';
import {
  type AuthenticationState,
  addTransactionCapability,
  generateSignalPubKey,
  getNextPreKeys,
  type SignalDataSet,
} from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT, startFirestoreBackend } from '../scripts/lib/firestore-backend.ts';
import { paths } from '../shared/src/schema.ts';
import { leaseFence } from '../socket-host/src/accounts/fence.ts';
import { Keyring } from '../socket-host/src/auth-state/crypto.ts';
import { AccountAuthStore } from '../socket-host/src/auth-state/store.ts';
import { createLogger } from '../socket-host/src/log.ts';
import { memoryAuthState } from '../socket-host/test/support/memory-auth.ts';
import { type FirestoreMeter, meterFirestore } from './sync/meter.ts';
import type { Emit } from './types.ts';

const MESSAGES = Number(process.env.BENCH_KEY_MESSAGES ?? 1500);
const DIRECT_MESSAGES = Number(process.env.BENCH_KEY_DIRECT_MESSAGES ?? 200);
const CONTACTS = Number(process.env.BENCH_KEY_CONTACTS ?? 10);
const RTT_MS = Number(process.env.BENCH_KEY_RTT_MS ?? 5);
const HOLDER = 'bench-host';
const ACCOUNT_JID = '15550009999@s.whatsapp.net';

const log = createLogger('silent');
const round = (x: number) => Math.round(x * 1000) / 1000;

type Repository = ReturnType<typeof makeLibSignalRepository>;

/** A Signal party as the socket builds one: its key store behind Baileys' transaction wrapper. */
function party(state: AuthenticationState): Repository {
  const keys = addTransactionCapability(state.keys, log, { maxCommitRetries: 10, delayBetweenTriesMs: 3000 });
  return makeLibSignalRepository({ creds: state.creds, keys }, log);
}

/** The account's pre-key bundle, as WhatsApp hands it to a contact starting a session. */
async function bundle(state: AuthenticationState) {
  const { creds } = state;
  const { update, preKeys } = await getNextPreKeys(state, 1);
  Object.assign(creds, update);
  const [id, preKey] = Object.entries(preKeys)[0]!;
  return {
    registrationId: creds.registrationId,
    identityKey: generateSignalPubKey(creds.signedIdentityKey.public),
    signedPreKey: {
      keyId: creds.signedPreKey.keyId,
      publicKey: generateSignalPubKey(creds.signedPreKey.keyPair.public),
      signature: creds.signedPreKey.signature,
    },
    preKey: { keyId: Number(id), publicKey: generateSignalPubKey(preKey.public) },
  };
}

interface Figures {
  messages: number;
  keyWrites: number;
  seconds: number;
  commits: number;
}

/**
 * `contacts` open sessions with the account (one exchange each, so later messages are plain
 * `msg`s), then send `messages` round-robin; the account decrypts them one at a time, as
 * messages-recv.js does under its message mutex. Only the decryption is timed.
 */
async function run(
  db: Firestore,
  meter: FirestoreMeter,
  mode: 'direct' | 'buffered',
  messages: number,
): Promise<Figures> {
  const accountId = `bench-keys-${mode}-${Date.now()}`;
  await db.doc(paths.lease(accountId)).set({ holder: HOLDER, epoch: 1 });
  const fence = leaseFence(db, accountId, HOLDER, 1);
  const store = new AccountAuthStore(
    { db, keyring: new Keyring(randomBytes(32)), log, ...(mode === 'direct' ? { keyWrites: 'direct' as const } : {}) },
    accountId,
    fence,
  );
  const { state } = await store.load();
  let keyWrites = 0;
  const counted: AuthenticationState = {
    creds: state.creds,
    keys: {
      get: (type, ids) => state.keys.get(type, ids),
      set: (data: SignalDataSet) => {
        for (const values of Object.values(data)) keyWrites += Object.keys(values ?? {}).length;
        return state.keys.set(data);
      },
    },
  };
  const account = party(counted);
  const contacts = Array.from({ length: CONTACTS }, (_, i) => ({
    // LID-addressed, as WhatsApp addresses most 1:1 messages now (a PN sender without a known LID
    // costs a `lid-mapping` lookup per message, which no cache keeps).
    jid: `9988770${String(i).padStart(4, '0')}@lid`,
    repo: party(memoryAuthState()),
  }));
  for (const contact of contacts) {
    await contact.repo.injectE2ESession({ jid: ACCOUNT_JID, session: await bundle(counted) });
    const hello = await contact.repo.encryptMessage({ jid: ACCOUNT_JID, data: Buffer.from('hello') });
    await account.decryptMessage({ jid: contact.jid, ...hello });
    const reply = await account.encryptMessage({ jid: contact.jid, data: Buffer.from('hi') });
    await contact.repo.decryptMessage({ jid: ACCOUNT_JID, ...reply });
  }
  const ciphertexts = [];
  for (let i = 0; i < messages; i++) {
    const contact = contacts[i % contacts.length]!;
    const data = Buffer.from(`message ${i} with a little text to look like a real chat line`);
    ciphertexts.push({ jid: contact.jid, ...(await contact.repo.encryptMessage({ jid: ACCOUNT_JID, data })) });
  }
  await store.flush();
  keyWrites = 0;
  const commitsBefore = meter.commits;
  meter.delayMs = RTT_MS;
  const started = performance.now();
  try {
    for (const message of ciphertexts) {
      const plain = await account.decryptMessage(message);
      if (!plain) throw new Error('decryption returned nothing');
    }
    await store.flush();
  } finally {
    meter.delayMs = 0;
  }
  const seconds = (performance.now() - started) / 1000;
  return { messages, keyWrites, seconds, commits: meter.commits - commitsBefore };
}

export default async function bench(emit: Emit): Promise<void> {
  const backend = await startFirestoreBackend();
  process.env.FIRESTORE_EMULATOR_HOST = backend.host; // read when the client is created
  const app = initializeApp({ projectId: DEMO_PROJECT }, 'bench-key-writes');
  try {
    const db = getFirestore(app);
    const meter = meterFirestore(db);
    await run(db, meter, 'buffered', 50); // JIT and connection warm-up
    const direct = await run(db, meter, 'direct', DIRECT_MESSAGES);
    const buffered = await run(db, meter, 'buffered', MESSAGES);
    const rate = (f: Figures) => f.keyWrites / f.seconds;
    const common = { rtt_ms: RTT_MS, contacts: CONTACTS, backend: 'embedded' };
    emit({
      metric: 'auth.key_writes.decrypt_path',
      value: round(rate(buffered)),
      unit: 'key writes/s',
      ...common,
      messages: buffered.messages,
      messages_per_s: round(buffered.messages / buffered.seconds),
      commits_per_1k_messages: round((buffered.commits / buffered.messages) * 1000),
      direct: round(rate(direct)),
      direct_messages: direct.messages,
      direct_messages_per_s: round(direct.messages / direct.seconds),
      direct_commits_per_1k_messages: round((direct.commits / direct.messages) * 1000),
      vs_direct: round(rate(buffered) / rate(direct)),
    });
  } finally {
    await deleteApp(app);
    await backend.stop();
  }
}
