/**
 * The dashboard's view of the accounts a caller may see (`GET /api/whatsapp/dashboard/accounts`):
 * the account listing (operators: every account; members: theirs, with their role) joined with
 * what the page shows beside each — thread and message counts, and for admins and operators the
 * host holding it (its lease: server-only data, operations' business) and, while the account
 * pairs, the QR and pairing code.
 *
 * Each item is built field by field from the documented fields (an allow-list): whatever else a
 * writer puts on an account document does not reach the page. One page costs the listing's reads
 * (which brings the pairing secrets for admins of pairing accounts) plus one batched read of the
 * leases and, at most every COUNTS_TTL_MS per account, two aggregate counts.
 */
import type { AccountDoc } from '@wasync/shared';
import type { AccountItem } from '@wasync/shared/client';
import type { Firestore } from 'firebase-admin/firestore';
import { type Caller, isOperator, roleAllows } from '../access/authorize.js';
import { listAccounts } from '../queries/accounts.js';
import type { PageRequest } from '../queries/page.js';
import { mayReadPairing, type Pairing } from '../queries/pairing.js';
import type { DashboardAccount, DashboardAccountsPage } from './contract.js';
import type { AccountCounts, CountCache } from './counts.js';
import { type AccountHost, readHosts } from './leases.js';

export async function dashboardAccounts(
  db: Firestore,
  caller: Caller,
  page: PageRequest,
  counts: CountCache,
): Promise<DashboardAccountsPage> {
  const { accounts, nextCursor } = await listAccounts(db, caller, page);
  const ids = accounts.map((a) => a.accountId);
  const hostIds = accounts.filter((a) => roleAllows(a.role, 'admin')).map((a) => a.accountId);
  const [hosts, accountCounts] = await Promise.all([
    readHosts(db, hostIds),
    Promise.all(ids.map((id) => counts.get(db, id))),
  ]);
  return {
    accounts: accounts.map((item, i) =>
      dashboardAccount(item, hosts.get(item.accountId), item.pairing, accountCounts[i]!),
    ),
    ...(nextCursor === undefined ? {} : { nextCursor }),
    operator: isOperator(caller),
    serverTime: Date.now(),
  };
}

function dashboardAccount(
  item: AccountItem,
  host: AccountHost | undefined,
  pairing: Pairing | undefined,
  counts: AccountCounts,
): DashboardAccount {
  const { connection } = item;
  return {
    accountId: item.accountId,
    displayName: item.displayName,
    role: item.role,
    ...defined({ phone: item.phone, me: item.me && pickMe(item.me) }),
    connection: {
      state: connection.state,
      ...defined({ lastError: connection.lastError }),
      updatedAt: connection.updatedAt,
    },
    ...(pairing && mayReadPairing(item.role) ? { pairing } : {}),
    ...(roleAllows(item.role, 'admin') ? { host: host ?? null } : {}),
    ...defined({
      lastConnectedAt: item.lastConnectedAt,
      lastHistorySyncAt: item.lastHistorySyncAt,
      historySync: item.historySync && pickHistorySync(item.historySync),
      lastBackfillAt: item.lastBackfillAt,
      backfill: item.backfill && pickBackfill(item.backfill),
    }),
    counts,
  };
}

function pickMe(me: NonNullable<AccountDoc['me']>): NonNullable<AccountDoc['me']> {
  return { id: me.id, ...defined({ lid: me.lid, name: me.name }) };
}

function pickHistorySync(h: NonNullable<AccountDoc['historySync']>): NonNullable<AccountDoc['historySync']> {
  const { syncType, progress, chunks, messages, isLatest, updatedAt } = h;
  return { syncType, progress, chunks, messages, isLatest, updatedAt };
}

function pickBackfill(b: NonNullable<AccountDoc['backfill']>): NonNullable<AccountDoc['backfill']> {
  const { state, threads, requested, received, unanswered, startedAt, finishedAt } = b;
  return { state, threads, requested, received, ...defined({ unanswered, startedAt, finishedAt }) };
}

/** `fields` without the undefined ones (absent stays absent in the JSON). */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
