/**
 * An account's command documents (`accounts/{id}/commands/{commandId}`) as the executor reads and
 * writes them. Every state change runs in the account's fenced transaction (the lease is read
 * first): a host that lost the account can neither claim nor finish a command.
 *
 * Stored by the host besides the contract fields: `claim{ epoch, at }` (who runs it) and
 * `sending{ epoch, at }` (written with the `pending` message, just before a send is handed to the socket).
 */
import { type CommandError, type EpochMs, paths } from '@wasync/shared';
import { type DocumentSnapshot, type Firestore, Timestamp, type Transaction } from 'firebase-admin/firestore';
import type { Fence } from '../accounts/fence.ts';
import { type ClaimDecision, claimDecision, type StoredCommand } from './claim.ts';

/** A command as the listener saw it (enough to queue it; the claim re-reads it). */
export interface SeenCommand {
  id: string;
  type: unknown;
  state: 'pending' | 'running';
  payload: unknown;
  createdAt: EpochMs;
  expiresAt: EpochMs;
}

/** Commands failed per transaction (Firestore's 500 writes, with room). */
const FAIL_BATCH = 400;

const millis = (value: unknown): number => (value instanceof Timestamp ? value.toMillis() : Number.NaN);

export function storedCommand(snapshot: DocumentSnapshot): StoredCommand {
  const claimEpoch: unknown = snapshot.get('claim.epoch');
  const sendingEpoch: unknown = snapshot.get('sending.epoch');
  const generation: unknown = snapshot.get('pairingGeneration');
  return {
    type: snapshot.get('type'),
    state: snapshot.get('state'),
    payload: snapshot.get('payload'),
    createdAt: millis(snapshot.get('createdAt')),
    expiresAt: millis(snapshot.get('expiresAt')),
    pairingGeneration: typeof generation === 'number' ? generation : undefined,
    ...(typeof claimEpoch === 'number' ? { claimEpoch } : {}),
    ...(typeof sendingEpoch === 'number' ? { sendingEpoch } : {}),
  };
}

export class CommandStore {
  constructor(
    private readonly db: Firestore,
    readonly accountId: string,
    private readonly fence: Fence,
    private readonly sendTtlMs: number,
  ) {}

  /**
   * Listens to the account's pending and running commands, oldest first (index `state, createdAt`);
   * `onError` gets listener failures. Returns the unsubscribe function.
   */
  listen(onCommands: (commands: SeenCommand[]) => void, onError: (err: Error) => void): () => void {
    return this.db
      .collection(paths.commands(this.accountId))
      .where('state', 'in', ['pending', 'running'])
      .orderBy('createdAt')
      .onSnapshot(
        (snapshot) =>
          onCommands(
            snapshot.docs.map((doc) => ({
              id: doc.id,
              type: doc.get('type'),
              state: doc.get('state'),
              payload: doc.get('payload'),
              createdAt: millis(doc.get('createdAt')),
              expiresAt: millis(doc.get('expiresAt')),
            })),
          ),
        onError,
      );
  }

  /**
   * Claims `commandId` for this owner: `running` with `claim{ epoch }`, or `failed` at once when
   * the decision says so (recorded in the same transaction). Returns the decision. A backfill
   * left `running` by an earlier owner and failed here (past its window, another pairing) also
   * ends the account's `backfill` that owner recorded as running: nobody runs it any more.
   */
  claim(commandId: string, now = Date.now()): Promise<ClaimDecision> {
    const ref = this.#ref(commandId);
    const account = this.db.doc(paths.account(this.accountId));
    return this.fence.run(
      (tx, [snapshot, accountSnapshot]) => {
        if (!snapshot!.exists) return { kind: 'skip', why: 'gone' } as const;
        const generation: unknown = accountSnapshot!.get('pairingGeneration');
        const stored = storedCommand(snapshot!);
        const decision = claimDecision(
          stored,
          typeof generation === 'number' ? generation : undefined,
          this.fence.epoch,
          now,
          this.sendTtlMs,
        );
        const at = Timestamp.fromMillis(now);
        if (decision.kind === 'run') {
          tx.update(ref, { state: 'running', claim: { epoch: this.fence.epoch, at }, updatedAt: at });
        } else if (decision.kind === 'fail') {
          tx.update(ref, { state: 'failed', error: decision.error, updatedAt: at });
          const abandoned = stored.type === 'backfill' && stored.state === 'running';
          if (abandoned && accountSnapshot!.get('backfill.state') === 'running') {
            tx.update(account, { 'backfill.state': 'failed', 'backfill.finishedAt': at });
          }
        }
        return decision;
      },
      [ref, account],
    );
  }

