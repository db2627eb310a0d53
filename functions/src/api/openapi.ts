/**
 * The OpenAPI 3.1 document of the HTTPS API, served at `GET /api/whatsapp/openapi.json`.
 *
 * Built from the route table (`routes.ts`) and the very zod schemas that validate the input, so
 * parameters and request bodies cannot drift from what the API accepts. Response schemas are
 * written here from the data contract (DESIGN §3); the API tests validate real responses
 * against them.
 */
import {
  CONNECTION_STATES,
  HTTP_STATUS_BY_CODE,
  MEDIA_STATES,
  MEMBER_ROLES,
  MESSAGE_SOURCES,
  MESSAGE_STATUSES,
  MESSAGE_TYPES,
  THREAD_KINDS,
} from '@wasync/shared';
import { z } from 'zod';
import { DASHBOARD_SCHEMAS, dashboardPageOperation } from '../dashboard/routes.js';
import { BODY_LIMIT_BYTES } from './body.js';
import { API_BASE, ROUTES, type Route } from './routes.js';

type JsonSchema = Record<string, unknown>;

const epochMs = { type: 'integer', description: 'Epoch milliseconds' };
const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };
const obj = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
});
/** A document as apps see it: exactly these fields (shared/src/client/visible.ts), nothing else. */
const doc = (properties: Record<string, unknown>, required: string[] = []): JsonSchema => ({
  ...obj(properties, required),
  additionalProperties: false,
});
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const page = (key: string, item: string): JsonSchema =>
  obj(
    {
      [key]: { type: 'array', items: ref(item) },
      nextCursor: { type: 'string', description: 'Pass as `cursor` for the next page; absent on the last page.' },
    },
    [key],
  );

const SCHEMAS: Record<string, JsonSchema> = {
  MediaFetching: obj(
    {
      commandId: { type: 'string', description: 'The fetch_media command written for the socket host.' },
      retryAfterSeconds: { type: 'integer', description: 'Ask again after this long (also in Retry-After).' },
    },
    ['commandId', 'retryAfterSeconds'],
  ),
  Error: obj(
    {
      error: obj(
        {
          code: { type: 'string', enum: Object.keys(HTTP_STATUS_BY_CODE) },
          message: str,
          details: { description: 'Machine-readable details, e.g. `fields` of invalid_argument.' },
        },
        ['code', 'message'],
      ),
    },
    ['error'],
  ),
  Account: doc(
    {
      accountId: str,
      role: { type: 'string', enum: [...MEMBER_ROLES, 'operator'] },
      displayName: str,
      phone: str,
      me: doc({ id: str, lid: str, name: str }, ['id']),
      connection: doc(
        {
          state: { type: 'string', enum: [...CONNECTION_STATES] },
          lastError: str,
          updatedAt: epochMs,
        },
        ['state', 'updatedAt'],
      ),
      pairing: {
        ...doc({
          qr: { type: 'string', description: 'The QR code to scan while the state is qr.' },
          qrExpiresAt: epochMs,
          pairingCode: { type: 'string', description: 'The code to type on the phone (pairing by phone number).' },
          updatedAt: epochMs,
        }),
        description: 'Admins and operators only, while the account pairs (qr, connecting).',
      },
      lastConnectedAt: epochMs,
      lastHistorySyncAt: epochMs,
      lastBackfillAt: epochMs,
      historySync: doc({
        syncType: str,
        progress: { type: ['number', 'null'] },
        chunks: { type: 'integer' },
        messages: { type: 'integer' },
        isLatest: { type: 'boolean' },
        updatedAt: epochMs,
      }),
      backfill: doc({
        state: str,
        threads: { type: 'integer' },
        requested: { type: 'integer' },
        received: { type: 'integer' },
        unanswered: { type: 'integer', description: 'History requests the phone did not answer in time.' },
        startedAt: epochMs,
        finishedAt: epochMs,
      }),
    },
    ['accountId', 'role', 'displayName', 'connection'],
  ),
  LastMessage: doc(
    {
      id: str,
      text: nullableStr,
      fromMe: { type: 'boolean' },
      type: { type: 'string', enum: [...MESSAGE_TYPES] },
      status: { type: 'string', enum: [...MESSAGE_STATUSES] },
    },
    ['id', 'text', 'fromMe', 'type', 'status'],
  ),
  Thread: doc(
    {
      threadId: { type: 'string', description: 'Document id; pass it (URL-encoded) as threadId.' },
      jid: str,
      aliases: { type: 'array', items: str },
      kind: { type: 'string', enum: [...THREAD_KINDS] },
      name: str,
      lastMessageAt: epochMs,
      lastMessage: ref('LastMessage'),
      unreadCount: { type: 'integer' },
      oldestMessageAt: epochMs,
      updatedAt: epochMs,
    },
    ['threadId', 'jid', 'aliases', 'kind', 'lastMessageAt', 'lastMessage', 'updatedAt'],
  ),
  Message: doc(
    {
      docId: { type: 'string', description: 'Document id (WhatsApp ids are unique per sender only).' },
      id: { type: 'string', description: 'WhatsApp message id' },
      threadId: str,
      accountId: str,
      fromMe: { type: 'boolean' },
      sender: nullableStr,
      timestamp: epochMs,
      type: { type: 'string', enum: [...MESSAGE_TYPES] },
      text: nullableStr,
      media: doc({
        mimetype: nullableStr,
        fileLength: { type: ['integer', 'null'] },
        fileName: str,
        seconds: { type: 'integer' },
        width: { type: 'integer' },
        height: { type: 'integer' },
        state: {
          type: 'string',
          enum: [...MEDIA_STATES],
          description:
            'Where the file stands; absent until the socket host looked at it (history media is fetched on its first request: GET /media/…).',
        },
        path: { type: 'string', description: 'The object in the media bucket (server side; apps use GET /media/…).' },
        sha256: { type: 'string', description: "Hex SHA-256 of the file, equal to WhatsApp's fileSha256." },
        storedAt: epochMs,
        thumbnailPath: { type: 'string', description: 'The thumbnail object (GET /media/…?variant=thumbnail).' },
        error: doc({ code: str, message: str }, ['code', 'message']),
      }),
      quotedId: str,
      status: { type: 'string', enum: [...MESSAGE_STATUSES] },
      receipts: {
        type: 'object',
        additionalProperties: doc({ deliveredAt: epochMs, readAt: epochMs, playedAt: epochMs }),
      },
      reactions: { type: 'object', additionalProperties: str },
      edited: doc({ text: nullableStr, at: epochMs }),
      deleted: { const: true },
      pollOptions: { type: 'array', items: str, description: 'The options of a poll, in order.' },
      pollVotes: {
        type: 'object',
        description:
          "Each voter's current choice (option names; an empty list is a retracted vote), keyed by voter JID.",
        additionalProperties: { type: 'array', items: str },
      },
      source: { type: 'string', enum: [...MESSAGE_SOURCES] },
      updatedAt: epochMs,
    },
    ['docId', 'id', 'threadId', 'fromMe', 'sender', 'timestamp', 'type', 'text', 'status', 'source', 'updatedAt'],
  ),
  AccountPage: page('accounts', 'Account'),
  ThreadPage: page('threads', 'Thread'),
  MessagePage: page('messages', 'Message'),
  CommandAccepted: obj({ commandId: str }, ['commandId']),
  SendAccepted: obj({ commandId: str, messageId: { type: 'string', pattern: '^3EB0[0-9A-F]{18}$' } }, [
    'commandId',
    'messageId',
  ]),
  ...DASHBOARD_SCHEMAS,
};

