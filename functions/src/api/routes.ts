/**
 * The HTTPS API's routes (DESIGN §5), as a table: method, path, who may call it, how its input is
 * parsed and which use case answers. `app.ts` registers exactly these with express and
 * `openapi.ts` documents exactly these, so the two cannot disagree; a test checks both against
 * what express really routes.
 *
 * Every route but the OpenAPI document needs `Authorization: Bearer <Firebase ID token>`. The
 * use cases check the caller's role on the account (viewer reads, agent sends and backfills).
 */
import {
  listAccountsInput,
  listMessagesInput,
  listThreadsInput,
  requestBackfillInput,
  sendMessageInput,
} from '@wasync/shared/client';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { requestBackfill } from '../commands/account-commands.js';
import { sendMessage } from '../commands/send.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { firestore } from '../firebase.js';
import { mediaBucket } from '../media/bucket.js';
import { mediaFor } from '../media/media-access.js';
import { streamObject } from '../media/stream.js';
import { listAccounts } from '../queries/accounts.js';
import { listMessagesFor } from '../queries/messages.js';
import { listThreadsFor } from '../queries/threads.js';
import { callerOf } from './context.js';
import { booleanParam, instantParam, integerParam, parseBody, parseQuery } from './input.js';

export const API_BASE = '/api/whatsapp';

/** Who may call a route, for the documentation (the use cases enforce it). */
export type RouteAccess = 'public' | 'signed-in' | 'viewer' | 'agent' | 'admin';

export type RouteReply =
  | {
      status: 200 | 202;
      body: unknown;
      /** Extra response headers (e.g. Retry-After on a 202). */
      headers?: Record<string, string>;
    }
  /** The handler wrote the response itself (a streamed file). */
  | { status: 'sent' };

export interface Route {
  method: 'get' | 'post';
  /** Express path (`:name` parameters). */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  access: RouteAccess;
  /** The use case's input schema: documents parameters and body (`openapi.ts`). */
  input?: z.ZodType;
  /** Input fields that come from the query string (the rest come from the path or the body). */
  queryFields?: readonly string[];
  /** Whether the input (minus path parameters) is the JSON body. */
  jsonBody?: 'required' | 'optional';
  /** Name of the success response's schema in the OpenAPI components. */
  response: string;
  /** When a repeat with the same idempotency key is answered from the first (and when it conflicts). */
  idempotent?: { conflict: string };
  /** What a 404 means here (default: operators asking for an account that does not exist). */
  notFound?: string;
  /** What a 429 means here, when the route is rate-limited. */
  rateLimited?: string;
  /** The success answer is a file (any content type, ranges), not JSON; `response` names the 202's schema. */
  binary?: true;
  handle(req: Request, res: Response): Promise<RouteReply>;
}

const pageQuery = { limit: integerParam.optional(), cursor: z.string().optional() };
const messageFilterQuery = {
  ...pageQuery,
  fromMe: booleanParam.optional(),
  type: z.string().optional(),
  since: instantParam.optional(),
  until: instantParam.optional(),
  order: z.string().optional(),
};
const accountsQuery = z.object(pageQuery).strict();
const threadsQuery = z.object(pageQuery).strict();
const threadMessagesQuery = z.object(messageFilterQuery).strict();
const messagesQuery = z
  .object({ ...messageFilterQuery, accountId: z.string().optional(), threadId: z.string().optional() })
  .strict();
const backfillBody = requestBackfillInput.omit({ accountId: true });
const mediaInput = z
  .object({
    accountId: z.string().min(1),
    threadId: z.string().min(1),
    messageId: z.string().min(1),
    variant: z.enum(['original', 'thumbnail']).default('original'),
  })
  .strict();
const mediaQuery = z.object({ variant: z.string().optional() }).strict();

const PAGE_FIELDS = ['limit', 'cursor'] as const;
const FILTER_FIELDS = [...PAGE_FIELDS, 'fromMe', 'type', 'since', 'until', 'order'] as const;

