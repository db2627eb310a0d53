/**
 * Helpers of the Firestore conformance suite: a second client (another host writing the same
 * data) and small timing tools for contention tests.
 */
import { getApps, initializeApp } from 'firebase-admin/app';
import { type Firestore, getFirestore } from 'firebase-admin/firestore';
import { DEMO_PROJECT } from '../../scripts/lib/firestore-backend.ts';

/** A second firebase-admin client on its own channel, as a second socket host would have. */
export function otherClient(): Firestore {
  const app =
    getApps().find((a) => a.name === 'conformance-other') ??
    initializeApp({ projectId: DEMO_PROJECT }, 'conformance-other');
  return getFirestore(app);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** gRPC status code of a rejected Firestore call. */
export function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}
