/**
 * HistorySync files: deflated (as WhatsApp ships them) or inflated decode to the same protobuf;
 * anything else is an `invalid_argument` naming the file and saying what is wrong with it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { AppError } from '@wasync/shared';
import { proto } from '@whiskeysockets/baileys';
import { checkHistoryFiles, readHistoryFile } from '../../src/cli/history-files.ts';
import { chunked, generateHistory } from '../support/history-gen.ts';

const [sync] = chunked(
  generateHistory({ seed: 'files', dms: 2, groups: 1, messagesPerThread: 5, endS: 1_735_689_600 }),
  1,
);
const encoded = Buffer.from(proto.HistorySync.encode(proto.HistorySync.create(sync)).finish());

async function file(name: string, bytes: Buffer | string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'wasync-files-')), name);
  await writeFile(path, bytes);
  return path;
}

function invalid(path: string, why: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.code, 'invalid_argument');
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.match(err.message, why);
    assert.deepEqual(err.details, { file: path });
    return true;
  };
}

describe('cli: HistorySync files', () => {
  it('decodes deflated and inflated files to the same HistorySync, with what they hold', async () => {
    const deflated = await readHistoryFile(await file('a.bin', deflateSync(encoded)));
    const inflated = await readHistoryFile(await file('b.bin', encoded));
    assert.deepEqual(deflated.sync.toJSON(), inflated.sync.toJSON());
    assert.equal(deflated.info.deflated, true);
    assert.equal(inflated.info.deflated, false);
    assert.equal(inflated.info.syncType, 'RECENT');
    assert.equal(inflated.info.conversations, 3);
    assert.equal(inflated.info.messages, 15);
  });

  it('names the file and the fault: missing, not a protobuf, truncated, empty, corrupt zlib', async () => {
    const missing = join(tmpdir(), 'wasync-no-such-file.bin');
    await assert.rejects(readHistoryFile(missing), invalid(missing, /cannot be read \(ENOENT\)/));
    const text = await file('notes.txt', 'this is not a protobuf at all\n');
    await assert.rejects(readHistoryFile(text), invalid(text, /is not a HistorySync protobuf/));
    const truncated = await file('cut.bin', encoded.subarray(0, encoded.length - 7));
    await assert.rejects(readHistoryFile(truncated), invalid(truncated, /is not a HistorySync protobuf/));
    const empty = await file('empty.bin', Buffer.alloc(0));
    await assert.rejects(readHistoryFile(empty), invalid(empty, /no known syncType/));
    const corrupt = deflateSync(encoded);
    corrupt.fill(0xff, 10, 40);
    const zlib = await file('corrupt.bin', corrupt);
    await assert.rejects(readHistoryFile(zlib), invalid(zlib, /looks zlib-deflated but does not inflate/));
  });

  it('checks every file before the first is used: the first bad one stops the check', async () => {
    const good = await file('good.bin', encoded);
    const bad = await file('bad.bin', 'garbage');
    await assert.rejects(checkHistoryFiles([good, bad, good]), invalid(bad, /HistorySync/));
    assert.equal((await checkHistoryFiles([good, good])).length, 2);
  });
});
