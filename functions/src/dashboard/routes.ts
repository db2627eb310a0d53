/**
 * The dashboard's JSON endpoints, as entries of the API's route table (`api/routes.ts` adds them,
 * so they are registered, authenticated and documented like every other route), and their
 * response schemas for the OpenAPI document. The page itself is `page.ts`.
 *
 * Why the page polls these rather than listening to Firestore: the browser SDK reaches Firestore
 * over WebChannel, which the embedded test Firestore does not speak, and the rules could not hand a
 * viewer the account while hiding its QR anyway. Why polling rather than server-sent events: an
 * open stream holds a whole runtime worker in the Functions emulator (one process per concurrent
 * request) and is cut at the function's timeout in Cloud Functions, and `EventSource` cannot send
 * the ID token as a header; a 2 s poll of one cheap request works the same everywhere.
 */
import { CONNECTION_STATES, MEMBER_ROLES } from '@wasync/shared';
import { listAccountsInput, removeMemberInput } from '@wasync/shared/client';
import { z } from 'zod';
import { callerOf } from '../api/context.js';
import { integerParam, parseQuery } from '../api/input.js';
import type { Route } from '../api/routes.js';
import { auth, firestore } from '../firebase.js';
import { dashboardAccounts } from './accounts.js';
import { CountCache } from './counts.js';
import { dashboardMembers } from './members.js';

type JsonSchema = Record<string, unknown>;

const pageQuery = z.object({ limit: integerParam.optional(), cursor: z.string().optional() }).strict();
const membersInput = removeMemberInput.pick({ accountId: true });

/** Counts are kept per function instance (counts.ts). */
const counts = new CountCache();

export function dashboardRoutes(base: string): Route[] {
  return [
    {
      method: 'get',
      path: `${base}/dashboard/accounts`,
      operationId: 'dashboardAccounts',
      summary: 'The accounts the caller may see, as the dashboard shows them',
      description:
        'Like GET /accounts (operators: every account; members: theirs, with their role), each with thread and message counts (aggregate counts, refreshed at most every 15 s), history-sync and backfill progress, and, for admins and operators, the socket host holding it (`host`, from its lease) and, while the account pairs, the QR code and pairing code (`pairing`). Viewers and agents never get `host` or `pairing`. The dashboard page polls this every 2 s.',
      access: 'signed-in',
      input: listAccountsInput,
      queryFields: ['limit', 'cursor'],
      response: 'DashboardAccountsPage',
      async handle(req, res) {
        const input = parseQuery(pageQuery, listAccountsInput, req.query);
        return { status: 200, body: await dashboardAccounts(firestore(), callerOf(res), input, counts) };
      },
    },
    {
      method: 'get',
      path: `${base}/dashboard/members/:accountId`,
      operationId: 'dashboardMembers',
      summary: "An account's members, with their emails",
      description: `Every member (uid, role, email in Firebase Auth), at most 200. Needs the admin role on the account.`,
      access: 'admin',
      input: membersInput,
      response: 'DashboardMembers',
      async handle(req, res) {
        const input = parseQuery(z.object({}).strict(), membersInput, req.query, req.params);
        return { status: 200, body: await dashboardMembers(firestore(), auth(), callerOf(res), input.accountId) };
      },
    },
  ];
}

const epochMs = { type: 'integer', description: 'Epoch milliseconds' };
const str = { type: 'string' };
const int = { type: 'integer' };
const obj = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
});

/** Response schemas of the dashboard endpoints, for the OpenAPI components. */
export const DASHBOARD_SCHEMAS: Record<string, JsonSchema> = {
  DashboardAccount: obj(
    {
      accountId: str,
      displayName: str,
      role: { type: 'string', enum: [...MEMBER_ROLES, 'operator'] },
      phone: str,
      me: obj({ id: str, lid: str, name: str }, ['id']),
      connection: obj({ state: { type: 'string', enum: [...CONNECTION_STATES] }, lastError: str, updatedAt: epochMs }, [
        'state',
        'updatedAt',
      ]),
      pairing: {
        ...obj({ qr: str, qrExpiresAt: epochMs, pairingCode: str, updatedAt: epochMs }),
        description: 'Admins and operators only, while the account pairs (state qr or connecting).',
      },
      host: {
        anyOf: [
          obj({ holder: { type: ['string', 'null'] }, epoch: int, since: epochMs, expiresAt: epochMs }),
          { type: 'null' },
        ],
        description:
          'Admins and operators only. The lease: which socket host holds the account, since when, until when unless renewed.',
      },
      lastConnectedAt: epochMs,
      lastHistorySyncAt: epochMs,
      historySync: obj({
        syncType: str,
        progress: { type: ['number', 'null'], description: 'Percent, 0–100, as WhatsApp reports it' },
        chunks: int,
        messages: int,
        isLatest: { type: 'boolean' },
        updatedAt: epochMs,
      }),
      lastBackfillAt: epochMs,
      backfill: obj({
        state: str,
        threads: int,
        requested: int,
        received: int,
        unanswered: int,
        startedAt: epochMs,
        finishedAt: epochMs,
      }),
      counts: obj({ threads: int, messages: int, countedAt: epochMs }, ['threads', 'messages', 'countedAt']),
    },
    ['accountId', 'displayName', 'role', 'connection', 'counts'],
  ),
  DashboardAccountsPage: obj(
    {
      accounts: { type: 'array', items: { $ref: '#/components/schemas/DashboardAccount' } },
      nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last page.' },
      operator: { type: 'boolean', description: 'Whether the caller is an operator (may create accounts).' },
      serverTime: epochMs,
    },
    ['accounts', 'operator', 'serverTime'],
  ),
  DashboardMembers: obj(
    {
      accountId: str,
      members: {
        type: 'array',
        items: obj({ uid: str, role: { type: 'string', enum: [...MEMBER_ROLES] }, email: str }, ['uid', 'role']),
      },
    },
    ['accountId', 'members'],
  ),
};

/** The page's own entry in the OpenAPI document (it is HTML, served without a token). */
export function dashboardPageOperation(): Record<string, JsonSchema> {
  return {
    get: {
      operationId: 'dashboardPage',
      summary: 'The operator dashboard (HTML page)',
      description:
        'Signs in with Firebase Auth in the browser, then polls GET /dashboard/accounts every 2 s and calls the callables for admin actions. Its script and stylesheet are served under /dashboard/assets/.',
      responses: { '200': { description: 'The page', content: { 'text/html': {} } } },
    },
  };
}
