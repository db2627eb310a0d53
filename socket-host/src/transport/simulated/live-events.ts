/**
 * What happens live on an account besides plain texts, as WhatsApp delivers it — each event
 * deterministic from (phone, n):
 *
 * - a contact reacts to a message of the chat's history (`reactionMessage`, the key in the
 *   sender's perspective: Baileys' `cleanMessage` turns it around);
 * - a contact edits its own earlier message (`editedMessage` → MESSAGE_EDIT protocol message) or
 *   deletes it for everyone (REVOKE);
 * - wrappers: `ephemeralMessage` in a chat with disappearing messages, `viewOnceMessageV2` around
 *   a photo (only with media: `media.image` is the published photo);
 * - a voice note the account sends from its phone (`ptt` audio, with media; its recipient's
 *   `played` receipt follows);
 * - group changes as `<notification type="w:gp2">`: a contact added, removed, a new subject.
 */
import { type BinaryNode, proto } from '@whiskeysockets/baileys';
import { lidJid, pnJid, type SimChat, type SimulatedPhone } from './phone.ts';
import { stableMessageId } from './random.ts';
import type { Envelope } from './wire.ts';

export const LIVE_KINDS = [
  'text',
  'from-phone',
  'reaction',
  'text',
  'edit',
  'ephemeral',
  'text',
  'revoke',
  'group-add',
  'text',
  'group-remove',
  'group-subject',
  'view-once',
  'voice',
] as const;
export type LiveKind = (typeof LIVE_KINDS)[number];

/** One week: WhatsApp's default disappearing-messages timer. */
const EPHEMERAL_S = 604_800;

export type LiveEvent = { kind: LiveKind; envelope: Envelope } | { kind: LiveKind; notification: BinaryNode };

/**
 * Live event `n` of kind `kind`; `media` holds published files for view-once and voice (without
 * them those events are plain texts). Undefined when the phone has nothing to apply it to (no
 * group, say).
 */
export function liveEvent(
  phone: SimulatedPhone,
  kind: LiveKind,
  n: number,
  nowS: number,
  media: { image?: proto.Message.IImageMessage; audio?: proto.Message.IAudioMessage } = {},
): LiveEvent | undefined {
  const { image, audio } = media;
  const text = () => phone.liveEnvelope(n, nowS);
  const dm = phone.chats.filter((c) => c.kind === 'dm')[n % phone.contacts.length]!;
  const group = phone.chats.find((c) => c.kind === 'group');
  const id = stableMessageId(phone.meLid, 'event', kind, String(n));
  switch (kind) {
    case 'text':
      return { kind, envelope: text() };
    case 'from-phone':
      return { kind, envelope: phone.fromPhoneEnvelope(n, nowS) };
    case 'reaction': {
      const target = phone.historyMessage(dm, 0);
      return {
        kind,
        envelope: fromContact(dm, id, nowS, {
          reactionMessage: {
            key: theirView(phone, target),
            text: ['👍', '❤️', '😂', '🙏'][n % 4],
            senderTimestampMs: nowS * 1000,
          },
        }),
      };
    }
    case 'edit':
    case 'revoke': {
      const target = ownMessage(phone, dm, kind === 'edit' ? 0 : 1);
      if (!target) return { kind: 'text', envelope: text() };
      const protocolMessage: proto.Message.IProtocolMessage =
        kind === 'edit'
          ? {
              key: theirView(phone, target),
              type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
              editedMessage: { conversation: `${textOf(target)} (edited)` },
              timestampMs: nowS * 1000,
            }
          : { key: theirView(phone, target), type: proto.Message.ProtocolMessage.Type.REVOKE };
      const message = kind === 'edit' ? { editedMessage: { message: { protocolMessage } } } : { protocolMessage };
      return { kind, envelope: fromContact(dm, id, nowS, message) };
    }
    case 'ephemeral': {
      const base = text();
      base.message = {
        ephemeralMessage: {
          message: {
            extendedTextMessage: { text: base.message.conversation!, contextInfo: { expiration: EPHEMERAL_S } },
          },
        },
      };
      return { kind, envelope: base };
    }
    case 'view-once': {
      const base = text();
      if (image) base.message = { viewOnceMessageV2: { message: { imageMessage: { ...image, viewOnce: true } } } };
      return { kind, envelope: base };
    }
    case 'voice': {
      // From the phone, to the first chat (a DM: WhatsApp's `played` receipt is a DM's).
      const base = phone.fromPhoneEnvelope(n * phone.chats.length, nowS);
      const sent = base.message.deviceSentMessage;
      if (audio && sent) sent.message = { audioMessage: { ...audio, ptt: true } };
      return { kind, envelope: base };
    }
    case 'group-add':
    case 'group-remove':
    case 'group-subject':
      return group && { kind, notification: groupNotification(phone, group, kind, id, n, nowS) };
  }
}

/** A message from the DM's contact (LID-addressed, the phone number as alternate). */
function fromContact(dm: SimChat, id: string, nowS: number, message: proto.IMessage): Envelope {
  const [c] = dm.members;
  return {
    attrs: {
      id,
      t: String(nowS),
      type: 'text',
      notify: c!.name,
      addressing_mode: 'lid',
      from: lidJid(c!.lid),
      sender_pn: pnJid(c!.pn),
    },
    message,
    sender: lidJid(c!.lid),
  };
}

/** A history message's key as its chat partner sees it: our messages are theirs not, and back. */
function theirView(phone: SimulatedPhone, target: proto.IWebMessageInfo): proto.IMessageKey {
  return { remoteJid: phone.meJid, fromMe: !target.key!.fromMe, id: target.key!.id! };
}

/** The `nth` history message the contact wrote in `dm` (among the newest 20). */
function ownMessage(phone: SimulatedPhone, dm: SimChat, nth: number): proto.IWebMessageInfo | undefined {
  const theirs = Array.from({ length: 20 }, (_, i) => phone.historyMessage(dm, i)).filter((m) => !m.key!.fromMe);
  return theirs[nth];
}

function textOf(m: proto.IWebMessageInfo): string {
  return m.message?.conversation ?? m.message?.extendedTextMessage?.text ?? '';
}

/** `<notification type="w:gp2">` as messages-recv.js `handleGroupNotification` reads it. */
function groupNotification(
  phone: SimulatedPhone,
  group: SimChat,
  kind: 'group-add' | 'group-remove' | 'group-subject',
  id: string,
  n: number,
  nowS: number,
): BinaryNode {
  const admin = group.members[0] ?? phone.contacts[0]!;
  const outsider = phone.contacts.find((c) => !group.members.includes(c)) ?? phone.contacts[0]!;
  const member = group.members[group.members.length - 1] ?? outsider;
  const participant = (c: typeof admin) => ({
    tag: 'participant',
    attrs: { jid: lidJid(c.lid), phone_number: pnJid(c.pn) },
  });
  const child: BinaryNode =
    kind === 'group-subject'
      ? { tag: 'subject', attrs: { subject: `${group.name} (${n})`, s_t: String(nowS), s_o: lidJid(admin.lid) } }
      : {
          tag: kind === 'group-add' ? 'add' : 'remove',
          attrs: {},
          content: [participant(kind === 'group-add' ? outsider : member)],
        };
  return {
    tag: 'notification',
    attrs: {
      from: group.jid,
      type: 'w:gp2',
      id,
      t: String(nowS),
      participant: lidJid(admin.lid),
      participant_pn: pnJid(admin.pn),
      addressing_mode: 'lid',
    },
    content: [child],
  };
}
