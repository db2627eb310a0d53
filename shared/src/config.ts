/**
 * Environment configuration of the socket host and the functions, validated once at start.
 *
 * Every variable is declared exactly once below (name, zod schema, default, description); the
 * parsers, the config types, `redactConfig` and `CONFIG_DOCS` (the README's table) are all derived
 * from those declarations, so they cannot drift apart. Parsers take the environment as an argument
 * and never read `process.env`, which keeps them pure and testable.
 *
 * A bad environment fails with ONE `ConfigError` naming every bad variable, so an operator fixes
 * a deploy in one round instead of one variable per crash loop. Values are trimmed and an empty
 * value counts as unset (Cloud Run and `.env` files make `NAME=` easy to write by accident).
 */
import { z } from 'zod';
import { AppError } from './errors.ts';
import type { MessageType } from './schema.ts';

/** The environment to read; callers pass `process.env` or a literal in tests. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What `redactConfig` and the secret wrappers print instead of a secret. */
export const REDACTED = '<redacted>';

/**
 * Secret bytes that refuse to be printed: `JSON.stringify`, template strings and
 * `console.log`/`util.inspect` all show `<redacted>`, so logging a whole config cannot leak them.
 */
export class SecretBytes {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = Uint8Array.from(bytes);
  }

  /** A fresh copy of the secret (callers may overwrite it after use). */
  reveal(): Buffer {
    return Buffer.from(this.#bytes);
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** One environment variable: how to parse it and how the README documents it. */
interface EnvVar<T> {
  readonly name: string;
  /** Parses the trimmed raw value (`undefined` when unset) and applies the default. */
  readonly schema: z.ZodType<T, string | undefined>;
  /** What a valid value looks like; every error about this variable starts with it. */
  readonly expected: string;
  readonly defaultLabel: string;
  readonly description: string;
  /** Secret values are never echoed, neither in errors nor by `redactConfig`. */
  readonly secret: boolean;
  /** What exactly is wrong with a bad value, added to the error (which entry of a list). */
  readonly explain?: (raw: string) => string;
}

type EnvVars = Readonly<Record<string, EnvVar<unknown>>>;
type ValuesOf<V extends EnvVars> = { [K in keyof V]: z.output<V[K]['schema']> };

function booleanVar(name: string, fallback: boolean, description: string) {
  return {
    name,
    description,
    defaultLabel: String(fallback),
    expected: 'expected true/false, 1/0 or yes/no',
    // An explicit list: anything else is an error, never silently "truthy".
    schema: z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'] }).default(fallback),
    secret: false,
  } satisfies EnvVar<boolean>;
}

function integerVar(name: string, range: { fallback: number; min: number; max: number }, description: string) {
  const { fallback, min, max } = range;
  return {
    name,
    description: `${description} Range ${min}–${max}.`,
    defaultLabel: String(fallback),
    expected: `expected an integer between ${min} and ${max}`,
    schema: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max)).default(fallback),
    secret: false,
  } satisfies EnvVar<number>;
}

function enumVar<const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
  fallback: T[number],
  description: string,
) {
  return {
    name,
    description,
    defaultLabel: fallback,
    expected: `expected one of ${values.join(', ')}`,
    schema: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.enum(values))
      .default(fallback),
    secret: false,
  } satisfies EnvVar<T[number]>;
}

/**
 * A comma-separated subset of `values` (case-insensitive, repeats allowed), in `values`' order;
 * `none` is the empty set. Unset: all of them.
 */
function subsetVar<const T extends readonly [string, ...string[]]>(name: string, values: T, description: string) {
  const entries = (raw: string) => raw.split(',').map((part) => part.trim().toLowerCase());
  const unknown = (raw: string) => entries(raw).filter((entry) => !(values as readonly string[]).includes(entry));
  return {
    name,
    description,
    defaultLabel: values.join(','),
    expected: `expected a comma-separated list of ${values.join(', ')} (or none)`,
    schema: z
      .string()
      .refine((raw) => raw.toLowerCase() === 'none' || unknown(raw).length === 0)
      .transform((raw): readonly T[number][] =>
        values.filter((v) => raw.toLowerCase() !== 'none' && entries(raw).includes(v)),
      )
      .default(values),
    secret: false,
    explain: (raw: string) =>
      `not one of them: ${unknown(raw)
        .map((entry) => JSON.stringify(entry))
        .join(', ')}`,
  } satisfies EnvVar<readonly T[number][]>;
}

