/**
 * The heartbeat keeps HOST_ID to one running instance: a run that finds its document taken over by
 * another instance reports it and leaves that instance's document alone. (Start-up refusal and the
 * wait for a crashed run's heartbeat run as processes in host.test.ts.)
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { paths } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';
import { clearFirestore, testDb } from '../../test/support/firestore.ts';
import { Heartbeat, type HostIdInUseError } from '../src/heartbeat.ts';
import { createLogger } from '../src/log.ts';

describe('heartbeat', () => {
  beforeEach(clearFirestore);

  it('beats, and stops with a clear error when another instance took its HOST_ID over', async () => {
    const conflicts: HostIdInUseError[] = [];
    const heartbeat = new Heartbeat(testDb(), 'h1', undefined, createLogger('silent'), {
      intervalMs: 100,
      staleAfterMs: 5_000,
      onConflict: (err) => conflicts.push(err),
    });
    await heartbeat.start();
    const ref = testDb().doc(paths.host('h1'));
    const mine = (await ref.get()).get('instance');
    assert.equal(typeof mine, 'string');
    await sleep(250);
    assert.ok(heartbeat.status.lastBeatAt, 'beating');

    // This run was frozen past the stale limit and another one took the id.
    const other = { hostId: 'h1', instance: 'another-run', heartbeatAt: Timestamp.now() };
    await ref.set(other);
    await sleep(300);
    assert.equal(conflicts.length, 1);
    assert.equal(conflicts[0]!.code, 'host_id_in_use');
    assert.match(conflicts[0]!.message, /HOST_ID h1 is in use by another running instance \(instance another-run/);
    assert.equal((await ref.get()).get('instance'), 'another-run', 'not overwritten');
    await heartbeat.stop();
    assert.equal((await ref.get()).get('instance'), 'another-run', 'not deleted on stop either');
  });
});
