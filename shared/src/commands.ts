/**
 * Command documents (`accounts/{accountId}/commands/{commandId}`, DESIGN §3): the contract between
 * the functions, which write them, and the socket host, which executes them. Firestore is the bus,
 * so these schemas are the only API between the two.
 *
 * Each command type has a `payload` schema (written by the functions, read by the host) and a
 * `result` schema (written by the host once `state` is `done`). Both are strict: an unknown field
 * is a writer bug, and the host must fail the command with `invalid_argument` rather than guess.
 *
 * Choosing the WhatsApp message id of a send: the **functions** choose it, deterministically from
 * (accountId, clientMessageId), in the format Baileys' own `generateMessageIDV2` produces (`3EB0` +
 * 18 uppercase hex digits), and the host passes it to `sock.sendMessage(jid, content, { messageId })`.
 * Why the functions and not the host: the API returns `{commandId, messageId}` before anything is
 * sent (202), and a replayed request must return the same ids, so the id has to exist when the
 * command is written. Deriving it from the client's idempotency key (rather than random) makes two
 * racing requests with one key agree on it too. It is an HMAC under a server secret, so a recipient,
 * who sees the id, cannot test guesses of readable keys. Baileys' runtime is not imported for this:
 * the functions bundle must stay free of it (see `functions/src/commands/ids.ts` for the derivation).
 *
 * When a command may run (`commandRunnable`, for the host's executor): before its `expiresAt`
 * (`COMMAND_WINDOWS` after it was written: a message an agent sent an hour ago and that never went
 * out must fail visibly, not surprise the recipient later), and only in the WhatsApp session it was
 * written in (`pairingGeneration`): a send written before a logout or a new pairing is never sent
 * from the new session. Documents are deleted by Firestore's TTL policy at `purgeAt`
 * (`COMMAND_RETENTION_MS` after writing); until then a repeated idempotency key finds them.
 *
 * Times are epoch milliseconds in the domain; the Firestore adapters turn them into Timestamps.
 * This module is pure (zod only) so browser apps can import it as well.
 */
import { z } from 'zod';
import { type CommandState, type CommandType, type EpochMs, MEDIA_STATES } from './schema.ts';

/** The id format of Baileys' `generateMessageIDV2`: what WhatsApp Web clients send. */
export const WA_MESSAGE_ID_PATTERN = /^3EB0[0-9A-F]{18}$/;

/**
 * A client's idempotency key for a send (e.g. a UUID): the same key on one account always yields
 * the same command and message ids. Restricted to URL- and log-safe characters.
 */
export const CLIENT_MESSAGE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** WhatsApp's own limit on the text of one message. */
export const MAX_TEXT_LENGTH = 65_536;

/** Limits of a backfill request (the same ranges as WHATSAPP_BACKFILL_THREADS/_COUNT). */
export const BACKFILL_LIMITS = { threads: { min: 1, max: 500 }, count: { min: 1, max: 1000 }, threadIds: 50 } as const;

/**
 * A phone number for pairing by code: digits only, country code first, no `+` (E.164 without the
 * plus, 7–15 digits) — what Baileys' `requestPairingCode` expects.
 */
export const PAIRING_PHONE_PATTERN = /^[1-9]\d{6,14}$/;

const jid = z.string().min(3).max(320).includes('@', { message: 'expected a JID (user@server)' });
const docId = z.string().min(1).max(1500);

// ---- send ------------------------------------------------------------------------------------

export const sendPayloadSchema = z
  .object({
    /** The chat JID the host sends to (canonical when the caller addressed a thread). */
    to: jid,
    /** The thread document id, when the caller addressed an existing thread. */
    threadId: docId.optional(),
    text: z.string().min(1).max(MAX_TEXT_LENGTH),
    /** The caller's idempotency key. */
    clientMessageId: z.string().regex(CLIENT_MESSAGE_ID_PATTERN),
    /** The WhatsApp message id to send with (chosen by the functions, see the module comment). */
    messageId: z.string().regex(WA_MESSAGE_ID_PATTERN),
    /** WhatsApp id of a message in the same chat to quote. */
    quotedId: z.string().min(1).max(128).optional(),
  })
  .strict();

export const sendResultSchema = z
  .object({
    messageId: z.string().regex(WA_MESSAGE_ID_PATTERN),
    /** When the host handed the message to the socket. */
    sentAt: z.number().int().nonnegative(),
  })
  .strict();