function patternVar(name: string, pattern: RegExp, expected: string, description: string) {
  return {
    name,
    description,
    defaultLabel: '(unset)',
    expected,
    schema: z.string().regex(pattern).optional(),
    secret: false,
  } satisfies EnvVar<string | undefined>;
}

function emulatorHostVar(name: string, description: string) {
  return {
    name,
    description,
    defaultLabel: '(unset)',
    expected: 'expected host:port with a port between 1 and 65535',
    schema: z.string().refine(isHostPort).optional(),
    secret: false,
  } satisfies EnvVar<string | undefined>;
}

/** Cloud region names such as `us-central1`, `europe-west1`, `northamerica-northeast1`. */
const REGION = /^[a-z]+-[a-z]+\d+$/;
/** Google Cloud project ids (6–30 characters), optionally with a legacy `domain:` prefix. */
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PROJECT_ID_EXPECTED = 'expected a project id: 6–30 lowercase letters, digits or dashes, starting with a letter';
/** Doubles as a Firestore document id (`hosts/{hostId}`), hence the first-character rule. */
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Cloud Run revision names: lowercase letters, digits and dashes, at most 63 characters. */
const CLOUD_RUN_REVISION = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Cloud Storage bucket names (also with dots, as domain-named buckets have). */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
/** `hostname:port`, `1.2.3.4:port` or `[::1]:port`. */
const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Standard or URL-safe base64 (Node decodes both); the decoded length is checked separately. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const AUTH_STATE_KEY_BYTES = 32;
const PINO_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const TRANSPORTS = ['baileys', 'simulated'] as const;
/** The message types whose media the socket host stores. */
export const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'] as const satisfies readonly MessageType[];
export type MediaType = (typeof MEDIA_TYPES)[number];

/** One AES-256 key in base64, wrapped so it cannot be printed. */
function base64Key() {
  return z
    .string()
    .regex(BASE64)
    .transform((s) => Buffer.from(s, 'base64'))
    .refine((bytes) => bytes.length === AUTH_STATE_KEY_BYTES)
    .transform((bytes) => new SecretBytes(bytes));
}

function isHostPort(value: string): boolean {
  const port = Number(HOST_PORT.exec(value)?.[1]);
  return port >= 1 && port <= 65535;
}

/** WhatsApp sync settings (DESIGN §5), read by both the socket host and the functions. */
const SYNC_VARS = {
  syncFullHistory: booleanVar(
    'WHATSAPP_SYNC_FULL_HISTORY',
    true,
    'Ask WhatsApp for the full message history when an account pairs; false keeps only the recent history.',
  ),
  backfillCount: integerVar(
    'WHATSAPP_BACKFILL_COUNT',
    { fallback: 100, min: 1, max: 1000 },
    'A backfill asks the phone for older messages until each thread holds up to this many.',
  ),
  backfillThreads: integerVar(
    'WHATSAPP_BACKFILL_THREADS',
    { fallback: 50, min: 1, max: 500 },
    'How many of the most recently active threads one backfill walks.',
  ),
  historySyncDryRun: booleanVar(
    'WHATSAPP_HISTORY_SYNC_DRY_RUN',
    false,
    'Log what history sync would write and write nothing.',
  ),
  transport: enumVar(
    'WHATSAPP_TRANSPORT',
    TRANSPORTS,
    'baileys',
    '`baileys` connects to WhatsApp; `simulated` is an in-process fake for local runs and tests.',
  ),
  includeStatusBroadcast: booleanVar(
    'WHATSAPP_INCLUDE_STATUS_BROADCAST',
    false,
    'Also store status updates (`status@broadcast`), which are skipped by default.',
  ),
} as const;

