/**
 * What `npm start` does so that a new user can do something at once without writing Admin SDK
 * code: it seeds an operator (custom claim `operator: true`) in the Auth emulator and prints,
 * before anything else, how to sign in as it and a shell snippet that gets an ID token and lists
 * the accounts through the HTTPS API.
 *
 * The operator dashboard (`GET /api/whatsapp/dashboard`) is printed first once the api function
 * serves it: `dashboardIsServed` asks the running function, so the line appears by itself when the
 * page ships, and an unfinished route can never be advertised.
 */
import type { Auth } from 'firebase-admin/auth';
import type { Firestore } from 'firebase-admin/firestore';

export interface OperatorCredentials {
  email: string;
  password: string;
}

export const OPERATOR_ENV = { email: 'WASYNC_OPERATOR_EMAIL', password: 'WASYNC_OPERATOR_PASSWORD' } as const;
export const DEFAULT_OPERATOR: OperatorCredentials = { email: 'operator@example.com', password: 'operator-password' };

/** The operator to seed: the defaults, or the env overrides. Throws one message naming every bad variable. */
export function operatorCredentials(env: NodeJS.ProcessEnv = process.env): OperatorCredentials {
  const email = env[OPERATOR_ENV.email]?.trim() || DEFAULT_OPERATOR.email;
  const password = env[OPERATOR_ENV.password] || DEFAULT_OPERATOR.password;
  const problems: string[] = [];
  // The Auth emulator's own checks, stated up front so a typo fails before anything starts.
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) problems.push(`${OPERATOR_ENV.email}: not an email address`);
  if (password.length < 6) problems.push(`${OPERATOR_ENV.password}: at least 6 characters`);
  if (problems.length > 0) throw new Error(`bad operator credentials: ${problems.join('; ')}`);
  return { email, password };
}

export interface SeededOperator {
  uid: string;
  /** False when the user existed already (its password, verification and claim were reset). */
  created: boolean;
}

/**
 * Makes `credentials` sign in as an operator: creates the user, or resets an existing one's
 * password, marks the email verified and adds `operator: true` to its custom claims (keeping any
 * others). Idempotent. Refuses to run unless firebase-admin talks to the Auth emulator: setting a
 * known password on a real project's user would be a hole.
 */
export async function seedOperator(auth: Auth, credentials: OperatorCredentials): Promise<SeededOperator> {
  if (!process.env.FIREBASE_AUTH_EMULATOR_HOST) {
    throw new Error('seedOperator only runs against the Auth emulator (FIREBASE_AUTH_EMULATOR_HOST is not set)');
  }
  const { email, password } = credentials;
  const existing = await auth.getUserByEmail(email).catch((err: { code?: string }) => {
    if (err.code === 'auth/user-not-found') return undefined;
    throw err;
  });
  const user = existing
    ? await auth.updateUser(existing.uid, { password, emailVerified: true })
    : await auth.createUser({ email, password, emailVerified: true, displayName: 'Operator' });
  await auth.setCustomUserClaims(user.uid, { ...user.customClaims, operator: true });
  return { uid: user.uid, created: !existing };
}

/** The account `WHATSAPP_TRANSPORT=simulated npm start` shows pairing and syncing. */
export const DEMO_ACCOUNT = { accountId: 'demo', displayName: 'Demo (simulated WhatsApp)' } as const;

/**
 * Creates `accounts/demo` when Firestore holds no account at all (a fresh local stack), for the
 * simulated WhatsApp to pair by itself; otherwise names the first existing account, to watch instead.
 */
export async function ensureDemoAccount(db: Firestore): Promise<{ accountId: string; created: boolean }> {
  const existing = await db.collection('accounts').limit(1).get();
  if (!existing.empty) return { accountId: existing.docs[0]!.id, created: false };
  await db.doc(`accounts/${DEMO_ACCOUNT.accountId}`).create({
    displayName: DEMO_ACCOUNT.displayName,
    connection: { state: 'idle', updatedAt: new Date() },
  });
  return { accountId: DEMO_ACCOUNT.accountId, created: true };
}

/** Whether the api function serves the dashboard page: `GET` answers 200 with HTML. */
export async function dashboardIsServed(dashboardUrl: string): Promise<boolean> {
  try {
    const res = await fetch(dashboardUrl, { redirect: 'manual' });
    await res.body?.cancel();
    return res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/html');
  } catch {
    return false;
  }
}

export interface FirstRunPlaces {
  operator: OperatorCredentials;
  /** host:port of the Auth emulator. */
  authHost: string;
  /** Base of the HTTPS API, e.g. `http://127.0.0.1:5001/demo-wasync/us-central1/api/whatsapp`. */
  apiBase: string;
  /** Where callables are served: `<functionsBase>/<name>`. */
  functionsBase: string;
  /** The dashboard's URL, only when it is served (`dashboardIsServed`). */
  dashboardUrl?: string | undefined;
}

/**
 * The block `npm start` prints first once the stack is ready: what to open (the dashboard, when it
 * exists), who to sign in as, and shell lines to paste (left unprefixed so they paste cleanly).
 */
export function firstRunLines(places: FirstRunPlaces): { say: string[]; paste: string[] } {
  const { operator, dashboardUrl } = places;
  const signIn = 'sign in as the seeded operator (Auth emulator user with the custom claim operator: true):';
  const say = [
    ...(dashboardUrl ? [`ready. Open the dashboard: ${dashboardUrl}`, signIn] : [`ready. ${signIn}`]),
    `  email     ${operator.email}   (${OPERATOR_ENV.email} changes it)`,
    `  password  ${operator.password}   (${OPERATOR_ENV.password} changes it)`,
    `  HTTPS API ${places.apiBase}/…`,
    'paste into a shell: get an ID token, list the accounts, create one (the socket host then connects it):',
  ];
  return { say, paste: operatorShellSnippet(places) };
}

/**
 * Shell lines that sign the operator in against the Auth emulator, list the accounts and create
 * one. Only curl and node (which ran `npm start`) are needed; every value is single-quoted.
 */
export function operatorShellSnippet(places: Omit<FirstRunPlaces, 'dashboardUrl'>): string[] {
  const signIn = JSON.stringify({ ...places.operator, returnSecureToken: true });
  const signInUrl = `http://${places.authHost}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=local`;
  const create = JSON.stringify({ data: { accountId: 'shop-1', displayName: 'Shop 1' } });
  return [
    `API=${shellQuote(places.apiBase)}`,
    `TOKEN=$(curl -sf ${shellQuote(signInUrl)} -H 'content-type: application/json' -d ${shellQuote(signIn)} \\`,
    `  | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).idToken')`,
    `curl -s -w '\\n' "$API/accounts" -H "Authorization: Bearer $TOKEN"`,
    `curl -s -w '\\n' -X POST ${shellQuote(`${places.functionsBase}/createAccount`)} -H "Authorization: Bearer $TOKEN" \\`,
    `  -H 'content-type: application/json' -d ${shellQuote(create)}`,
  ];
}

/** `value` as one single-quoted shell word, whatever it contains. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
