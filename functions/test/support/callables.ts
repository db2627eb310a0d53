/**
 * Invoking callables in-process through `fn.run(request)`, the Functions runtime's own entry, with
 * the auth context the runtime would have verified.
 */
import assert from 'node:assert/strict';
import type { CallableRequest } from 'firebase-functions/v2/https';
import { newUser } from './fixtures.ts';

export type Runnable = { run(request: CallableRequest<unknown>): unknown };

/** Who calls: a uid and the claims of their ID token. */
export interface CallableCaller {
  uid: string;
  claims?: Record<string, unknown>;
}

export function callableAs(fn: Runnable, data: unknown, who?: CallableCaller): Promise<unknown> {
  const auth = who ? { uid: who.uid, token: { uid: who.uid, ...who.claims } as never, rawToken: 'raw' } : undefined;
  return Promise.resolve(fn.run({ data, auth, rawRequest: {} as never, acceptsStreaming: false }));
}

/** The HttpsError a call failed with (`code` is the HTTPS code, `details.code` the AppError code). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; details: { code: string; details?: unknown } }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string; details: { code: string; details?: unknown } };
  }
  assert.fail('expected the call to fail');
}

/**
 * A real operator (an Auth-emulator user with the claim): callables confirm the claim against
 * Firebase Auth, so an invented uid would be refused.
 */
export async function newOperator(label = 'operator'): Promise<CallableCaller> {
  const { uid } = await newUser(label, { operator: true });
  return { uid, claims: { operator: true } };
}
