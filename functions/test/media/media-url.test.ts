/**
 * getMediaUrl's use case: the API route's path where the deployment does not sign (the emulator,
 * MEDIA_SIGNED_URLS off, or signing failing), a V4 signed URL valid five minutes where it can
 * (signed here with a service-account key made for the test, as a deployment's IAM signBlob
 * would), `fetching` for media not stored yet, and the same membership checks as the route.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { paths, threadDocId } from '@wasync/shared';
import { mediaApiPath } from '@wasync/shared/client';
import { cert, initializeApp } from 'firebase-admin/app';
import { Timestamp } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { testDb } from '../../../test/support/firestore.ts';
import { sharedStorage, testBucket } from '../../../test/support/storage.ts';
import { mediaUrl, SIGNED_URL_TTL_MS, signedMediaUrl } from '../../src/media/media-url.ts';

const ACCOUNT = 'acct-media-url';
const THREAD = threadDocId('4915112345678@s.whatsapp.net');
const VIEWER = { uid: 'media-viewer', operator: false };
const OUTSIDER = { uid: 'media-outsider', operator: false };

async function seed(docId: string, media: Record<string, unknown>) {
  const db = testDb();
  await db.doc(paths.account(ACCOUNT)).set({ displayName: 'media url' });
  await db.doc(paths.member(ACCOUNT, VIEWER.uid)).set({ role: 'viewer', uid: VIEWER.uid });
  await db.doc(paths.message(ACCOUNT, THREAD, docId)).set({
    id: docId,
    accountId: ACCOUNT,
    threadId: THREAD,
    fromMe: false,
    sender: null,
    timestamp: Timestamp.fromMillis(1_700_000_000_000),
    type: 'image',
    text: null,
    status: 'delivered',
    source: 'history',
    updatedAt: Timestamp.fromMillis(1_700_000_000_000),
    media,
  });
}

describe('media/getMediaUrl', function () {
  this.timeout(60_000);
  before(async () => {
    await sharedStorage();
    await seed('stored', {
      mimetype: 'image/png',
      fileLength: 3,
      state: 'stored',
      path: 'accounts/x/media/t/m/original',
    });
    await seed('later', { mimetype: 'image/png', fileLength: 3 });
  });

  const input = (messageId: string) =>
    ({ accountId: ACCOUNT, threadId: THREAD, messageId, variant: 'original' }) as const;

  it('answers the API route where the deployment does not sign, and when signing fails', async () => {
    const expected = {
      kind: 'url',
      signed: false,
      url: mediaApiPath(ACCOUNT, THREAD, 'stored'),
      contentType: 'image/png',
    };
    assert.deepEqual(await mediaUrl(testDb(), () => testBucket(), VIEWER, input('stored'), false), expected);
    // The emulator's client has no key to sign with: the route again, not an error.
    assert.deepEqual(await mediaUrl(testDb(), () => testBucket(), VIEWER, input('stored'), true), expected);
    assert.match(expected.url, /^\/api\/whatsapp\/media\/acct-media-url\/[^/]+\/stored$/);
  });

  it('signs a V4 read URL valid five minutes with the service account’s key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app = initializeApp(
      {
        projectId: 'demo-wasync',
        credential: cert({
          projectId: 'demo-wasync',
          clientEmail: 'media-signer@demo-wasync.iam.gserviceaccount.com',
          privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        }),
      },
      'media-signing-test',
    );
    const now = Date.now();
    const { url, expiresAt } = await signedMediaUrl(
      getStorage(app).bucket('media-bucket'),
      'a/b/original',
      undefined,
      now,
    );
    const parsed = new URL(url);
    assert.equal(parsed.searchParams.get('X-Goog-Algorithm'), 'GOOG4-RSA-SHA256');
    assert.equal(parsed.searchParams.get('X-Goog-Expires'), String(SIGNED_URL_TTL_MS / 1000));
    assert.match(parsed.searchParams.get('X-Goog-Credential') ?? '', /^media-signer@demo-wasync/);
    assert.match(parsed.searchParams.get('X-Goog-Signature') ?? '', /^[0-9a-f]{512}$/);
    assert.ok(parsed.pathname.endsWith('/media-bucket/a/b/original'));
    assert.equal(expiresAt, now + SIGNED_URL_TTL_MS);
  });

  it('media not stored yet: fetching; non-members are refused', async () => {
    const later = await mediaUrl(testDb(), () => testBucket(), VIEWER, input('later'), false);
    assert.equal(later.kind, 'fetching');
    await assert.rejects(
      mediaUrl(testDb(), () => testBucket(), OUTSIDER, input('stored'), false),
      {
        code: 'permission_denied',
      },
    );
  });
});
