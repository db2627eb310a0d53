/**
 * MediaStore against the Storage emulator with the real firebase-admin client: a file is stored
 * at its message's path only when its SHA-256 is WhatsApp's fileSha256; a wrong, oversized or
 * broken file leaves no object at all; a host killed mid-upload leaves nothing visible and the
 * next attempt finishes the same session.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Boom } from '@hapi/boom';
import { type MediaOwner, mediaObjectPaths } from '@wasync/shared';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { pseudoRandomBytes, pseudoRandomStream, sha256Of } from '../../../test/support/bytes.ts';
import {
  sessionStatus,
  sharedStorage,
  TEST_BUCKET,
  testBucket,
  uploadAndBreakOff,
} from '../../../test/support/storage.ts';
import { MediaError } from '../../src/media/errors.ts';
import { type Bucket, MediaStore, type StoreMediaRequest, type UploadSession } from '../../src/media/store.ts';

const MiB = 1024 * 1024;
const CRASH_CHILD = fileURLToPath(new URL('./store-crash-child.ts', import.meta.url));

let nextAccount = 0;
/** A fresh owner per test: its folder starts empty. */
function owner(): MediaOwner {
  return {
    accountId: `media-${process.pid}-${nextAccount++}`,
    threadId: '4915112345678@s.whatsapp.net',
    messageDocId: 'peer~3EB0AA',
  };
}

function folderOf(o: MediaOwner): string {
  return mediaObjectPaths(o).original.replace(/original$/, '');
}

async function objectsIn(bucket: Bucket, o: MediaOwner): Promise<string[]> {
  const [files] = await bucket.getFiles({ prefix: folderOf(o) });
  return files.map((f) => f.name);
}

async function hashOf(size: number, seed: string): Promise<Buffer> {
  return Buffer.from(await sha256Of(pseudoRandomStream(size, seed)), 'hex');
}

/** A request for `size` bytes of `seed`, claiming the hash of `size` bytes of `claimSeed`. */
async function request(o: MediaOwner, size: number, seed: string, claimSeed = seed): Promise<StoreMediaRequest> {
  return {
    owner: o,
    fileSha256: await hashOf(size, claimSeed),
    fileLength: size,
    contentType: 'image/jpeg',
    open: async () => pseudoRandomStream(size, seed),
  };
}

function isMediaError(code: MediaError['code']) {
  return (err: unknown) => err instanceof MediaError && err.code === code;
}

