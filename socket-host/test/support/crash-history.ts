/** The history the crash test's pipeline process imports (and its clean run compares with). */
import { chunked, generateHistory, pushNames } from './history-gen.ts';

export function CRASH_HISTORY() {
  const threads = generateHistory({ seed: 'crash', dms: 8, groups: 2, messagesPerThread: 30, endS: 1_735_689_600 });
  return [...chunked(threads, 6), pushNames(threads)];
}
