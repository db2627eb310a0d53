import assert from 'node:assert/strict';
import { parseHostConfig } from '@wasync/shared';
import { mediaOptions } from '../../src/media/options.ts';

const BASE = { FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080', HOST_ID: 'h1' };

describe('media/options', () => {
  it('takes MEDIA_BUCKET, else the project’s default Firebase bucket', () => {
    assert.deepEqual(mediaOptions(parseHostConfig({ ...BASE, GCLOUD_PROJECT: 'acme-wa' })), {
      bucket: 'acme-wa.firebasestorage.app',
      maxBytes: 100 * 1024 * 1024,
      perHost: 12,
      fetch: { perAccount: 3, prefetchNewest: 20, eagerTypes: ['image', 'audio', 'video', 'document', 'sticker'] },
    });
    const own = parseHostConfig({ ...BASE, GCLOUD_PROJECT: 'acme-wa', MEDIA_BUCKET: 'acme-wa.appspot.com' });
    assert.equal(mediaOptions(own).bucket, 'acme-wa.appspot.com');
    assert.equal(mediaOptions(parseHostConfig(BASE)).bucket, undefined);
    assert.equal(mediaOptions(parseHostConfig({ ...BASE, MEDIA_MAX_BYTES: '2097152' })).maxBytes, 2_097_152);
    const tuned = mediaOptions(
      parseHostConfig({
        ...BASE,
        MEDIA_DOWNLOADS_PER_ACCOUNT: '2',
        MEDIA_DOWNLOADS_PER_HOST: '5',
        MEDIA_PREFETCH_NEWEST: '0',
        MEDIA_RETENTION_DAYS: '30',
        MEDIA_EAGER_TYPES: 'sticker,image',
      }),
    );
    assert.deepEqual(tuned.fetch, {
      perAccount: 2,
      prefetchNewest: 0,
      maxAgeMs: 30 * 86_400_000,
      eagerTypes: ['image', 'sticker'],
    });
    assert.equal(tuned.perHost, 5);
  });
});