// ---- backfill --------------------------------------------------------------------------------

export const backfillPayloadSchema = z
  .object({
    /** `manual`: an API or callable request; `reconnect`: scheduled when a connection opened. */
    reason: z.enum(['manual', 'reconnect']),
    /** How many of the most recently active threads to walk. */
    threads: z.number().int().min(BACKFILL_LIMITS.threads.min).max(BACKFILL_LIMITS.threads.max),
    /** Ask for older messages until each thread holds up to this many. */
    count: z.number().int().min(BACKFILL_LIMITS.count.min).max(BACKFILL_LIMITS.count.max),
    /** Only these threads (document ids), instead of the most recently active ones. */
    threadIds: z.array(docId).min(1).max(BACKFILL_LIMITS.threadIds).optional(),
  })
  .strict();

export const backfillResultSchema = z
  .object({
    threads: z.number().int().nonnegative(),
    requested: z.number().int().nonnegative(),
    received: z.number().int().nonnegative(),
  })
  .strict();

// ---- logout ----------------------------------------------------------------------------------

/** Logs the account out of WhatsApp (unlinks the device) and deletes its auth state. */
export const logoutPayloadSchema = z.object({}).strict();
export const logoutResultSchema = z.object({}).strict();

// ---- pair ------------------------------------------------------------------------------------

/**
 * Starts pairing. `qr`: the host publishes rotating QR codes in the admin-only pairing document
 * (`accounts/{id}/private/pairing`); `code`: the host requests a pairing code for `phoneNumber`
 * and publishes it there (and in the result).
 */
export const pairPayloadSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('qr') }).strict(),
  z.object({ method: z.literal('code'), phoneNumber: z.string().regex(PAIRING_PHONE_PATTERN) }).strict(),
]);

export const pairResultSchema = z
  .object({
    /** The 8-character code to type on the phone (method `code` only). */
    pairingCode: z.string().min(1).max(16).optional(),
  })
  .strict();

// ---- fetch_media ---------------------------------------------------------------------------

/**
 * Fetches a message's media now (the API asked for media not stored yet): the owning host
 * downloads it from WhatsApp (one re-upload request if the link expired) and stores it.
 */
export const fetchMediaPayloadSchema = z
  .object({
    threadId: docId,
    /** The message document id. */
    messageId: docId,
  })
  .strict();

export const fetchMediaResultSchema = z
  .object({
    /** `media.state` after the fetch (`stored`, `expired`, `too_large`, `failed`). */
    state: z.enum(MEDIA_STATES),
  })
  .strict();

// ---- all commands ----------------------------------------------------------------------------

/** Payload and result schema of every command type. */
export const COMMAND_SCHEMAS = {
  send: { payload: sendPayloadSchema, result: sendResultSchema },
  backfill: { payload: backfillPayloadSchema, result: backfillResultSchema },
  logout: { payload: logoutPayloadSchema, result: logoutResultSchema },
  pair: { payload: pairPayloadSchema, result: pairResultSchema },
  fetch_media: { payload: fetchMediaPayloadSchema, result: fetchMediaResultSchema },
} as const satisfies Record<CommandType, { payload: z.ZodType; result: z.ZodType }>;

export type SendPayload = z.infer<typeof sendPayloadSchema>;
export type SendResult = z.infer<typeof sendResultSchema>;
export type BackfillPayload = z.infer<typeof backfillPayloadSchema>;
export type BackfillResult = z.infer<typeof backfillResultSchema>;
export type LogoutPayload = z.infer<typeof logoutPayloadSchema>;
export type LogoutResult = z.infer<typeof logoutResultSchema>;
export type PairPayload = z.infer<typeof pairPayloadSchema>;
export type PairResult = z.infer<typeof pairResultSchema>;
export type FetchMediaPayload = z.infer<typeof fetchMediaPayloadSchema>;
export type FetchMediaResult = z.infer<typeof fetchMediaResultSchema>;

export type CommandPayload<T extends CommandType> = z.infer<(typeof COMMAND_SCHEMAS)[T]['payload']>;
export type CommandResult<T extends CommandType> = z.infer<(typeof COMMAND_SCHEMAS)[T]['result']>;