export const ROUTES: readonly Route[] = [
  {
    method: 'get',
    path: `${API_BASE}/accounts`,
    operationId: 'listAccounts',
    summary: 'Accounts the caller may see',
    description:
      'Every account for operators (custom claim operator: true); otherwise the accounts the caller is a member of, with their role. Ordered by account id.',
    access: 'signed-in',
    input: listAccountsInput,
    queryFields: PAGE_FIELDS,
    response: 'AccountPage',
    async handle(req, res) {
      const input = parseQuery(accountsQuery, listAccountsInput, req.query);
      return { status: 200, body: await listAccounts(firestore(), callerOf(res), input) };
    },
  },
  {
    method: 'get',
    path: `${API_BASE}/threads/:accountId`,
    operationId: 'listThreads',
    summary: "An account's threads, most recently active first",
    description: 'Needs the viewer role (or above) on the account.',
    access: 'viewer',
    input: listThreadsInput,
    queryFields: PAGE_FIELDS,
    response: 'ThreadPage',
    async handle(req, res) {
      const input = parseQuery(threadsQuery, listThreadsInput, req.query, req.params);
      return { status: 200, body: await listThreadsFor(firestore(), callerOf(res), input) };
    },
  },
  {
    method: 'get',
    path: `${API_BASE}/messages/:accountId/:threadId`,
    operationId: 'listThreadMessages',
    summary: "One thread's messages, newest first by default",
    description:
      'Needs the viewer role on the account. threadId is the thread document id, URL-encoded (it may contain % and ~).',
    access: 'viewer',
    input: listMessagesInput,
    queryFields: FILTER_FIELDS,
    response: 'MessagePage',
    async handle(req, res) {
      const input = parseQuery(threadMessagesQuery, listMessagesInput, req.query, req.params);
      return { status: 200, body: await listMessagesFor(firestore(), callerOf(res), input) };
    },
  },
  {
    method: 'get',
    path: `${API_BASE}/messages`,
    operationId: 'listMessages',
    summary: "Messages across an account's threads, filtered",
    description:
      'accountId is required; filters threadId, fromMe, type, since (inclusive) and until (exclusive). Without threadId this is a collection-group query on messages scoped by their accountId field. Needs the viewer role on the account.',
    access: 'viewer',
    input: listMessagesInput,
    queryFields: ['accountId', 'threadId', ...FILTER_FIELDS],
    response: 'MessagePage',
    async handle(req, res) {
      const input = parseQuery(messagesQuery, listMessagesInput, req.query);
      return { status: 200, body: await listMessagesFor(firestore(), callerOf(res), input) };
    },
  },
  {
    method: 'post',
    path: `${API_BASE}/send`,
    operationId: 'sendMessage',
    summary: 'Send a text message (asynchronously)',
    description:
      'Writes a send command for the socket host and answers 202 at once with the command id and the WhatsApp id the message will have. Idempotent on clientMessageId: repeating a request returns the same ids and sends once; reusing a clientMessageId for a different message is 409. Needs the agent role.',
    access: 'agent',
    input: sendMessageInput,
    jsonBody: 'required',
    response: 'SendAccepted',
    idempotent: { conflict: 'clientMessageId already used for a different message (code already_exists)' },
    rateLimited:
      "The account's send budget (SEND_BUDGET_PER_MINUTE) is used up; details.retryAfterSeconds and Retry-After say when to retry (code resource_exhausted)",
    notFound: 'The thread does not exist, or (operators) the account does not exist (code not_found)',
    async handle(req, res) {
      const input = parseBody(sendMessageInput, req.body);
      const { commandId, messageId, replayed } = await sendMessage(firestore(), callerOf(res), input);
      if (replayed) res.set('Idempotent-Replayed', 'true');
      return { status: 202, body: { commandId, messageId } };
    },
  },
  {
    method: 'post',
    path: `${API_BASE}/backfill/:accountId`,
    operationId: 'requestBackfill',
    summary: 'Ask the phone for older messages (asynchronously)',
    description:
      'Writes a backfill command for the socket host and answers 202 with its id. The body is optional: threads and count default to WHATSAPP_BACKFILL_THREADS and WHATSAPP_BACKFILL_COUNT; a requestId makes retries idempotent. Needs the agent role.',
    access: 'agent',
    input: requestBackfillInput,
    jsonBody: 'optional',
    response: 'CommandAccepted',
    idempotent: { conflict: 'requestId already used for a different backfill (code already_exists)' },
    notFound: 'The account does not exist (code not_found)',
    rateLimited:
      'A backfill of this account is already pending or running (details.commandId names it; code resource_exhausted)',
    async handle(req, res) {
      const body = parseBody(backfillBody, req.body ?? {});
      const input = parseBody(requestBackfillInput, { ...body, accountId: req.params.accountId }, 'request');
      const { commandId, replayed } = await requestBackfill(firestore(), callerOf(res), input);
      if (replayed) res.set('Idempotent-Replayed', 'true');
      return { status: 202, body: { commandId } };
    },
  },
  {
    method: 'get',
    path: `${API_BASE}/media/:accountId/:threadId/:messageId`,
    operationId: 'getMedia',
    summary: "A message's media file (or its thumbnail)",
    description:
      "Streams the stored file with Content-Type, Content-Length, ETag and byte ranges (Range → 206; If-None-Match → 304). Media not stored yet (history media is fetched lazily) answers 202 with Retry-After and asks the account's socket host to fetch it now (a fetch_media command; at most one per message every 5 minutes): ask again after Retry-After. Expired media (WhatsApp no longer has it, the phone could not re-upload it) is 404 with details.mediaState expired; media over MEDIA_MAX_BYTES is 412 (details.mediaState too_large), and so is media whose fetch failed for good (details.mediaState failed, details.mediaError invalid_media or sha256_mismatch: never asked again). variant=thumbnail serves the message's small JPEG preview. threadId and messageId are document ids, URL-encoded. Needs the viewer role.",
    access: 'viewer',
    input: mediaInput,
    queryFields: ['variant'],
    response: 'MediaFetching',
    binary: true,
    notFound:
      'The message does not exist or has no media, the media expired at WhatsApp (details.mediaState expired), or (operators) the account does not exist (code not_found)',
    async handle(req, res) {
      const input = parseQuery(mediaQuery, mediaInput, req.query, req.params);
      const answer = await mediaFor(firestore(), callerOf(res), input);
      if (answer.kind === 'fetching') {
        const { commandId, retryAfterSeconds } = answer;
        return {
          status: 202,
          body: { commandId, retryAfterSeconds },
          headers: { 'Retry-After': String(retryAfterSeconds) },
        };
      }
      await streamObject(mediaBucket(), answer, req, res);
      return { status: 'sent' };
    },
  },
  ...dashboardRoutes(API_BASE),
];