  /**
   * The write that records a send is being handed to the socket now, to add to another fenced
   * transaction of this owner: the one that stores the message `pending` (a transaction of its
   * own would cost every send one more round of fenced writes). Written without
   * reading the command: under the fence nobody but this owner writes a command it claimed (the
   * functions only create commands; another host cannot pass the fence), and it is `running` under
   * our claim from the claim until this owner records its end, which comes after the send.
   */
  sendingMarker(commandId: string): (tx: Transaction) => void {
    const ref = this.#ref(commandId);
    return (tx) => tx.update(ref, { sending: { epoch: this.fence.epoch, at: Timestamp.now() } });
  }

  finish(commandId: string, result: Record<string, unknown>): Promise<void> {
    return this.#whileOurs(commandId, (at) => ({ state: 'done', result, updatedAt: at }));
  }

  fail(commandId: string, error: CommandError): Promise<void> {
    return this.#whileOurs(commandId, (at) => ({ state: 'failed', error, updatedAt: at }));
  }

  /** Fails a command still pending (a send that waited past its TTL), in one fenced transaction. */
  async failIfPending(commandId: string, error: CommandError): Promise<boolean> {
    const ref = this.#ref(commandId);
    return this.fence.run(
      (tx, [snapshot]) => {
        if (snapshot!.get('state') !== 'pending') return false;
        tx.update(ref, { state: 'failed', error, updatedAt: Timestamp.now() });
        return true;
      },
      [ref],
    );
  }

  /**
   * Fails those of `commandIds` still pending, in fenced transactions of at most `FAIL_BATCH`
   * commands each; returns the ids failed.
   */
  async failAllPending(commandIds: readonly string[], error: CommandError): Promise<string[]> {
    const failed: string[] = [];
    for (let i = 0; i < commandIds.length; i += FAIL_BATCH) {
      const refs = commandIds.slice(i, i + FAIL_BATCH).map((id) => this.#ref(id));
      const ids = await this.fence.run((tx, snapshots) => {
        const at = Timestamp.now();
        const pending = snapshots.filter((snapshot) => snapshot.get('state') === 'pending');
        for (const snapshot of pending) tx.update(snapshot.ref, { state: 'failed', error, updatedAt: at });
        return pending.map((snapshot) => snapshot.id);
      }, refs);
      failed.push(...ids);
    }
    return failed;
  }

  /** Reads a command (outside any transaction). */
  async read(commandId: string): Promise<DocumentSnapshot> {
    return this.#ref(commandId).get();
  }

  /** Applies `fields` if the command is still running under this owner's claim; else nothing. */
  #whileOurs(commandId: string, fields: (at: Timestamp) => Record<string, unknown>): Promise<void> {
    const ref = this.#ref(commandId);
    return this.fence.run(
      (tx, [snapshot]) => {
        if (snapshot!.get('state') !== 'running' || snapshot!.get('claim.epoch') !== this.fence.epoch) {
          throw new Error(`command ${commandId} is no longer running under epoch ${this.fence.epoch}`);
        }
        tx.update(ref, fields(Timestamp.now()));
      },
      [ref],
    );
  }

  #ref(commandId: string) {
    return this.db.doc(paths.command(this.accountId, commandId));
  }
}
