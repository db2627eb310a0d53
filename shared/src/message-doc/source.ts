/**
 * Which `source` a message document keeps when it was seen through several channels: a fixed
 * precedence, so the result is a maximum (order-independent) and a history replay or an import
 * never turns a message seen live into a `history` one.
 *
 * `send` (we sent it through the API) > `realtime` (seen live) > `backfill` (asked for on demand)
 * > `history` (pairing / re-pair sync) > `import` (the CLI importing stored history files).
 */
import type { MessageSource } from '../schema.ts';

const SOURCE_PRECEDENCE: Readonly<Record<MessageSource, number>> = {
  import: 0,
  history: 1,
  backfill: 2,
  realtime: 3,
  send: 4,
};

/** The source to keep for a message seen as both `a` and `b`. */
export function mergeSource(a: MessageSource, b: MessageSource): MessageSource {
  return SOURCE_PRECEDENCE[b] > SOURCE_PRECEDENCE[a] ? b : a;
}
