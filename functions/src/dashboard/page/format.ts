/** How times and numbers read on the page. Pure: the page passes its clock. */
import type { EpochMs } from '@wasync/shared';

const time = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const count = new Intl.NumberFormat();

/** `12 Mar 2026, 14:03:12 (3 min ago)`, or `never`. */
export function when(at: EpochMs | undefined, now: EpochMs): string {
  if (at === undefined || at === 0) return 'never';
  return `${time.format(at)} (${ago(at, now)})`;
}

/** `just now`, `42 s ago`, `3 min ago`, `2 h ago`, `5 d ago`, or `in 12 s` for the future. */
export function ago(at: EpochMs, now: EpochMs): string {
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 0) return `in ${span(-seconds)}`;
  if (seconds < 2) return 'just now';
  return `${span(seconds)} ago`;
}

function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

export function number(n: number): string {
  return count.format(n);
}

/** A progress percentage as WhatsApp reports it (0–100), clamped; null when unknown. */
export function percent(progress: number | null | undefined): number | null {
  if (typeof progress !== 'number' || !Number.isFinite(progress)) return null;
  return Math.min(100, Math.max(0, Math.round(progress)));
}
