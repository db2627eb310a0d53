/**
 * The page says what the runbook's state table says: the table parses into a row per state (and
 * per lastError beginning), and the row picked for an account is the one an operator would pick
 * reading the runbook, for the errors the socket host really writes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONNECTION_STATES } from '@wasync/shared';
import { REPO_ROOT } from '../../../../scripts/lib/firebase-emulators.ts';
import { adviceFor, parseStateTable, stateTableSection } from '../../../src/dashboard/page/advice.ts';

const runbook = readFileSync(join(REPO_ROOT, 'docs/runbook.md'), 'utf8');
const table = parseStateTable(stateTableSection(runbook));

describe('dashboard page: advice from the runbook', () => {
  it('has a row for every connection state, and nothing else', () => {
    assert.deepEqual([...new Set(table.map((row) => row.state))].sort(), [...CONNECTION_STATES].sort());
    for (const row of table) {
      assert.ok(row.meaning.length > 10 && row.action.length > 3, row.state);
      assert.doesNotMatch(`${row.meaning} ${row.action}`, /\]\(|\*\*/, 'markdown links and emphasis become text');
    }
  });

  it('gives every state advice, with or without a lastError it knows', () => {
    for (const state of CONNECTION_STATES) {
      assert.ok(adviceFor(table, state), state);
      assert.ok(adviceFor(table, state, 'something nobody wrote down'), state);
    }
  });

  it('picks the row of the longest matching lastError beginning, else the generic one', () => {
    const pick = (state: string, lastError?: string) => {
      const row = adviceFor(table, state, lastError);
      assert.ok(row, `${state} ${lastError}`);
      return row.prefixes[0] ?? '—';
    };
    // What the socket host writes (socket-host/src/connection/account-session.ts, auth-state/crypto.ts).
    assert.equal(pick('idle'), '—');
    assert.equal(pick('idle', 'auth_key_unknown: sealed with key k123 this host does not have'), 'auth_key_unknown:');
    assert.equal(pick('idle', 'session_failed: Error: 14 UNAVAILABLE'), 'session_failed:');
    assert.equal(pick('connecting', 'Connection Failure (503); reconnecting in 4.2 s (3 in a row)'), '—');
    assert.equal(
      pick(
        'connecting',
        'temporary_ban: Connection Failure (402); WhatsApp banned the number until 2026-01-01T00:00:00Z',
      ),
      'temporary_ban:',
    );
    assert.equal(
      pick('closed', 'pairing_code_expired: QR refs attempts ended (408); nobody entered the pairing code'),
      'pairing_code_expired:',
    );
    assert.equal(pick('closed', 'qr_expired: QR refs attempts ended (408)'), 'qr_expired:');
    assert.equal(
      pick('closed', 'connection_replaced: Stream Errored (conflict) (440); another client …'),
      'connection_replaced:',
    );
    assert.equal(pick('logged_out', 'logged_out: Connection Failure (401)'), 'logged_out:');
    assert.equal(
      pick('error', 'connect_failed: 10 connects in a row failed for a reason this host does not know; last: x (405)'),
      'connect_failed:',
    );
    assert.equal(
      pick('error', 'auth_state_corrupt: unsupported state or unable to authenticate data'),
      'auth_state_corrupt:',
    );
    assert.equal(adviceFor(table, 'no-such-state'), undefined);
  });

  it('reads a table that changed: the page follows the runbook', () => {
    const section = stateTableSection(
      runbook.replace(
        '| `open`             | —',
        '| `open`             | `degraded:` (new) | Half up. | Wait. |\n| `open`             | —',
      ),
    );
    const changed = parseStateTable(section);
    assert.equal(adviceFor(changed, 'open', 'degraded: slow')?.action, 'Wait.');
    assert.equal(adviceFor(changed, 'open')?.generic, true);
  });
});
