/**
 * A chunk's decoded payload is not held while its slices are written: once normalised, only its
 * planner events are needed, and an import writes a chunk for as long as its commits take (under
 * the host's write budget, long), for every account importing at once.
 */
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type BaileysEventMap, processHistoryMessage, proto } from '@whiskeysockets/baileys';
import type { AccountSync } from '../../../src/pipeline/account-sync.ts';
import { chunked, generateHistory } from '../../support/history-gen.ts';
import { feed, openSync } from '../../support/sync.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const END_S = 1_735_689_600;
const NOW = (END_S + 60) * 1000;

/** Feeds one history payload and keeps nothing of it but weak references (set, first message). */
async function feedWeakly(sync: AccountSync): Promise<{ set: WeakRef<object>; message: WeakRef<object> }> {
  const threads = generateHistory({ seed: 'chunk-memory', dms: 3, groups: 1, messagesPerThread: 30, endS: END_S });
  const [chunk] = chunked(threads, 1);
  const set = processHistoryMessage(proto.HistorySync.fromObject(chunk!)) as BaileysEventMap['messaging-history.set'];
  const weak = { set: new WeakRef(set), message: new WeakRef(set.messages[0]!) };
  await feed(sync, [{ 'messaging-history.set': set }], NOW);
  return weak;
}

describe('history chunk memory', function () {
  this.timeout(30_000);

  it('lets the decoded payload go while the chunk’s slices are written', async () => {
    const sync = await openSync({ now: NOW, options: { historyMessagesPerPlan: 40 } });
    const { writer } = sync;
    const write = writer.write.bind(writer);
    let writing!: () => void;
    const firstWrite = new Promise<void>((resolve) => {
      writing = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    writer.write = async (...args: Parameters<typeof writer.write>) => {
      if (args[1] === 'history') {
        writing();
        await released;
      }
      return write(...args);
    };
    const weak = await feedWeakly(sync);
    await firstWrite;
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    const [set, message] = [weak.set.deref(), weak.message.deref()];
    release();
    await sync.drain();
    await sync.close('test over');
    assert.equal(set, undefined, 'the decoded payload is held while its slices are written');
    assert.equal(message, undefined, 'a decoded message is held while its chunk’s slices are written');
    assert.equal(sync.counters.historyMessages, 120);
  });
});
