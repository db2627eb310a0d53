/** Narrowing helpers shared by the normalisation tests. */
import assert from 'node:assert/strict';
import type {
  NormalizedMessage,
  NormalizedSkip,
  NormalizedUpdate,
  NormalizeResult,
} from '../../src/normalize/index.ts';

function describe(result: NormalizeResult): string {
  return JSON.stringify(result);
}

export function asMessage(result: NormalizeResult): NormalizedMessage {
  assert.equal(result.kind, 'message', describe(result));
  return result as NormalizedMessage;
}

export function asUpdate(result: NormalizeResult): NormalizedUpdate {
  assert.equal(result.kind, 'update', describe(result));
  return result as NormalizedUpdate;
}

export function asSkip(result: NormalizeResult): NormalizedSkip {
  assert.equal(result.kind, 'skip', describe(result));
  return result as NormalizedSkip;
}

/**
 * Where `value` stops being plain JSON data Firestore accepts (no undefined, Long, Uint8Array,
 * class instance, NaN/Infinity), or null when it is plain all the way down.
 */
export function firstNonPlain(value: unknown, path = '$'): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path}: non-finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstNonPlain(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return null;
  }
  if (typeof value === 'object') {
    if (Object.getPrototypeOf(value) !== Object.prototype) return `${path}: not a plain object`;
    for (const [k, v] of Object.entries(value)) {
      const bad = firstNonPlain(v, `${path}.${k}`);
      if (bad) return bad;
    }
    return null;
  }
  return `${path}: ${typeof value}`;
}
