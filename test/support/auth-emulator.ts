/**
 * Real Firebase ID tokens from the Auth emulator: sign up a user, optionally give it custom
 * claims with the admin SDK, and sign in again so the token carries them.
 */
import { getApps, initializeApp } from 'firebase-admin/app';
import { type Auth, getAuth } from 'firebase-admin/auth';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';

export interface TestUser {
  uid: string;
  idToken: string;
}

async function identityToolkit<T>(authHost: string, method: string, body: object): Promise<T> {
  const res = await fetch(`http://${authHost}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=fake-api-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`Auth emulator ${method} failed: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface TestUserOptions {
  /** Custom claims the ID token carries. */
  claims?: Record<string, unknown>;
  /** Mark the email address verified (sign-up leaves it unverified). */
  emailVerified?: boolean;
}

export async function createTestUser(
  authHost: string,
  email: string,
  claims?: Record<string, unknown>,
  options: Omit<TestUserOptions, 'claims'> = {},
): Promise<TestUser> {
  const credentials = { email, password: 'test-password-1', returnSecureToken: true };
  const signUp = await identityToolkit<{ localId: string; idToken: string }>(authHost, 'signUp', credentials);
  if (!claims && !options.emailVerified) return { uid: signUp.localId, idToken: signUp.idToken };

  await withAdminAuth(authHost, async (auth) => {
    if (claims) await auth.setCustomUserClaims(signUp.localId, claims);
    if (options.emailVerified) await auth.updateUser(signUp.localId, { emailVerified: true });
  });
  const signIn = await identityToolkit<{ localId: string; idToken: string }>(
    authHost,
    'signInWithPassword',
    credentials,
  );
  return { uid: signIn.localId, idToken: signIn.idToken };
}

/** Runs `use` with firebase-admin's Auth pointed at the Auth emulator at `authHost`. */
export async function withAdminAuth<T>(authHost: string, use: (auth: Auth) => Promise<T>): Promise<T> {
  // The admin SDK reaches the Auth emulator only through this variable, read per call.
  const previous = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  process.env.FIREBASE_AUTH_EMULATOR_HOST = authHost;
  try {
    const app =
      getApps().find((a) => a.name === 'auth-test') ?? initializeApp({ projectId: DEMO_PROJECT }, 'auth-test');
    return await use(getAuth(app));
  } finally {
    if (previous === undefined) delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    else process.env.FIREBASE_AUTH_EMULATOR_HOST = previous;
  }
}
