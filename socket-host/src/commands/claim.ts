/**
 * Whether this owner may run a command it found, decided from the stored document alone (pure:
 * the command store calls it inside the fenced transaction that claims the command, with the
 * account's `pairingGeneration` read in the same transaction).
 *
 * - `pending` → run (`pending → running`), unless its payload fails the shared schema
 *   (`invalid_argument`, never retried), it belongs to another pairing generation or is past its
 *   `expiresAt` (`commandRunnable`), or it is a send older than `SEND_TTL_S` (`expired`).
 * - `running` under another lease epoch → its host died or lost the account: resume it. A send
 *   that recorded `sending` may have reached WhatsApp; the send runner decides what to do with it.
 * - `running` under this epoch, `done`, `failed` → nothing to do.
 */
import {
  type AnyCommandDoc,
  COMMAND_TYPES,
  type CommandError,
  type CommandType,
  commandRunnable,
  parseCommandPayload,
} from '@wasync/shared';

/** The stored fields a claim looks at (times in epoch ms). */
export interface StoredCommand {
  type: unknown;
  state: unknown;
  payload: unknown;
  createdAt: number;
  expiresAt: number;
  pairingGeneration: number | undefined;
  /** The lease epoch of the owner that claimed it. */
  claimEpoch?: number;
  /** Set just before a send is handed to the socket: the epoch that did. */
  sendingEpoch?: number;
}

export type ClaimDecision =
  | { kind: 'run'; command: Pick<AnyCommandDoc, 'type' | 'payload'>; resumed: boolean; sendingBefore: boolean }
  | { kind: 'fail'; error: CommandError }
  | { kind: 'skip'; why: string };

export function claimDecision(
  stored: StoredCommand,
  accountGeneration: number | undefined,
  epoch: number,
  now: number,
  sendTtlMs: number,
): ClaimDecision {
  const { state } = stored;
  if (state === 'done' || state === 'failed') return { kind: 'skip', why: `already ${state}` };
  if (state === 'running' && stored.claimEpoch === epoch) return { kind: 'skip', why: 'running here' };
  if (state !== 'pending' && state !== 'running') return invalid(`unknown state ${String(state)}`);
  if (!isCommandType(stored.type)) return invalid(`unknown command type ${String(stored.type)}`);
  const parsed = parseCommandPayload(stored.type, stored.payload);
  if (!parsed.ok) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return invalid(`the ${stored.type} payload fails its schema (${fields.join('; ')})`);
  }
  const resumed = state === 'running';
  const sendingBefore = resumed && stored.sendingEpoch !== undefined;
  const runnable = commandRunnable(
    { expiresAt: stored.expiresAt, pairingGeneration: stored.pairingGeneration ?? 0 },
    accountGeneration,
    now,
  );
  // A send that may already be out is finished whatever the clock says (the recipient may have it).
  if (!runnable.ok && !(sendingBefore && runnable.error.code === 'expired'))
    return { kind: 'fail', error: runnable.error };
  if (stored.type === 'send' && !sendingBefore && now >= stored.createdAt + sendTtlMs) {
    return {
      kind: 'fail',
      error: {
        code: 'expired',
        message: `not sent within SEND_TTL_S (${Math.round(sendTtlMs / 1000)} s) of the request`,
      },
    };
  }
  const command = { type: stored.type, payload: parsed.payload } as Pick<AnyCommandDoc, 'type' | 'payload'>;
  return { kind: 'run', command, resumed, sendingBefore };
}

function isCommandType(type: unknown): type is CommandType {
  return (COMMAND_TYPES as readonly unknown[]).includes(type);
}

function invalid(message: string): ClaimDecision {
  return { kind: 'fail', error: { code: 'invalid_argument', message } };
}