/** Query parameters that accept more than their schema's JSON type says. */
const PARAMETER_OVERRIDES: Record<string, JsonSchema> = {
  since: { anyOf: [epochMs, { type: 'string', format: 'date-time' }], description: 'Inclusive; epoch ms or ISO 8601' },
  until: { anyOf: [epochMs, { type: 'string', format: 'date-time' }], description: 'Exclusive; epoch ms or ISO 8601' },
};

/** Headers every response carries. */
const REQUEST_ID_HEADER = {
  'X-Request-Id': {
    description:
      'The id of this request in the logs: yours if you sent a plain X-Request-Id of 8–128 characters, else the Cloud trace id or a new UUID.',
    schema: str,
  },
};

const errorResponse = (description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { ...REQUEST_ID_HEADER, ...headers },
  content: { 'application/json': { schema: ref('Error') } },
});

/** `:name` segments of an express path. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** `/a/:b` → `/a/{b}`. */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function inputSchema(route: Route): { properties: Record<string, JsonSchema>; required: string[] } {
  if (!route.input) return { properties: {}, required: [] };
  const schema = z.toJSONSchema(route.input, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return { properties: schema.properties ?? {}, required: schema.required ?? [] };
}

/** The answers a route can give: only the error statuses it can really produce. */
function responses(route: Route): Record<string, unknown> {
  const success = {
    description: 'Success',
    headers: {
      ...REQUEST_ID_HEADER,
      ...(route.idempotent
        ? {
            'Idempotent-Replayed': {
              description:
                'true when this answers a repeat of an earlier request (same idempotency key): nothing new was written.',
              schema: { type: 'string', enum: ['true'] },
            },
          }
        : {}),
    },
    content: { 'application/json': { schema: ref(route.response) } },
  };
  const out: Record<string, unknown> = route.binary
    ? binaryResponses(route)
    : { [route.method === 'post' ? '202' : '200']: success };
  out['400'] = errorResponse('Bad input (code invalid_argument or invalid_cursor)');
  if (route.access !== 'public') {
    out['401'] = errorResponse('Missing, malformed or expired ID token, or a disabled operator (code unauthenticated)');
  }
  if (route.access === 'viewer' || route.access === 'agent' || route.access === 'admin') {
    out['403'] = errorResponse('Not a member of the account, or the role is too low (code permission_denied)');
    out['404'] = errorResponse(route.notFound ?? 'Operators only: the account does not exist (code not_found)');
  }
  if (route.idempotent) out['409'] = errorResponse(route.idempotent.conflict);
  out['413'] = errorResponse(`A body over ${BODY_LIMIT_BYTES / 1024} KiB (code payload_too_large)`);
  if (route.rateLimited) {
    out['429'] = errorResponse(route.rateLimited, {
      'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
    });
  }
  out['500'] = errorResponse('A bug or an outage on our side (code internal)');
  return out;
}

/** A file route's successes: the file, a range of it, not modified, or "being fetched, ask again". */
function binaryResponses(route: Route): Record<string, unknown> {
  const file = { '*/*': { schema: { type: 'string', format: 'binary' } } };
  const header = (description: string, schema: JsonSchema = str) => ({ description, schema });
  const fileHeaders = {
    ...REQUEST_ID_HEADER,
    'Content-Length': header('Bytes in this answer', { type: 'integer' }),
    ETag: header("Strong: the file's SHA-256 (send it as If-None-Match)"),
    'Accept-Ranges': header('bytes'),
  };
  return {
    '200': { description: 'The whole file, with its own Content-Type', headers: fileHeaders, content: file },
    '206': {
      description: 'The requested byte range (one range per request)',
      headers: { ...fileHeaders, 'Content-Range': header('bytes start-end/size') },
      content: file,
    },
    '202': {
      description: 'Not stored yet: its socket host was asked to fetch it; ask again after Retry-After',
      headers: { ...REQUEST_ID_HEADER, 'Retry-After': header('Seconds to wait', { type: 'integer' }) },
      content: { 'application/json': { schema: ref(route.response) } },
    },
    '304': { description: 'If-None-Match matched the ETag', headers: REQUEST_ID_HEADER },
    '412': errorResponse(
      'The file is over MEDIA_MAX_BYTES (details.mediaState too_large), or its fetch failed for good (details.mediaState failed, details.mediaError invalid_media or sha256_mismatch); not stored (code failed_precondition)',
    ),
    '416': errorResponse('The range is outside the file (code invalid_argument; Content-Range: bytes */size)'),
  };
}

function operation(route: Route): JsonSchema {
  const { properties, required } = inputSchema(route);
  const pathParams = pathParamsOf(route.path);
  const parameters = [
    ...pathParams.map((name) => ({ name, in: 'path', required: true, schema: properties[name] ?? str })),
    ...(route.queryFields ?? []).map((name) => ({
      name,
      in: 'query',
      required: required.includes(name) && !('default' in (properties[name] ?? {})),
      schema: PARAMETER_OVERRIDES[name] ?? properties[name] ?? str,
    })),
  ];
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    parameters,
    responses: responses(route),
  };
  if (route.access !== 'public') op.security = [{ firebaseIdToken: [] }];
  if (route.jsonBody) {
    const bodyProperties = Object.fromEntries(Object.entries(properties).filter(([k]) => !pathParams.includes(k)));
    op.requestBody = {
      required: route.jsonBody === 'required',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: bodyProperties,
            required: required.filter((k) => !pathParams.includes(k)),
            additionalProperties: false,
          },
        },
      },
    };
  }
  return op;
}

