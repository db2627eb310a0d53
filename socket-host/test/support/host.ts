/** In-process socket hosts against the test Firestore, with a simulated WhatsApp. */
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import type { DocumentData } from 'firebase-admin/firestore';
import { firestoreHost, testDb } from '../../../test/support/firestore.ts';
import type { BackoffOptions } from '../../src/connection/backoff.ts';
import { type HostOverrides, loadHostConfig, type RunningHost, startHost } from '../../src/host.ts';
import { createLogger } from '../../src/log.ts';
import type { AccountEventConsumer } from '../../src/pipeline/consumer.ts';
import type { SimulatedWhatsApp } from '../../src/transport/simulated/simulator.ts';
import type { WhatsAppTransport } from '../../src/transport/types.ts';

export const TEST_TTL_MS = 5_000;

export interface TestHostOptions {
  hostId: string;
  simulator?: SimulatedWhatsApp;
  transport?: WhatsAppTransport;
  consumer?: AccountEventConsumer;
  backoff?: Partial<BackoffOptions>;
  env?: Record<string, string>;
  logLevel?: string;
  onBackfillScheduled?: HostOverrides['onBackfillScheduled'];
  commands?: HostOverrides['commands'];
}

export function startTestHost(options: TestHostOptions): Promise<RunningHost> {
  const config = loadHostConfig({
    PORT: '0',
    HOST_ID: options.hostId,
    FIRESTORE_EMULATOR_HOST: firestoreHost(),
    GCLOUD_PROJECT: 'demo-wasync',
    LEASE_TTL_MS: String(TEST_TTL_MS),
    WHATSAPP_TRANSPORT: 'simulated',
    ...options.env,
  });
  return startHost(config, createLogger(options.logLevel ?? process.env.WASYNC_TEST_LOG ?? 'silent'), {
    simulator: options.simulator,
    transport: options.transport,
    consumer: options.consumer,
    backoff: options.backoff,
    ...(options.onBackfillScheduled ? { onBackfillScheduled: options.onBackfillScheduled } : {}),
    ...(options.commands ? { commands: options.commands } : {}),
  });
}

export async function createAccount(accountId: string, extra: DocumentData = {}): Promise<void> {
  await testDb()
    .doc(paths.account(accountId))
    .set({ displayName: `Account ${accountId}`, connection: { state: 'idle', updatedAt: new Date() }, ...extra });
}

export async function account(accountId: string): Promise<DocumentData | undefined> {
  return (await testDb().doc(paths.account(accountId)).get()).data();
}

/** Polls the account document until `predicate` holds; returns it. */
export async function waitForAccount(
  accountId: string,
  predicate: (doc: DocumentData) => boolean,
  timeoutMs = 15_000,
): Promise<DocumentData> {
  const deadline = Date.now() + timeoutMs;
  let last: DocumentData | undefined;
  while (Date.now() < deadline) {
    last = await account(accountId);
    if (last && predicate(last)) return last;
    await sleep(50);
  }
  throw new Error(`account ${accountId} never matched; last: ${JSON.stringify(last?.connection)}`);
}

export const stateIs = (state: string) => (doc: DocumentData) => doc.connection?.state === state;
