/**
 * The receipts WhatsApp pushes to the companion, as `<receipt>` stanzas (the socket reads them with
 * the port of `handleReceipt`, see inbound.ts):
 *
 * - for a message the account sent: delivery from the recipient's phone (device 0), then read from
 *   one of its devices (device-suffixed `from`, as WhatsApp sends a receipt per device); in a
 *   group, one per member with its device-suffixed LID as `participant`;
 * - for a contact's message the account's phone opened: `read-self` from the phone, naming the
 *   chat in `recipient`;
 * - a voice note of the account's played by its recipient: `played`.
 *
 * Receipts of one kind for one chat that fall in the same window go out as one stanza: the first
 * id in `id`, the others in `<list><item id>` (`sendReceipt`'s shape).
 */
import { type BinaryNode, isJidGroup, jidDecode } from '@whiskeysockets/baileys';
import type { SimulatedPhone } from './phone.ts';

export type ReceiptKind = 'delivery' | 'read' | 'read-self' | 'played';

interface Batch {
  attrs: Record<string, string>;
  ids: string[];
}

export class ReceiptScheduler {
  readonly #batches = new Map<string, Batch>();

  constructor(
    private readonly phone: SimulatedPhone,
    private readonly windowMs: number,
    private readonly later: (ms: number, fn: () => void) => void,
    private readonly push: (node: BinaryNode) => void,
  ) {}

  /** The account sent `id` to `chatJid` (from the companion or from its phone). */
  sent(chatJid: string, id: string, voice = false): void {
    const chat = this.phone.chat(chatJid);
    if (!chat) return;
    if (chat.kind === 'group') {
      for (const [i, m] of chat.members.entries()) {
        const participant = i % 3 === 0 ? `${m.lid}@lid` : `${m.lid}:${i % 3}@lid`;
        this.#add(1, { from: chatJid, participant }, id);
        this.#add(2, { from: chatJid, participant, type: 'read' }, id);
      }
      return;
    }
    const server = jidDecode(chatJid)?.server ?? 'lid';
    const user = jidDecode(chatJid)?.user;
    this.#add(1, { from: chatJid }, id);
    // The read receipt comes from the device the contact read it on (device-suffixed).
    this.#add(2, { from: `${user}:1@${server}`, type: 'read' }, id);
    if (voice) this.#add(3, { from: chatJid, type: 'played' }, id);
  }

  /**
   * The account's phone opened a contact's message `id` in the DM `chatJid`. (Groups: how WhatsApp
   * addresses a group `read-self` is not modelled; handleReceipt would read a `participant` as the
   * sender of the receipt.)
   */
  readOnPhone(chatJid: string, id: string): void {
    if (isJidGroup(chatJid)) return;
    this.#add(2, { from: this.phone.meLid, recipient: chatJid, type: 'read-self' }, id);
  }

  /** Adds `id` to the batch of identical receipts due `step` windows from now. */
  #add(step: number, attrs: Record<string, string>, id: string): void {
    const key = `${step}|${JSON.stringify(attrs)}`;
    const batch = this.#batches.get(key);
    if (batch) {
      batch.ids.push(id);
      return;
    }
    this.#batches.set(key, { attrs, ids: [id] });
    this.later(this.windowMs * step, () => {
      const due = this.#batches.get(key)!;
      this.#batches.delete(key);
      this.push(receiptStanza(due.attrs, due.ids));
    });
  }
}

/** `<receipt>` with the first id as `id` and the rest as `<list><item id>`. */
export function receiptStanza(attrs: Record<string, string>, ids: readonly string[]): BinaryNode {
  const [first, ...rest] = ids;
  return {
    tag: 'receipt',
    attrs: { ...attrs, id: first!, t: String(Math.floor(Date.now() / 1000)) },
    ...(rest.length && {
      content: [{ tag: 'list', attrs: {}, content: rest.map((id) => ({ tag: 'item', attrs: { id } })) }],
    }),
  };
}
