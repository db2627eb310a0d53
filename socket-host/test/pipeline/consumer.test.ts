import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { createLogger } from '../../src/log.ts';
import { type AccountEventSink, type BaileysEventBatch, EventQueue } from '../../src/pipeline/consumer.ts';

const log = createLogger('silent');

describe('event queue (the pipeline seam)', () => {
  it('hands batches over one at a time, in order, whatever each takes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 25 }), async (delays) => {
        const handled: number[] = [];
        let running = 0;
        const sink: AccountEventSink = {
          handle: async (events) => {
            running++;
            assert.equal(running, 1, 'never two batches at once');
            await sleep(delays[handled.length]!);
            handled.push(Number(events['chats.delete']?.[0]));
            running--;
          },
          close: async () => {},
        };
        const queue = new EventQueue(sink, log);
        for (const i of delays.keys()) queue.push({ 'chats.delete': [String(i)] }, 1);
        await queue.close('test');
        assert.deepEqual(
          handled,
          delays.map((_, i) => i),
        );
      }),
      { numRuns: 20 },
    );
  });

  it('keeps going after a failing batch, and closes the sink last', async () => {
    const order: string[] = [];
    const sink: AccountEventSink = {
      handle: async (events: BaileysEventBatch, meta) => {
        if (meta.seq === 2) throw new Error('bad batch');
        order.push(`handle ${meta.seq} ${Object.keys(events)}`);
      },
      close: async (reason) => void order.push(`close ${reason}`),
    };
    const queue = new EventQueue(sink, log);
    for (let i = 0; i < 3; i++) queue.push({ 'chats.delete': [] }, 1);
    await queue.close('shutdown');
    queue.push({ 'chats.delete': [] }, 1);
    assert.deepEqual(order, ['handle 1 chats.delete', 'handle 3 chats.delete', 'close shutdown']);
  });

  it('is full from pauseAt batches or pauseAtHistory history chunks, resumable once drained; drops nothing', async () => {
    // A sink that takes one batch per permit.
    const permits: (() => void)[] = [];
    let waiting: (() => void) | undefined;
    const handled: number[] = [];
    const sink: AccountEventSink = {
      handle: async (_events, meta) => {
        await new Promise<void>((resolve) => {
          permits.push(resolve);
          waiting?.();
        });
        handled.push(meta.seq);
      },
      close: async () => {},
    };
    const take = async (n: number) => {
      for (let i = 0; i < n; i++) {
        while (permits.length === 0) await new Promise<void>((r) => (waiting = r));
        permits.shift()!();
        await sleep(1);
      }
    };
    const queue = new EventQueue(sink, log, { pauseAt: 6, pauseAtHistory: 2, resumeAt: 2 });
    let resumable = 0;
    const watch = () =>
      void queue.whenResumable().then(() => {
        resumable++;
      });
    const history: BaileysEventBatch = {
      'messaging-history.set': { chats: [], contacts: [], messages: [], syncType: 2, progress: 1 },
    };
    queue.push(history, 1);
    assert.equal(queue.full, false);
    queue.push(history, 1);
    assert.equal(queue.full, true, 'two history chunks wait');
    queue.push({ 'chats.delete': ['x'] }, 1);
    watch();
    await take(1);
    assert.equal(queue.full, false);
    assert.equal(resumable, 0, 'a history chunk still waits');
    await take(1);
    assert.equal(resumable, 1, 'no history, one batch left');

    for (let i = 0; i < 6; i++) queue.push({ 'chats.delete': [String(i)] }, 2);
    assert.equal(queue.full, true, 'six batches wait');
    watch();
    await take(4);
    assert.equal(queue.depth, 3);
    assert.equal(resumable, 1, 'not resumable above resumeAt');
    await take(1);
    assert.equal(resumable, 2, 'resumable at resumeAt');
    await take(2);
    assert.deepEqual(
      handled,
      Array.from({ length: 9 }, (_, i) => i + 1),
      'every batch, in order',
    );
  });
});
