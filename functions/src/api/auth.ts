/**
 * `Authorization: Bearer <Firebase ID token>`, verified with firebase-admin (signature, expiry,
 * audience and issuer; against the Auth emulator when FIREBASE_AUTH_EMULATOR_HOST is set).
 * Revocation is not checked for every token (it costs an Auth backend call each time):
 * membership, which is what grants members access, is read from Firestore on every request, and
 * an operator's token is confirmed against Firebase Auth (`callerOf`, access/caller.ts).
 */
import { AppError } from '@wasync/shared';
import type { NextFunction, Request, Response } from 'express';
import type { DecodedIdToken } from 'firebase-admin/auth';
import { callerOf, type LookupUser } from '../access/caller.js';
import { context } from './context.js';

export type VerifyIdToken = (token: string) => Promise<DecodedIdToken>;

/** Compact JWS: three base64url parts (the emulator's unsigned tokens have an empty third). */
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;
/** ID tokens are ~1 kB; anything far larger is not one (and is not worth parsing). */
const MAX_TOKEN_LENGTH = 16_384;

export function authenticate(verifyIdToken: VerifyIdToken, lookupUser: LookupUser) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization');
    if (header === undefined) {
      throw new AppError('unauthenticated', 'send Authorization: Bearer <Firebase ID token>');
    }
    const token = header.length <= MAX_TOKEN_LENGTH ? BEARER.exec(header)?.[1] : undefined;
    if (token === undefined) {
      throw new AppError('unauthenticated', 'the Authorization header must be "Bearer <Firebase ID token>"');
    }
    let decoded: DecodedIdToken;
    try {
      decoded = await verifyIdToken(token);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // auth/* errors describe the token (malformed, expired, wrong project…): the caller's
      // problem. Anything else (e.g. Google's key endpoint unreachable) is ours and stays a 500.
      if (typeof code === 'string' && code.startsWith('auth/') && code !== 'auth/internal-error') {
        context(res).log.info('rejected ID token', { reason: code });
        throw new AppError('unauthenticated', 'the ID token is invalid or expired; sign in again', { reason: code });
      }
      throw err;
    }
    context(res).caller = await callerOf(decoded.uid, decoded as unknown as Record<string, unknown>, lookupUser);
    next();
  };
}