/** Why a command failed: an `AppError` code plus a human-readable message. */
export const commandErrorSchema = z
  .object({
    code: z.string().min(1).max(64),
    message: z.string().max(2000),
    /** WhatsApp's own error code, when WhatsApp refused it (`send_failed`): e.g. 404 for a group the account left. */
    whatsappCode: z.number().int().optional(),
  })
  .strict();
export type CommandError = z.infer<typeof commandErrorSchema>;

/** A command document of type `T`, with domain times. `CommandDoc` in schema.ts is its untyped form. */
export interface TypedCommandDoc<T extends CommandType = CommandType> {
  type: T;
  state: CommandState;
  payload: CommandPayload<T>;
  /** Present once `state` is `done`. */
  result?: CommandResult<T>;
  /** Present once `state` is `failed`. */
  error?: CommandError;
  createdAt: EpochMs;
  /** uid of the caller, or `system:<what>` for commands the system schedules (reconnect backfill). */
  createdBy: string;
  updatedAt: EpochMs;
  /** Not started after this: the executor fails it with `expired` (`commandRunnable`). */
  expiresAt: EpochMs;
  /** Firestore's TTL policy deletes the document after this. */
  purgeAt: EpochMs;
  /** The account's `pairingGeneration` when written; executed only in that generation. */
  pairingGeneration: number;
}

/** How long after writing a command the host may still start it, per type. */
export const COMMAND_WINDOWS: Readonly<Record<CommandType, number>> = {
  send: 15 * 60_000,
  backfill: 60 * 60_000,
  pair: 10 * 60_000,
  logout: 60 * 60_000,
  // The API answers 202 and the app asks again; a request nobody ran in 10 minutes is made anew.
  fetch_media: 10 * 60_000,
};

/** How long command documents are kept (the idempotency window of clientMessageId and requestId). */
export const COMMAND_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** The lifetime fields of a command written at `now` in pairing generation `pairingGeneration`. */
export function commandLifetime(
  type: CommandType,
  now: EpochMs,
  pairingGeneration: number,
): Pick<TypedCommandDoc, 'expiresAt' | 'purgeAt' | 'pairingGeneration'> {
  return { expiresAt: now + COMMAND_WINDOWS[type], purgeAt: now + COMMAND_RETENTION_MS, pairingGeneration };
}

/**
 * Whether the host may start `command` now, for an account currently in `accountGeneration`
 * (its `pairingGeneration`, 0 when absent). Otherwise the error to fail it with. The executor
 * checks this when it claims the command, in the same transaction as the account read.
 */
export function commandRunnable(
  command: Pick<TypedCommandDoc, 'expiresAt' | 'pairingGeneration'>,
  accountGeneration: number | undefined,
  now: EpochMs,
): { ok: true } | { ok: false; error: CommandError } {
  if ((command.pairingGeneration ?? 0) !== (accountGeneration ?? 0)) {
    return {
      ok: false,
      error: {
        code: 'failed_precondition',
        message: 'written before the account was logged out or paired again; not executed in the new session',
      },
    };
  }
  if (!(now < command.expiresAt)) {
    return { ok: false, error: { code: 'expired', message: 'expired before a socket host could run it' } };
  }
  return { ok: true };
}

/** Every command document type, discriminated by `type`. */
export type AnyCommandDoc = { [T in CommandType]: TypedCommandDoc<T> }[CommandType];

/**
 * Validates the payload of a command the host read: the typed payload, or the zod error to fail
 * the command with. Never throws, so one bad document cannot stop the executor.
 */
export function parseCommandPayload<T extends CommandType>(
  type: T,
  payload: unknown,
): { ok: true; payload: CommandPayload<T> } | { ok: false; error: z.ZodError } {
  const parsed = COMMAND_SCHEMAS[type].payload.safeParse(payload);
  return parsed.success ? { ok: true, payload: parsed.data as CommandPayload<T> } : { ok: false, error: parsed.error };
}

/** Validates a result before the host writes it (a bug there must not reach apps). */
export function parseCommandResult<T extends CommandType>(
  type: T,
  result: unknown,
): { ok: true; result: CommandResult<T> } | { ok: false; error: z.ZodError } {
  const parsed = COMMAND_SCHEMAS[type].result.safeParse(result);
  return parsed.success ? { ok: true, result: parsed.data as CommandResult<T> } : { ok: false, error: parsed.error };
}