describe('media/MediaStore', function () {
  this.timeout(60_000);
  let bucket: Bucket;
  let store: MediaStore;

  before(async () => {
    await sharedStorage();
    bucket = testBucket();
    store = new MediaStore({ bucket, maxBytes: 16 * MiB });
  });

  it('streams the file to its message’s path with its content type and hash, having handed out the session first', async () => {
    const o = owner();
    const req = await request(o, 5 * MiB + 3, 'stored');
    let read = 0;
    let readWhenHandedOut: number | undefined;
    const stored = await store.store({
      ...req,
      onSession: (session) => {
        readWhenHandedOut = read;
        assert.match(session.uri, /upload_id=/);
        assert.equal(session.path, mediaObjectPaths(o).original);
      },
      open: async () =>
        pseudoRandomStream(5 * MiB + 3, 'stored', {
          onRead: (bytes) => {
            read = bytes;
          },
        }),
    });
    assert.equal(readWhenHandedOut, 0, 'no byte was read before the session was handed out');
    assert.equal(stored.outcome, 'stored');
    assert.equal(stored.path, mediaObjectPaths(o).original);
    assert.equal(stored.size, 5 * MiB + 3);
    assert.equal(stored.sha256, Buffer.from(req.fileSha256).toString('hex'));
    assert.ok(Math.abs(stored.storedAt - Date.now()) < 60_000);

    const file = bucket.file(stored.path);
    const [metadata] = await file.getMetadata();
    assert.equal(metadata.contentType, 'image/jpeg');
    assert.equal(metadata.metadata?.sha256, stored.sha256);
    assert.equal(await sha256Of(file.createReadStream()), stored.sha256);
    assert.deepEqual(await objectsIn(bucket, o), [stored.path]);
  });

  it('answers a file already stored without downloading it again', async () => {
    const o = owner();
    await store.store(await request(o, 1000, 'again'));
    const again = await store.store({
      ...(await request(o, 1000, 'again')),
      open: async () => assert.fail('must not download a stored file'),
      onSession: () => assert.fail('must not start a session'),
    });
    assert.equal(again.outcome, 'already_stored');
    assert.equal(again.size, 1000);
  });

  it('never lets a file whose SHA-256 differs become visible, even when only its last byte differs', async () => {
    const o = owner();
    const size = 3 * MiB;
    const good = pseudoRandomBytes(size, 'last-byte');
    const bad = Buffer.from(good);
    bad[size - 1] = (bad[size - 1] as number) ^ 1;
    let session: UploadSession | undefined;
    await assert.rejects(
      store.store({
        owner: o,
        fileSha256: Buffer.from(await sha256Of(good), 'hex'),
        open: async () => Readable.from([bad.subarray(0, MiB), bad.subarray(MiB)]),
        onSession: (s) => {
          session = s;
        },
      }),
      (err) => isMediaError('sha256_mismatch')(err) && (err as MediaError).state === 'failed',
    );
    assert.deepEqual(await objectsIn(bucket, o), []);
    assert.notEqual(
      (await sessionStatus(session!.uri)).status,
      308,
      'the session was cancelled: nothing can finish it',
    );
  });

  it('refuses a file over the limit: before downloading when declared, while streaming when not', async () => {
    const small = new MediaStore({ bucket, maxBytes: 2 * MiB });
    const declared = owner();
    await assert.rejects(
      small.store({ ...(await request(declared, 3 * MiB, 'big')), open: async () => assert.fail('no download') }),
      (err) => isMediaError('too_large')(err) && (err as MediaError).state === 'too_large',
    );
    const undeclared = owner();
    let pulled = 0;
    await assert.rejects(
      small.store({
        ...(await request(undeclared, 8 * MiB, 'big')),
        fileLength: null,
        open: async () =>
          pseudoRandomStream(8 * MiB, 'big', {
            onRead: (bytes) => {
              pulled = bytes;
            },
          }),
      }),
      isMediaError('too_large'),
    );
    assert.ok(pulled < 4 * MiB, `stopped reading after ${pulled} bytes`);
    assert.deepEqual(await objectsIn(bucket, declared), []);
    assert.deepEqual(await objectsIn(bucket, undeclared), []);
  });

  it('reports a download that fails, with the media server’s status, and stores nothing', async () => {
    const expired = owner();
    const gone = store.store({
      ...(await request(expired, 1000, 'gone')),
      open: async () => {
        throw new Boom('Failed to fetch stream from https://mmg.whatsapp.net/v/t62…', { statusCode: 410 });
      },
      onSession: () => assert.fail('an expired link costs no upload session'),
    });
    await assert.rejects(gone, (err) => isMediaError('source_failed')(err) && (err as MediaError).httpStatus === 410);

    const broken = owner();
    await assert.rejects(
      store.store({
        ...(await request(broken, 4 * MiB, 'broken')),
        open: async () => pseudoRandomStream(4 * MiB, 'broken', { failAfter: 2 * MiB }),
      }),
      (err) => isMediaError('source_failed')(err) && (err as MediaError).httpStatus === undefined,
    );
    assert.deepEqual(await objectsIn(bucket, expired), []);
    assert.deepEqual(await objectsIn(bucket, broken), []);
  });

  it('refuses a fileSha256 that is not 32 bytes', async () => {
    await assert.rejects(
      store.store({ ...(await request(owner(), 10, 'x')), fileSha256: new Uint8Array(20) }),
      isMediaError('invalid_media'),
    );
  });

  it('stores a thumbnail as its own object beside the file, once', async () => {
    const o = owner();
    const jpeg = pseudoRandomBytes(900, 'thumb');
    const first = await store.storeThumbnail(o, jpeg);
    assert.equal(first.path, mediaObjectPaths(o).thumbnail);
    const [metadata] = await bucket.file(first.path).getMetadata();
    assert.equal(metadata.contentType, 'image/jpeg');
    const again = await store.storeThumbnail(o, jpeg);
    assert.deepEqual(again, first);
    const [after] = await bucket.file(first.path).getMetadata();
    assert.equal(after.generation, metadata.generation, 'not written again');
    const [bytes] = await bucket.file(first.path).download();
    assert.deepEqual(bytes, jpeg);
    assert.deepEqual(await objectsIn(bucket, o), [first.path]);
  });

  describe('a host killed mid-upload', () => {
    /** Runs the crash child until it stalled mid-upload, kills it, and returns the session it got. */
    async function crashMidUpload(o: MediaOwner, size: number, seed: string, claimSeed = seed): Promise<UploadSession> {
      const sha = (await hashOf(size, claimSeed)).toString('hex');
      const child: ChildProcess = spawn(
        process.execPath,
        ['--import', 'tsx', CRASH_CHILD, TEST_BUCKET, JSON.stringify(o), String(size), seed, String(3 * MiB), sha],
        { cwd: REPO_ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let session: UploadSession | undefined;
      for await (const line of createInterface({ input: child.stdout! })) {
        const msg = JSON.parse(line) as { session?: UploadSession; stalled?: number };
        session ??= msg.session;
        if (msg.stalled !== undefined) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500)); // the bytes reach the emulator
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      assert.ok(session, 'the child got a session');
      return session;
    }

    /** A session as the store starts it, whose only request broke off after 3 MiB (quicker than a child). */
    async function brokenOffSession(o: MediaOwner, size: number, seed: string, claimSeed = seed) {
      const path = mediaObjectPaths(o).original;
      const sha256 = (await hashOf(size, claimSeed)).toString('hex');
      const [uri] = await bucket.file(path).createResumableUpload({ metadata: { metadata: { sha256 } } });
      await uploadAndBreakOff(uri, size, seed, 3 * MiB);
      return { uri, path };
    }

    it('leaves nothing visible, and the next attempt finishes the same session: exactly one object', async () => {
      const o = owner();
      const size = 9 * MiB + 17;
      const session = await crashMidUpload(o, size, 'crash');
      assert.deepEqual(await objectsIn(bucket, o), []);
      assert.equal((await sessionStatus(session.uri)).status, 308, 'the session waits for the rest');

      const stored = await store.store({ ...(await request(o, size, 'crash')), resumeSession: session });
      assert.equal(stored.outcome, 'resumed');
      assert.equal(stored.size, size);
      assert.equal(
        await sha256Of(bucket.file(stored.path).createReadStream()),
        await sha256Of(pseudoRandomStream(size, 'crash')),
      );
      assert.deepEqual(await objectsIn(bucket, o), [stored.path]);
    });

    it('never keeps an object whose resumed session held other bytes than the verified file', async () => {
      // The broken-off attempt sent bytes of another file; the next one streams the right file, whose
      // hash matches, but the session already holds a wrong prefix. The client's CRC32C check of
      // the finished object catches that and deletes it.
      const o = owner();
      const size = 6 * MiB;
      const session = await brokenOffSession(o, size, 'wrong-prefix', 'right');
      await assert.rejects(
        store.store({ ...(await request(o, size, 'right')), resumeSession: session }),
        isMediaError('upload_failed'),
      );
      assert.deepEqual(await objectsIn(bucket, o), []);
    });

    it('never resumes a session that creates another object (the message was re-keyed since)', async () => {
      const before = owner();
      const session = await brokenOffSession(before, 4 * MiB, 'moved');
      const after = { ...before, messageDocId: '4915112345678@s.whatsapp.net~3EB0AA' };
      const stored = await store.store({ ...(await request(after, 4 * MiB, 'moved')), resumeSession: session });
      assert.equal(stored.outcome, 'stored');
      assert.equal(stored.path, mediaObjectPaths(after).original);
      assert.deepEqual(await objectsIn(bucket, before), [], 'the old session created nothing');
    });

    it('starts a new session when the one to resume is gone', async () => {
      const o = owner();
      const size = 4 * MiB;
      const session = await brokenOffSession(o, size, 'cancelled');
      await fetch(session.uri, { method: 'DELETE' }).then((r) => r.arrayBuffer());
      let fresh: UploadSession | undefined;
      const stored = await store.store({
        ...(await request(o, size, 'cancelled')),
        resumeSession: session,
        onSession: (s) => {
          fresh = s;
        },
      });
      assert.equal(stored.outcome, 'stored');
      assert.ok(fresh && fresh.uri !== session.uri);
      assert.equal(
        await sha256Of(bucket.file(stored.path).createReadStream()),
        await sha256Of(pseudoRandomStream(size, 'cancelled')),
      );
    });
  });
});
