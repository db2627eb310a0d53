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
});
