/** Account writers on the test Firestore for the writer's tests: a fixed clock, fast retries. */
import type { Firestore } from 'firebase-admin/firestore';
import { SELF } from '../../../shared/test/support/baileys-feed.ts';
import { T } from '../../../shared/test/support/world.ts';
import { testDb } from '../../../test/support/firestore.ts';
import { type Fence, unfenced } from '../../src/accounts/fence.ts';
import { createLogger } from '../../src/log.ts';
import { AccountWriter, type WriterOptions } from '../../src/pipeline/writer/account-writer.ts';

/** The writers' clock: an hour after the shared fixtures' time. */
export const NOW = (T + 3600) * 1000;

const log = createLogger('silent');

/** A writer of `accountId` (unfenced unless `fence`), reading and writing through `db`. */
export function openWriter(
  accountId: string,
  fence: Fence = unfenced(testDb(), accountId),
  options: Partial<WriterOptions> = {},
  db: Firestore = testDb(),
): Promise<AccountWriter> {
  return AccountWriter.open({
    db,
    accountId,
    fence,
    self: () => SELF,
    log,
    options: { now: () => NOW, retry: { baseMs: 1, maxMs: 5 }, ...options },
  });
}

/** `db` with its `getAll` (the writer's batched reads) replaced: to inject read failures and delays. */
export function withGetAll(db: Firestore, getAll: Firestore['getAll']): Firestore {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'getAll') return getAll;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
