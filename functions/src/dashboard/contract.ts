/**
 * What the dashboard's JSON endpoints answer, shared by the functions (which build it) and the
 * page (which renders it). Types only, so the browser bundle takes nothing from the server side.
 * Times are epoch milliseconds.
 */
import type { AccountDoc, ConnectionState, EpochMs, MemberRole } from '@wasync/shared';

export type DashboardRole = MemberRole | 'operator';

/** One account as the dashboard shows it to a caller with `role`. */
export interface DashboardAccount {
  accountId: string;
  displayName: string;
  role: DashboardRole;
  phone?: string;
  me?: { id: string; lid?: string; name?: string };
  /** Never the pairing secrets: those are `pairing`, for admins and operators. */
  connection: { state: ConnectionState; lastError?: string; updatedAt: EpochMs };
  /** The QR to scan and the pairing code: admins and operators only, while the account pairs. */
  pairing?: { qr?: string; qrExpiresAt?: EpochMs; pairingCode?: string; updatedAt?: EpochMs };
  /** The socket host holding the account's lease (admins and operators); null when no host ever held it. */
  host?: { holder: string | null; epoch: number; since: EpochMs; expiresAt: EpochMs } | null;
  lastConnectedAt?: EpochMs;
  lastHistorySyncAt?: EpochMs;
  historySync?: NonNullable<AccountDoc['historySync']>;
  lastBackfillAt?: EpochMs;
  backfill?: NonNullable<AccountDoc['backfill']>;
  counts: { threads: number; messages: number; countedAt: EpochMs };
}

export interface DashboardAccountsPage {
  accounts: DashboardAccount[];
  nextCursor?: string;
  /** Whether the caller is an operator (sees every account, creates accounts). */
  operator: boolean;
  /** The server's clock when answering, so the page can show "expires in" without trusting its own. */
  serverTime: EpochMs;
}

export interface DashboardMember {
  uid: string;
  role: MemberRole;
  /** The member's email in Firebase Auth, when the user exists and has one. */
  email?: string;
}

export interface DashboardMembers {
  accountId: string;
  members: DashboardMember[];
}

/** What the page needs to sign in and to call the callables; inlined into the HTML by the server. */
export interface DashboardPageConfig {
  projectId: string;
  /** The Web API key; absent when the deployment has not set DASHBOARD_API_KEY. */
  apiKey?: string;
  /** Region of the callables (FUNCTIONS_REGION). */
  region: string;
  /**
   * Set when the functions run against the Firebase emulators: the Auth emulator's URL. The
   * callables are then served by the Functions emulator that serves this page (same origin).
   */
  authEmulatorUrl?: string;
  /** How often the page asks for the accounts. */
  pollMs: number;
}
