/**
 * The dashboard's JSON endpoints, relative to the page (`…/api/whatsapp/dashboard`), so the page
 * works wherever the api function is reached: the emulator's URL, cloudfunctions.net, Cloud Run, a
 * Hosting rewrite.
 */
import type { User } from 'firebase/auth';
import type { DashboardAccount, DashboardAccountsPage, DashboardMembers } from '../contract.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

async function getJson<T>(user: User, path: string, refreshed = false): Promise<T> {
  const token = await user.getIdToken(refreshed);
  const res = await fetch(new URL(path, document.baseURI), {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    cache: 'no-store',
  });
  // An ID token can expire between the SDK's refreshes (a laptop waking up): refresh once.
  if (res.status === 401 && !refreshed) return getJson(user, path, true);
  const body = (await res.json().catch(() => undefined)) as
    | (T & { error?: { code?: string; message?: string } })
    | undefined;
  if (!res.ok || body === undefined) {
    throw new ApiError(res.status, body?.error?.code, body?.error?.message ?? `HTTP ${res.status}`);
  }
  return body;
}

/** Every account the user may see (all pages), with the server's clock. */
export async function fetchAccounts(
  user: User,
): Promise<{ accounts: DashboardAccount[]; operator: boolean; serverTime: number }> {
  const accounts: DashboardAccount[] = [];
  let cursor: string | undefined;
  let last: DashboardAccountsPage;
  do {
    const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
    last = await getJson<DashboardAccountsPage>(user, `dashboard/accounts?${query}`);
    accounts.push(...last.accounts);
    cursor = last.nextCursor;
  } while (cursor !== undefined);
  return { accounts, operator: last.operator, serverTime: last.serverTime };
}

export function fetchMembers(user: User, accountId: string): Promise<DashboardMembers> {
  return getJson<DashboardMembers>(user, `dashboard/members/${encodeURIComponent(accountId)}`);
}
