/**
 * Crash mid-upload: the host fetching a message's media is killed (SIGKILL) while its upload
 * runs; nothing is visible in the bucket; the next owner resumes the fetch it finds `wanted` on the
 * media source, finishes the same upload session, and there is exactly one object, with the
 * phone's bytes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mediaObjectPaths, mediaSourceId, paths } from '@wasync/shared';
import type { WAMessage } from '@whiskeysockets/baileys';
import { REPO_ROOT } from '../../../scripts/lib/firebase-emulators.ts';
import { PEER } from '../../../shared/test/fixtures/wa-messages.ts';
import { deliver, history } from '../../../shared/test/support/baileys-feed.ts';
import { pseudoRandomStream, sha256Of } from '../../../test/support/bytes.ts';
import { firestoreHost, testDb } from '../../../test/support/firestore.ts';
import { TEST_BUCKET, testBucket } from '../../../test/support/storage.ts';
import { SimulatedMediaServer } from '../../src/transport/simulated/media.ts';
import { recentHistoryOf } from '../support/history-gen.ts';
import { MiB, messageId, openMediaSync } from '../support/media.ts';
import { feed } from '../support/sync.ts';

const CHILD = fileURLToPath(new URL('./fetch-crash-child.ts', import.meta.url));

describe('media/crash mid-upload', function () {
  this.timeout(180_000);
  let server: SimulatedMediaServer;
  before(async () => {
    server = await SimulatedMediaServer.start();
  });
  after(async () => server.close());

  it('the host killed mid-upload: nothing visible; the next owner completes the same session, exactly one object', async () => {
    const size = 96 * MiB + 3;
    const content = await server.publish({
      type: 'document',
      plaintext: pseudoRandomStream(size, 'crash'),
      mimetype: 'video/mp4',
      fileName: 'recording.mp4',
    });
    const m = await openMediaSync(server, { fetch: { prefetchNewest: 0 }, maxBytes: 1 << 30 });
    try {
      const id = messageId();
      const maps = await deliver(
        [
          history(`h-${id}`, 1_700_000_100, () =>
            recentHistoryOf(PEER.pn, [
              {
                key: { remoteJid: PEER.pn, fromMe: false, id },
                messageTimestamp: 1_700_000_000,
                message: content,
              } as WAMessage,
            ]),
          ),
        ],
        false,
      );
      await feed(m.sync, maps, Date.now());
      await m.sync.drain();
      const { path } = await m.message(id);
      const [, , , threadId, , messageDocId] = path.split('/') as string[];
      const objectPath = mediaObjectPaths({ accountId: m.accountId, threadId: threadId!, messageDocId: messageDocId! });
      const folder = objectPath.original.replace(/original$/, '');
      const source = testDb().doc(paths.mediaSource(m.accountId, mediaSourceId(false, id)));

      // The first owner: a separate process, killed once its upload runs.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CHILD, m.accountId, threadId!, messageDocId!, String(server.port), TEST_BUCKET],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, FIRESTORE_EMULATOR_HOST: firestoreHost() },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      const finished = new Promise<boolean>((resolve) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('finished')) resolve(true);
        });
        child.once('exit', () => resolve(false));
      });
      for (let i = 0; !(await source.get()).get('session'); i++) {
        assert.ok(i < 600, 'the child started an upload session');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 800)); // some MB into the upload
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      assert.equal(await finished, false, 'killed before it finished');
      const [during] = await testBucket().getFiles({ prefix: folder });
      assert.deepEqual(
        during.map((f) => f.name),
        [],
        'no partial object visible',
      );
      const left = await source.get();
      assert.equal(left.get('wanted'), true);
      assert.equal(left.get('session').path, objectPath.original);

      // The next owner finds the fetch owed and completes it.
      assert.equal(await m.media.resume(), 1);
      await m.media.idle();
      const doc = (await m.message(id)).doc;
      assert.equal(doc.media?.state, 'stored');
      assert.equal(m.media.counters.resumed, 1, 'the session the killed host left was finished');
      const expected = await sha256Of(pseudoRandomStream(size, 'crash'));
      assert.equal(doc.media?.sha256, expected);
      const [after] = await testBucket().getFiles({ prefix: folder });
      assert.deepEqual(
        after.map((f) => f.name),
        [objectPath.original],
        'exactly one object',
      );
      assert.equal(await sha256Of(testBucket().file(objectPath.original).createReadStream()), expected);
      const settled = await source.get();
      assert.equal(settled.get('wanted'), false);
      assert.equal(settled.get('session'), undefined);
    } finally {
      await m.close();
    }
  });
});
