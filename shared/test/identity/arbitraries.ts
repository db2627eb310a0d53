/** fast-check helpers shared by the order-independence properties of identity, status and summaries. */
import fc from 'fast-check';

/** Cut `items` into consecutive chunks of the given sizes (cycled); one chunk when `sizes` is empty. */
function chunk<T>(items: readonly T[], sizes: readonly number[]): T[][] {
  const chunks: T[][] = [];
  for (let start = 0, k = 0; start < items.length; k++) {
    const size = sizes.length > 0 ? (sizes[k % sizes.length] as number) : items.length;
    chunks.push(items.slice(start, start + size));
    start += size;
  }
  return chunks;
}

/** Any permutation of `items`, cut into any chunking: every way a batch of events can arrive. */
export function permutedChunks<T>(items: readonly T[]): fc.Arbitrary<T[][]> {
  return fc
    .tuple(
      fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length }),
      fc.array(fc.integer({ min: 1, max: Math.max(1, items.length) }), { maxLength: 6 }),
    )
    .map(([permutation, sizes]) => chunk(permutation, sizes));
}
