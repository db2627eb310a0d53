/**
 * The simulated phone's side of on-demand history requests (`fetchMessageHistory`): which it
 * answers, and a record of every request and answer, so tests can check what a real phone would
 * notice — how many requests an account had in flight at once (a burst makes real phones drop
 * requests silently) — and make the phone stay silent for some chats, as real phones sometimes do
 * (WhiskeySockets/Baileys #2452, #2580: no answer ever comes for a companion's request).
 */
import type { SimulatedPhone } from './phone.ts';

export interface OnDemandRequest {
  requestId: string;
  chatJid: string;
  count: number;
  at: number;
  /** When the answer was handed to the socket; undefined while in flight or never (silent). */
  answeredAt?: number;
}

export class OnDemandLedger {
  readonly requests: OnDemandRequest[] = [];
  /** Chats whose requests the phone never answers. */
  readonly silentChats = new Set<string>();

  /** Records a request; false when the phone will not answer it. */
  request(requestId: string, chatJid: string, count: number): boolean {
    this.requests.push({ requestId, chatJid, count, at: Date.now() });
    return !this.silentChats.has(chatJid);
  }

  answered(requestId: string): void {
    const request = this.requests.find((r) => r.requestId === requestId);
    if (request) request.answeredAt = Date.now();
  }

  /**
   * The most requests that were waiting for their answer at the same time. One never answered
   * waits for ever, or until `gaveUpAfterMs` (the asker's timeout: from then on it no longer waits,
   * and may ask again).
   */
  maxInFlight(gaveUpAfterMs = Number.POSITIVE_INFINITY): number {
    const edges = this.requests.flatMap((r) => {
      const end = r.answeredAt ?? r.at + gaveUpAfterMs;
      return [{ t: r.at, d: 1 }, ...(Number.isFinite(end) ? [{ t: end, d: -1 }] : [])];
    });
    edges.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let max = 0;
    for (const e of edges) {
      now += e.d;
      max = Math.max(max, now);
    }
    return max;
  }
}

const ledgers = new WeakMap<SimulatedPhone, OnDemandLedger>();

/** The on-demand ledger of a simulated phone (one per account and simulator). */
export function onDemandLedger(phone: SimulatedPhone): OnDemandLedger {
  let ledger = ledgers.get(phone);
  if (!ledger) {
    ledger = new OnDemandLedger();
    ledgers.set(phone, ledger);
  }
  return ledger;
}
