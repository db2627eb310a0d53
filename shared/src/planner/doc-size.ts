/**
 * Estimated Firestore storage size of a document, by the documented rules
 * (https://firebase.google.com/docs/firestore/storage-size): name = path bytes + 1 per segment
 * + 16; string = UTF-8 bytes + 1; number, Timestamp = 8; boolean, null = 1; map and array = sum of
 * entries (field name bytes + 1 + value); document = name + fields + 32. The planner uses it to
 * keep each commit under the request size limit (I6); the domain's `EpochMs` numbers count as the
 * Timestamps they become.
 */

function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8') + 1;
  if (Array.isArray(value)) {
    let size = 0;
    for (const item of value) size += valueSize(item);
    return size;
  }
  if (typeof value === 'object') {
    let size = 0;
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) size += Buffer.byteLength(key, 'utf8') + 1 + valueSize(item);
    }
    return size;
  }
  return 8;
}

/** Size of a document name (`accounts/a/threads/t`). */
export function documentNameSize(path: string): number {
  return Buffer.byteLength(path, 'utf8') + path.split('/').length + 16;
}

/** Estimated stored size of `data` at `path`. */
export function documentSize(path: string, data: unknown): number {
  return documentNameSize(path) + valueSize(data) + 32;
}
