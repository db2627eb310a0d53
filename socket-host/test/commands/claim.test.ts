/** When the executor may run a command it found (claim.ts): pure decisions, every branch. */
import assert from 'node:assert/strict';
import { COMMAND_WINDOWS } from '@wasync/shared';
import { claimDecision, type StoredCommand } from '../../src/commands/claim.ts';

const T = 1_735_000_000_000;
const TTL = 60_000;
const send: StoredCommand = {
  type: 'send',
  state: 'pending',
  payload: {
    to: '4915100000001@s.whatsapp.net',
    text: 'hi',
    clientMessageId: 'k',
    messageId: '3EB0000000000000000001',
  },
  createdAt: T,
  expiresAt: T + COMMAND_WINDOWS.send,
  pairingGeneration: 2,
};
const decide = (stored: Partial<StoredCommand>, now = T + 1, epoch = 7, generation: number | undefined = 2) =>
  claimDecision({ ...send, ...stored }, generation, epoch, now, TTL);

describe('commands: claim decisions', () => {
  it('runs a pending command with a valid payload, in its generation, before its deadlines', () => {
    const d = decide({});
    assert.equal(d.kind, 'run');
    assert.deepEqual(d.kind === 'run' && [d.resumed, d.sendingBefore], [false, false]);
  });

  it('fails a payload that fails the shared schema with invalid_argument, naming the field', () => {
    const d = decide({ payload: { ...(send.payload as object), messageId: 'not-an-id' } });
    assert.equal(d.kind === 'fail' && d.error.code, 'invalid_argument');
    assert.match(d.kind === 'fail' ? d.error.message : '', /messageId/);
    assert.equal(decide({ type: 'reboot' }).kind === 'fail' && decide({ type: 'reboot' }).kind, 'fail');
  });

  it('fails a command of another pairing generation, and an expired one', () => {
    const other = decide({}, T + 1, 7, 3);
    assert.equal(other.kind === 'fail' && other.error.code, 'failed_precondition');
    const late = decide({}, T + TTL);
    assert.equal(late.kind === 'fail' && late.error.code, 'expired', 'SEND_TTL_S');
    const backfill = decide(
      { type: 'backfill', payload: { reason: 'manual', threads: 1, count: 10 }, expiresAt: T + 10 },
      T + 10,
    );
    assert.equal(backfill.kind === 'fail' && backfill.error.code, 'expired', 'expiresAt');
  });

  it('resumes a command running under another epoch; skips one running here and finished ones', () => {
    const resumed = decide({ state: 'running', claimEpoch: 6 });
    assert.deepEqual(resumed.kind === 'run' && [resumed.resumed, resumed.sendingBefore], [true, false]);
    assert.equal(decide({ state: 'running', claimEpoch: 7 }).kind, 'skip');
    assert.equal(decide({ state: 'done' }).kind, 'skip');
    assert.equal(decide({ state: 'failed' }).kind, 'skip');
  });

  it('finishes a send that may already be out (sending marked) even past its deadline, never one of another session', () => {
    const late = decide({ state: 'running', claimEpoch: 6, sendingEpoch: 6 }, T + COMMAND_WINDOWS.send + 1);
    assert.deepEqual(late.kind === 'run' && [late.resumed, late.sendingBefore], [true, true]);
    const loggedOut = decide({ state: 'running', claimEpoch: 6, sendingEpoch: 6 }, T + 1, 7, 3);
    assert.equal(loggedOut.kind, 'fail');
  });
});