let built: JsonSchema | undefined;

export function openApiDocument(): JsonSchema {
  if (built) return built;
  const paths: Record<string, Record<string, JsonSchema>> = {
    [`${API_BASE}/openapi.json`]: {
      get: {
        operationId: 'openApi',
        summary: 'This document',
        responses: { '200': { description: 'The OpenAPI document', content: { 'application/json': {} } } },
      },
    },
    [`${API_BASE}/dashboard`]: dashboardPageOperation(),
  };
  for (const route of ROUTES) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = operation(route);
  }
  built = {
    openapi: '3.1.0',
    servers: [
      {
        url: 'https://{region}-{project}.cloudfunctions.net',
        description: 'The deployed `api` function (the function name is the /api prefix of every path)',
        variables: {
          region: { default: 'us-central1', description: 'FUNCTIONS_REGION' },
          project: { default: 'PROJECT', description: 'Your Firebase project id' },
        },
      },
      {
        url: 'http://127.0.0.1:5001/{project}/{region}',
        description: 'The Functions emulator of `npm start`',
        variables: { project: { default: 'demo-wasync' }, region: { default: 'us-central1' } },
      },
    ],
    info: {
      title: 'WhatsApp conversation sync API',
      version: '1',
      description:
        'Threads, messages, sending and backfill for the WhatsApp accounts synced into Firestore. Served by the `api` Cloud Function: `https://REGION-PROJECT.cloudfunctions.net/api/whatsapp/...` (the function name is the `/api` prefix), or behind a Hosting rewrite of `/api/**`. Every error is `{"error":{"code","message"}}`; every response carries `X-Request-Id`. Times are epoch milliseconds. Lists take `limit` (1–200, default 50, never clamped) and an opaque `cursor`, and return `nextCursor` until the last page.',
    },
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        firebaseIdToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Firebase Auth ID token of the caller (getIdToken() in the client SDK).',
        },
      },
    },
  };
  return built;
}