/** What both read besides the sync settings: where and when backfills are scheduled. */
const SCHEDULING_VARS = {
  ...SYNC_VARS,
  functionsRegion: {
    name: 'FUNCTIONS_REGION',
    description:
      'Region the Cloud Functions deploy to (read at deploy time from functions/.env or functions/.env.<project>) and where the backfill task queue is addressed.',
    defaultLabel: 'us-central1',
    expected: 'expected a region such as us-central1',
    schema: z.string().regex(REGION).default('us-central1'),
    secret: false,
  } satisfies EnvVar<string>,
  backfillJitterMinSeconds: integerVar(
    'BACKFILL_JITTER_MIN_S',
    { fallback: 10, min: 0, max: 3600 },
    'Shortest random delay before a scheduled backfill, in seconds (at most BACKFILL_JITTER_MAX_S).',
  ),
  backfillJitterMaxSeconds: integerVar(
    'BACKFILL_JITTER_MAX_S',
    { fallback: 40, min: 0, max: 3600 },
    'Longest random delay before a scheduled backfill, in seconds; spreads reconnecting accounts out.',
  ),
  mediaBucket: {
    name: 'MEDIA_BUCKET',
    description:
      'Cloud Storage bucket for media files. Firebase projects created before 2024-10 have `<project id>.appspot.com` instead.',
    defaultLabel: '<project id>.firebasestorage.app',
    expected: 'expected a bucket name: lowercase letters, digits, dots, dashes or underscores',
    schema: z.string().regex(BUCKET).optional(),
    secret: false,
  } satisfies EnvVar<string | undefined>,
  mediaRetentionDays: integerVar(
    'MEDIA_RETENTION_DAYS',
    { fallback: 0, min: 0, max: 36500 },
    'Media objects older than this many days are deleted by the bucket lifecycle rule (docs/runbook.md); the host does not fetch media of messages older than that. 0 keeps media for as long as its message.',
  ),
  storageEmulatorHost: emulatorHostVar(
    'FIREBASE_STORAGE_EMULATOR_HOST',
    'host:port of a Cloud Storage emulator (no scheme); when set, firebase-admin keeps media there.',
  ),
} as const;

/** What only the functions read. */
const FUNCTIONS_ONLY_VARS = {
  functionsMaxInstances: integerVar(
    'FUNCTIONS_MAX_INSTANCES',
    { fallback: 10, min: 1, max: 1000 },
    'Most instances each function scales to: a cap on cost and on abuse (deploy time, from functions/.env).',
  ),
  enforceAppCheck: booleanVar(
    'FUNCTIONS_ENFORCE_APP_CHECK',
    false,
    'Refuse callable requests without a valid Firebase App Check token (deploy time, from functions/.env). Turn on once every app sends one.',
  ),
  sendBudgetPerMinute: integerVar(
    'SEND_BUDGET_PER_MINUTE',
    { fallback: 30, min: 1, max: 1000 },
    'Messages one account may send per minute through the API and callables, in bursts of up to this many (a token bucket shared by every function instance); more is answered 429 with Retry-After.',
  ),
  sendIdSecret: {
    name: 'SEND_ID_SECRET',
    description:
      'Keys the WhatsApp ids of sends (HMAC of account and clientMessageId) and the ids in request logs, so neither can be guessed from readable keys or phone numbers. A Cloud Functions secret (`firebase functions:secrets:set SEND_ID_SECRET`); local runs use a published value (functions/.secret.local). Secret.',
    defaultLabel: '(required in a deployment)',
    expected: 'expected at least 32 characters (openssl rand -base64 32)',
    schema: z.string().min(32).optional(),
    secret: true,
  } satisfies EnvVar<string | undefined>,
  // How the operator dashboard signs people in (its page gets these: functions/src/dashboard/
  // page-config.ts). Neither is a secret: a web API key identifies the project to Firebase Auth and
  // ships in every web app of it.
  dashboardApiKey: patternVar(
    'DASHBOARD_API_KEY',
    /^[A-Za-z0-9_-]{20,100}$/,
    'expected a Firebase Web API key: 20–100 letters, digits, dashes or underscores',
    'Web API key of the Firebase project (console: Project settings → General); the dashboard page signs in with it. Public, not a secret.',
  ),
  mediaSignedUrls: booleanVar(
    'MEDIA_SIGNED_URLS',
    false,
    "getMediaUrl answers 5-minute signed Cloud Storage URLs (the functions' service account needs Service Account Token Creator on itself, see the runbook); false answers the API's media route instead.",
  ),
  authEmulatorHost: emulatorHostVar(
    'FIREBASE_AUTH_EMULATOR_HOST',
    'host:port of the Auth emulator (the Firebase emulators set it); ID tokens are verified there and the dashboard page signs in there.',
  ),
} as const;

