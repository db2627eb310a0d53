/**
 * Typed wrappers around the callable functions, for apps using the `firebase` client SDK:
 *
 * ```ts
 * import { getFunctions, httpsCallable } from 'firebase/functions';
 * import { whatsappCallables } from '@wasync/shared/client';
 * const wa = whatsappCallables(getFunctions(app), httpsCallable);
 * const { threads, nextCursor } = await wa.listThreads({ accountId: 'shop-1', limit: 20 });
 * ```
 *
 * The SDK's `httpsCallable` is passed in rather than imported, so this package does not depend on
 * (or pin a version of) `firebase`; any function with its shape works, which also makes the
 * wrappers testable without a network.
 */
import type { AppErrorCode } from '../errors.ts';
import { CALLABLE_NAMES } from './callable-names.ts';
import type { CallableName, Callables, Page } from './contract.ts';

/** The part of the SDK's `HttpsCallable` the wrappers use. */
export type CallableFn = (data: unknown) => Promise<{ data: unknown }>;
/** The shape of the SDK's `httpsCallable(functions, name)`. */
export type HttpsCallableFactory<F> = (functions: F, name: string) => CallableFn;

/** One typed method per callable. */
export type WhatsAppCallables = {
  [K in CallableName]: (input: Callables[K]['input']) => Promise<Callables[K]['result']>;
};

/** Typed wrappers for every callable of the functions codebase. */
export function whatsappCallables<F>(functions: F, httpsCallable: HttpsCallableFactory<F>): WhatsAppCallables {
  const out: Partial<Record<CallableName, (input: unknown) => Promise<unknown>>> = {};
  for (const name of CALLABLE_NAMES) {
    const call = httpsCallable(functions, name);
    out[name] = async (input) => (await call(input)).data;
  }
  return out as WhatsAppCallables;
}

/**
 * Every page of a listing, following `nextCursor` until it is absent:
 * `for await (const page of allPages(wa.listMessages, { accountId, threadId })) …`.
 */
export async function* allPages<I extends { cursor?: string }, R extends Page>(
  list: (input: I) => Promise<R>,
  input: I,
): AsyncGenerator<R> {
  let cursor = input.cursor;
  do {
    const page = await list(cursor === undefined ? input : { ...input, cursor });
    yield page;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/**
 * A fresh idempotency key for `sendMessage` (`clientMessageId`). Create it once per message the
 * user sends and reuse it when retrying that message: the functions then send it exactly once.
 */
export function newClientMessageId(): string {
  return globalThis.crypto.randomUUID();
}

/**
 * The machine-readable `AppError` code of a failed call (`permission_denied`, `invalid_cursor`,
 * …), which the functions put in the error's `details.code`; `undefined` for anything else
 * (network failures, errors not raised by these functions).
 */
export function callableErrorCode(error: unknown): AppErrorCode | undefined {
  const details = (error as { details?: unknown } | null)?.details;
  const code = (details as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? (code as AppErrorCode) : undefined;
}

/**
 * The HTTPS API path of a message's media (`GET`, with `Authorization: Bearer <ID token>`): ids
 * URL-encoded (thread and message document ids may contain `%` and `~`). Prefix it with the API's
 * origin (the `api` function's URL, or a Hosting rewrite of `/api/**`).
 */
export function mediaApiPath(
  accountId: string,
  threadId: string,
  messageId: string,
  variant: 'original' | 'thumbnail' = 'original',
): string {
  const path = [accountId, threadId, messageId].map(encodeURIComponent).join('/');
  return `/api/whatsapp/media/${path}${variant === 'thumbnail' ? '?variant=thumbnail' : ''}`;
}
