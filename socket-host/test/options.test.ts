/** What the host's configuration turns into for its parts (options.ts). */
import assert from 'node:assert/strict';
import { loadHostConfig } from '../src/host.ts';
import { hostOptions } from '../src/options.ts';

const BASE = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:1', GCLOUD_PROJECT: 'demo-wasync' };

describe('host options', () => {
  it('sockets ignore status@broadcast unless status updates are mirrored', () => {
    assert.equal(hostOptions(loadHostConfig(BASE)).session.includeStatusBroadcast, false);
    const mirrored = loadHostConfig({ ...BASE, WHATSAPP_INCLUDE_STATUS_BROADCAST: 'true' });
    assert.equal(hostOptions(mirrored).session.includeStatusBroadcast, true);
  });

  it('refreshes the WhatsApp Web version daily, and a refusal asks again at most once a minute', () => {
    assert.deepEqual(hostOptions(loadHostConfig(BASE)).waVersion, {
      refreshEveryMs: 24 * 3_600_000,
      minFetchIntervalMs: 60_000,
    });
  });
});