/** What the functions read: the sync and scheduling settings plus their own. */
const FUNCTIONS_VARS = { ...SCHEDULING_VARS, ...FUNCTIONS_ONLY_VARS } as const;

/** What the socket host reads: the sync and scheduling settings plus its own process settings. */
const HOST_VARS = {
  ...SCHEDULING_VARS,
  port: integerVar(
    'PORT',
    { fallback: 8080, min: 0, max: 65535 },
    'HTTP port of the health endpoint; 0 picks a free one.',
  ),
  hostId: {
    name: 'HOST_ID',
    description: 'Identity of this instance in leases and heartbeats; must be unique per running instance.',
    defaultLabel: '<K_REVISION or "local">-<random suffix>',
    expected: "expected 1–128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
    schema: z.string().regex(HOST_ID).optional(),
    secret: false,
  } satisfies EnvVar<string | undefined>,
  cloudRunRevision: patternVar(
    'K_REVISION',
    CLOUD_RUN_REVISION,
    'expected a Cloud Run revision name',
    'Cloud Run revision (set by Cloud Run); prefix of the default HOST_ID.',
  ),
  logLevel: enumVar('LOG_LEVEL', PINO_LEVELS, 'info', `Log level: ${PINO_LEVELS.join(', ')}.`),
  baileysLogLevel: enumVar(
    'BAILEYS_LOG_LEVEL',
    PINO_LEVELS,
    'warn',
    'Log level of the Baileys library (a child logger per account); its info level logs every stanza.',
  ),
  simulatedTrafficPerMinute: integerVar(
    'WHATSAPP_SIMULATED_TRAFFIC_PER_MINUTE',
    { fallback: 0, min: 0, max: 6000 },
    'With `WHATSAPP_TRANSPORT=simulated`: live events (messages, reactions, edits, group changes, …) per minute per account, for load tests; 0 sends only what is asked for.',
  ),
  authStateKey: {
    name: 'AUTH_STATE_KEY',
    description:
      'Key that encrypts WhatsApp auth state at rest: 32 random bytes in base64 (`openssl rand -base64 32`). Secret.',
    defaultLabel: '(required unless FIRESTORE_EMULATOR_HOST is set)',
    expected: `expected base64 of exactly ${AUTH_STATE_KEY_BYTES} bytes`,
    schema: base64Key().optional(),
    secret: true,
  } satisfies EnvVar<SecretBytes | undefined>,
  authStatePreviousKeys: {
    name: 'AUTH_STATE_PREVIOUS_KEYS',
    description:
      'Earlier AUTH_STATE_KEY values, comma-separated, still accepted for reading during a key rotation; new writes use AUTH_STATE_KEY. Secret.',
    defaultLabel: '(none)',
    expected: `expected comma-separated base64 keys of exactly ${AUTH_STATE_KEY_BYTES} bytes each`,
    schema: z
      .string()
      .transform((s) => s.split(',').map((part) => part.trim()))
      .pipe(z.array(base64Key()).min(1))
      .optional()
      .transform((keys) => keys ?? []),
    secret: true,
  } satisfies EnvVar<readonly SecretBytes[]>,
  leaseTtlMs: integerVar(
    'LEASE_TTL_MS',
    { fallback: 30_000, min: 5_000, max: 300_000 },
    'How long an account lease lasts without renewal before another instance may take the account.',
  ),
  maxAccountsPerHost: integerVar(
    'MAX_ACCOUNTS_PER_HOST',
    { fallback: 50, min: 1, max: 1000 },
    'Most accounts one instance holds; with other instances alive it takes at most its fair share (accounts ÷ instances).',
  ),
  backfillConcurrency: integerVar(
    'BACKFILL_CONCURRENCY',
    { fallback: 1, min: 1, max: 2 },
    'Threads backfilled at the same time per account (DESIGN I6).',
  ),
  sendTtlSeconds: integerVar(
    'SEND_TTL_S',
    { fallback: 900, min: 10, max: 900 },
    'A send not sent this long after it was requested (not started, or cut off by a closed connection and still waiting for a socket) fails with `expired` instead of reaching the recipient late (at most the 15 minutes a send command is valid).',
  ),
  sendIntervalMs: integerVar(
    'SEND_INTERVAL_MS',
    { fallback: 1_000, min: 0, max: 60_000 },
    'Shortest time between two sends of one account: a steady pace protects the number from being flagged as a bulk sender.',
  ),
  sendJitterMs: integerVar(
    'SEND_JITTER_MS',
    { fallback: 1_000, min: 0, max: 60_000 },
    'Random extra wait (uniform, 0 to this) added to SEND_INTERVAL_MS before each send of an account.',
  ),
  backfillRequestTimeoutSeconds: integerVar(
    'BACKFILL_REQUEST_TIMEOUT_S',
    { fallback: 60, min: 1, max: 3600 },
    'How long a backfill waits for the phone to answer one history request before counting it unanswered (the phone may be offline). Keep it above 30 s, the longest the Baileys event buffer holds an answer before handing it on.',
  ),
  backfillRetries: integerVar(
    'BACKFILL_RETRIES',
    { fallback: 1, min: 0, max: 10 },
    'Unanswered history requests of one thread asked again within one backfill; the backfill then moves on (no retry storm).',
  ),
  mediaMaxBytes: integerVar(
    'MEDIA_MAX_BYTES',
    { fallback: 100 * 1024 * 1024, min: 1024 * 1024, max: 2 * 1024 * 1024 * 1024 },
    'Largest media file stored, in bytes; larger ones are marked `too_large`.',
  ),
  mediaEagerTypes: subsetVar(
    'MEDIA_EAGER_TYPES',
    MEDIA_TYPES,
    'Live media of these types (comma-separated; `none`: no type) is fetched as soon as it arrives; live media of other types is fetched like history media: on its first request and by the background pass (MEDIA_PREFETCH_NEWEST).',
  ),
  mediaDownloadsPerAccount: integerVar(
    'MEDIA_DOWNLOADS_PER_ACCOUNT',
    { fallback: 3, min: 1, max: 50 },
    'Media files of one account downloaded and stored at the same time.',
  ),
  mediaDownloadsPerHost: integerVar(
    'MEDIA_DOWNLOADS_PER_HOST',
    { fallback: 12, min: 1, max: 500 },
    'Media files of all accounts of one host instance downloaded and stored at the same time.',
  ),
  mediaPrefetchNewest: integerVar(
    'MEDIA_PREFETCH_NEWEST',
    { fallback: 20, min: 0, max: 1000 },
    "History and backfill media, and live media of types not in MEDIA_EAGER_TYPES, is fetched on its first request, and in the background for each thread's newest this many messages (0: only on request).",
  ),
  syncWritesPerSecond: integerVar(
    'SYNC_WRITES_PER_SECOND',
    { fallback: 500, min: 10, max: 100_000 },
    "Document writes per second the sync pipeline starts with, for all of the host's accounts together; it then ramps up by 50 % every 5 minutes of traffic (Firestore's 500/50/5 rule), up to SYNC_WRITES_PER_SECOND_MAX.",
  ),
  syncWritesPerSecondMax: integerVar(
    'SYNC_WRITES_PER_SECOND_MAX',
    { fallback: 10_000, min: 10, max: 1_000_000 },
    'Highest write rate the ramp reaches (at least SYNC_WRITES_PER_SECOND).',
  ),
  pendingUpdatesTtlDays: integerVar(
    'PENDING_UPDATES_TTL_DAYS',
    { fallback: 30, min: 1, max: 3650 },
    'Updates (receipts, reactions, edits, votes) whose message never arrived are kept this long after their last change (`pendingUpdates.expiresAt`, deleted by a Firestore TTL policy).',
  ),
  rawHistoryRetentionDays: integerVar(
    'RAW_HISTORY_RETENTION_DAYS',
    { fallback: 30, min: 1, max: 3650 },
    'Raw history payloads (server-only, replayed after a crash and by `replay-history`) are kept this long after they arrived (`expiresAt`, deleted by a Firestore TTL policy).',
  ),
  googleCloudProject: patternVar(
    'GOOGLE_CLOUD_PROJECT',
    PROJECT_ID,
    PROJECT_ID_EXPECTED,
    'Google Cloud project id; when unset, firebase-admin takes it from credentials or the metadata server.',
  ),
  gcloudProject: patternVar(
    'GCLOUD_PROJECT',
    PROJECT_ID,
    PROJECT_ID_EXPECTED,
    'Older name of GOOGLE_CLOUD_PROJECT (the Firebase emulators set it); must agree with it when both are set.',
  ),
  firestoreEmulatorHost: emulatorHostVar(
    'FIRESTORE_EMULATOR_HOST',
    'host:port of a Firestore emulator; when set, firebase-admin uses it and AUTH_STATE_KEY is optional.',
  ),
  cloudTasksEmulatorHost: emulatorHostVar(
    'CLOUD_TASKS_EMULATOR_HOST',
    'host:port of the Cloud Tasks emulator; reconnect backfills are enqueued there. Against a Firestore emulator without it, the host schedules no backfills.',
  ),
} as const;

