/**
 * Deep equality of plain documents, ignoring key order, `updatedAt` (a write time, not content)
 * and `expiresAt` (derived from the write time).
 */
export function sameContent(a: unknown, b: unknown, ignoreUpdatedAt = true): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameContent(item, b[i], false));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = (r: Record<string, unknown>) =>
    Object.keys(r).filter((k) => r[k] !== undefined && !(ignoreUpdatedAt && (k === 'updatedAt' || k === 'expiresAt')));
  const ka = keys(ra);
  const kb = keys(rb);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(rb, k) && sameContent(ra[k], rb[k], false));
}
