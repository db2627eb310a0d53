/**
 * The page's Firebase: sign-in (Firebase Auth, or the Auth emulator the server named), the ID
 * token for the API, and the callables for admin actions, typed by the shared contract.
 */
// The callables module alone: the client index also carries the zod schemas, which the page needs not.
import { callableErrorCode, type WhatsAppCallables, whatsappCallables } from '@wasync/shared/client/callables';
import { initializeApp } from 'firebase/app';
import {
  type Auth,
  browserLocalPersistence,
  connectAuthEmulator,
  indexedDBLocalPersistence,
  initializeAuth,
  onAuthStateChanged,
  signInWithEmailAndPassword,
  signOut,
  type User,
} from 'firebase/auth';
import { connectFunctionsEmulator, getFunctions, httpsCallable } from 'firebase/functions';
import type { DashboardPageConfig } from '../contract.ts';

export interface Session {
  auth: Auth;
  callables: WhatsAppCallables;
  onUser(listener: (user: User | null) => void): void;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
}

export function startSession(config: DashboardPageConfig & { apiKey: string }): Session {
  const app = initializeApp({ apiKey: config.apiKey, projectId: config.projectId });
  // No popup/redirect resolver: email and password only, so no iframes or extra origins.
  const auth = initializeAuth(app, { persistence: [indexedDBLocalPersistence, browserLocalPersistence] });
  const functions = getFunctions(app, config.region);
  if (config.authEmulatorUrl) {
    connectAuthEmulator(auth, config.authEmulatorUrl, { disableWarnings: true });
    // Against the emulators the Functions emulator serving this page serves the callables too.
    const port = Number(location.port || (location.protocol === 'https:' ? 443 : 80));
    connectFunctionsEmulator(functions, location.hostname, port);
  }
  return {
    auth,
    callables: whatsappCallables(functions, httpsCallable),
    onUser: (listener) => onAuthStateChanged(auth, listener),
    async signIn(email, password) {
      await signInWithEmailAndPassword(auth, email, password);
    },
    signOut: () => signOut(auth),
  };
}

/** A message for a failed sign-in, from the Auth error code. */
export function signInError(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'auth/invalid-credential':
    case 'auth/wrong-password':
    case 'auth/user-not-found':
    case 'auth/invalid-email':
      return 'Wrong email or password.';
    case 'auth/too-many-requests':
      return 'Too many attempts; wait a moment and try again.';
    case 'auth/network-request-failed':
      return 'Cannot reach the sign-in service; check the connection.';
    default:
      return `Sign-in failed: ${(err as Error).message ?? String(err)}`;
  }
}

/** What a failed callable says: its message, with the machine-readable code when there is one. */
export function callableFailure(err: unknown): string {
  const code = callableErrorCode(err);
  const message = (err as { message?: unknown }).message;
  return `Failed${code ? ` (${code})` : ''}: ${typeof message === 'string' ? message : String(err)}`;
}