/** One bad variable and why. */
export type ConfigProblem = { variable: string; reason: string };

/** The environment is invalid; `problems` (and the message) list every bad variable. */
export class ConfigError extends AppError {
  override readonly name: string = 'ConfigError';

  constructor(readonly problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.reason}`);
    super('config_invalid', `Invalid configuration:\n${lines.join('\n')}`, { problems: [...problems] });
  }
}

/** Settings shared by the socket host and the functions (DESIGN §5). */
export type SyncConfig = Readonly<ValuesOf<typeof SYNC_VARS>>;
/** Settings of the Cloud Functions. */
export type FunctionsConfig = Readonly<ValuesOf<typeof FUNCTIONS_VARS>>;
/** Settings of the socket host; `hostId` and `projectId` are resolved from their sources. */
export type HostConfig = Readonly<
  Omit<ValuesOf<typeof HOST_VARS>, 'hostId' | 'googleCloudProject' | 'gcloudProject'> & {
    hostId: string;
    projectId: string | undefined;
  }
>;

/** Options of `parseHostConfig`. */
export interface HostConfigOptions {
  /**
   * Random suffix for the default HOST_ID (`<K_REVISION or "local">-<suffix>`), chosen by the
   * caller so that parsing stays deterministic. Without it, HOST_ID must be set.
   */
  hostIdSuffix?: string;
}

/** The raw value of `name`, trimmed; empty counts as unset. */
function rawValue(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Quotes a bad value for an error message, shortened so a pasted blob cannot flood the log. */
function quote(raw: string | undefined): string {
  if (raw === undefined) return 'nothing';
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
}

/** Parses every variable of `vars`; failures go to `problems`, so their values are missing. */
function parseVars<V extends EnvVars>(vars: V, env: Env, problems: ConfigProblem[]): Partial<ValuesOf<V>> {
  const values: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(vars)) {
    const raw = rawValue(env, spec.name);
    const result = spec.schema.safeParse(raw);
    if (result.success) {
      values[key] = result.data;
    } else {
      const got = spec.secret ? ' (value not shown)' : `, got ${quote(raw)}`;
      const why = !spec.secret && raw !== undefined && spec.explain ? `: ${spec.explain(raw)}` : '';
      problems.push({ variable: spec.name, reason: `${spec.expected}${got}${why}` });
    }
  }
  return values as Partial<ValuesOf<V>>;
}

function checkJitterRange(values: Partial<ValuesOf<typeof SCHEDULING_VARS>>, problems: ConfigProblem[]): void {
  const { backfillJitterMinSeconds: min, backfillJitterMaxSeconds: max } = values;
  if (min !== undefined && max !== undefined && min > max) {
    problems.push({
      variable: FUNCTIONS_VARS.backfillJitterMinSeconds.name,
      reason: `must not exceed ${FUNCTIONS_VARS.backfillJitterMaxSeconds.name} (${max}), got ${min}`,
    });
  }
}

/** Throws the collected problems, or returns the values (complete, since nothing failed) frozen. */
function finish<T extends object>(values: Partial<T>, problems: readonly ConfigProblem[]): Readonly<T> {
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values as T);
}

/** Parses the sync settings; throws `ConfigError` listing every bad variable. */
export function parseSyncConfig(env: Env): SyncConfig {
  const problems: ConfigProblem[] = [];
  return finish(parseVars(SYNC_VARS, env, problems), problems);
}

/** Parses the functions' settings; throws `ConfigError` listing every bad variable. */
export function parseFunctionsConfig(env: Env): FunctionsConfig {
  const problems: ConfigProblem[] = [];
  const values = parseVars(FUNCTIONS_VARS, env, problems);
  checkJitterRange(values, problems);
  return finish(values, problems);
}

/** AUTH_STATE_KEY must be set whenever real Firestore is used (FIRESTORE_EMULATOR_HOST unset). */
function checkAuthStateKeyPresent(env: Env, problems: ConfigProblem[]): void {
  const { authStateKey, firestoreEmulatorHost } = HOST_VARS;
  if (rawValue(env, authStateKey.name) === undefined && rawValue(env, firestoreEmulatorHost.name) === undefined) {
    problems.push({
      variable: authStateKey.name,
      reason: `required when ${firestoreEmulatorHost.name} is unset (real Firestore): ${authStateKey.expected}`,
    });
  }
}

/** The write-rate ramp must end at or above where it starts. */
function checkWriteRamp(values: Partial<ValuesOf<typeof HOST_VARS>>, problems: ConfigProblem[]): void {
  const { syncWritesPerSecond: start, syncWritesPerSecondMax: max } = values;
  if (start !== undefined && max !== undefined && max < start) {
    problems.push({
      variable: HOST_VARS.syncWritesPerSecondMax.name,
      reason: `must be at least ${HOST_VARS.syncWritesPerSecond.name} (${start}), got ${max}`,
    });
  }
}

/** Previous keys only make sense beside a current one: rotation reads old keys, writes the new one. */
function checkPreviousKeysHaveCurrent(env: Env, problems: ConfigProblem[]): void {
  const { authStateKey, authStatePreviousKeys } = HOST_VARS;
  if (rawValue(env, authStatePreviousKeys.name) !== undefined && rawValue(env, authStateKey.name) === undefined) {
    problems.push({
      variable: authStatePreviousKeys.name,
      reason: `requires ${authStateKey.name} (the new key) to be set`,
    });
  }
}

/** The one project id, from whichever of the two variables is set; they must agree if both are. */
function resolveProjectId(
  googleCloudProject: string | undefined,
  gcloudProject: string | undefined,
  problems: ConfigProblem[],
): string | undefined {
  if (googleCloudProject !== undefined && gcloudProject !== undefined && googleCloudProject !== gcloudProject) {
    problems.push({
      variable: HOST_VARS.gcloudProject.name,
      reason: `must equal ${HOST_VARS.googleCloudProject.name} (${quote(googleCloudProject)}) when both are set, got ${quote(gcloudProject)}`,
    });
  }
  return googleCloudProject ?? gcloudProject;
}

/** The HOST_ID to use when it is unset: `<K_REVISION or "local">-<suffix>`, if the caller gave a suffix. */
function defaultHostId(
  revision: string | undefined,
  suffix: string | undefined,
  problems: ConfigProblem[],
): string | undefined {
  const spec = HOST_VARS.hostId;
  if (suffix === undefined) {
    problems.push({ variable: spec.name, reason: 'required when the caller supplies no hostIdSuffix' });
    return undefined;
  }
  const derived = `${revision ?? 'local'}-${suffix}`;
  const parsed = spec.schema.safeParse(derived);
  if (!parsed.success) {
    problems.push({
      variable: spec.name,
      reason: `unset, and the default ${quote(derived)} is invalid: ${spec.expected}`,
    });
  }
  return parsed.data;
}

/**
 * Parses the socket host's settings; throws `ConfigError` listing every bad variable.
 *
 * AUTH_STATE_KEY is required whenever real Firestore is used, whatever the transport: auth state
 * must never be stored unencrypted (DESIGN I7). Against the emulator it is optional, because there
 * a lost key only costs the local developer a re-pair.
 */
export function parseHostConfig(env: Env, options: HostConfigOptions = {}): HostConfig {
  const problems: ConfigProblem[] = [];
  const { hostId, googleCloudProject, gcloudProject, ...values } = parseVars(HOST_VARS, env, problems);
  checkJitterRange(values, problems);
  checkWriteRamp(values, problems);
  checkAuthStateKeyPresent(env, problems);
  checkPreviousKeysHaveCurrent(env, problems);
  const projectId = resolveProjectId(googleCloudProject, gcloudProject, problems);
  const resolvedHostId =
    rawValue(env, HOST_VARS.hostId.name) === undefined
      ? defaultHostId(values.cloudRunRevision, options.hostIdSuffix, problems)
      : hostId;
  return finish({ ...values, hostId: resolvedHostId, projectId }, problems);
}

/** Where a variable is read: by the socket host, the functions, or both. */
export type ConfigScope = 'host' | 'functions' | 'both';

/** One row of the configuration table in the README. */
export interface ConfigDoc {
  name: string;
  default: string;
  description: string;
  scope: ConfigScope;
}

function buildConfigDocs(): readonly ConfigDoc[] {
  const hostNames = new Set(Object.values(HOST_VARS).map((spec) => spec.name));
  const functionsNames = new Set(Object.values(FUNCTIONS_VARS).map((spec) => spec.name));
  const scopeOf = (name: string): ConfigScope => {
    if (!hostNames.has(name)) return 'functions';
    return functionsNames.has(name) ? 'both' : 'host';
  };
  const byName = new Map<string, EnvVar<unknown>>();
  for (const spec of [...Object.values(FUNCTIONS_VARS), ...Object.values(HOST_VARS)]) byName.set(spec.name, spec);
  return Object.freeze(
    [...byName.values()].map((spec) =>
      Object.freeze({
        name: spec.name,
        default: spec.defaultLabel,
        description: spec.description,
        scope: scopeOf(spec.name),
      }),
    ),
  );
}

/** Every environment variable, once, in declaration order: the source of the README's table. */
export const CONFIG_DOCS: readonly ConfigDoc[] = buildConfigDocs();

/** Config fields holding secrets, of every config. */
const SECRET_FIELDS: ReadonlySet<string> = new Set(
  Object.entries({ ...FUNCTIONS_VARS, ...HOST_VARS })
    .filter(([, spec]) => spec.secret)
    .map(([field]) => field),
);

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** A copy of any parsed config that is safe to log: secrets that are set become `<redacted>`. */
export function redactConfig(config: SyncConfig | FunctionsConfig | HostConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([field, value]) => [
      field,
      SECRET_FIELDS.has(field) && value !== undefined && !isEmptyList(value) ? REDACTED : value,
    ]),
  );
}
