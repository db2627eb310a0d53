/**
 * What kind of event a `WAMessage` is, before any identity work: chat content, a reaction, an
 * edit, a revoke, a tombstone, or something to skip (and why).
 *
 * Unwrapping is Baileys' own: `extractMessageContent` runs `normalizeMessageContent` (ephemeral,
 * view-once v1/v2/v2-extension, documentWithCaption, edited, associatedChild, groupStatus — up to
 * five layers) and flattens button/template messages; `getContentType` then picks the first
 * `conversation` / `…Message` key, ignoring `senderKeyDistributionMessage` (messages.js).
 *
 * Stubs (content-less `messageStubType` messages):
 * - CIPHERTEXT: decryption failed or the stanza had no content; Baileys asks the phone for a
 *   resend and the real message arrives later under the same key. Skipped, so nothing about this
 *   key is recorded as seen.
 * - REVOKE / ADMIN_REVOKE: how history sync delivers a message that was deleted for everyone —
 *   the message itself, content already gone. It becomes the tombstone document.
 * - GROUP_* and COMMUNITY_* (subject/icon/description changes, participants added/removed, …):
 *   skipped as `group_stub`. The contract has no system-event message type; group metadata is
 *   kept current from `groups.update` / group metadata instead; and as documents with null text
 *   they would become the thread's `lastMessage` and bury the last real message.
 * - Everything else (missed calls, security-code changes, business notices): skipped as `stub`.
 */
import { extractMessageContent, getContentType, proto } from '@whiskeysockets/baileys';
import { asFields, enumNumber, type Fields } from './fields.ts';
import type { SkipReason } from './types.ts';

export type Classification =
  | { kind: 'content'; content: Fields; contentType: string }
  /** A `reactionMessage` (target key in `reaction.key`, emoji in `reaction.text`). */
  | { kind: 'reaction'; reaction: Fields }
  /** A `pollUpdateMessage`: an encrypted vote on the poll named by `update.pollCreationMessageKey`. */
  | { kind: 'poll_vote'; update: Fields }
  /** A MESSAGE_EDIT protocol message; `timestampMs` is the edit's own time. */
  | { kind: 'edit'; targetId: string; newContent: Fields | null; timestampMs: unknown }
  /**
   * A message whose content is Baileys' edit-update shape `{ editedMessage: { message: <new> } }`:
   * its event buffer merged the message's own edit into its upsert (`Object.assign`, event-buffer.js),
   * so this is the message itself with its edit applied; `content` is the edited content.
   */
  | { kind: 'buffered_edit'; content: Fields; contentType: string }
  /** A REVOKE protocol message; `targetKey` is in the revoker's perspective. */
  | { kind: 'revoke'; targetId: string; targetKey: Fields }
  /** History's form of a message deleted for everyone. */
  | { kind: 'tombstone' }
  /** A view-once message whose media WhatsApp does not send to linked devices (`key.isViewOnce`). */
  | { kind: 'view_once_unavailable' }
  | { kind: 'skip'; reason: SkipReason; detail?: string };

const StubType = proto.WebMessageInfo.StubType;
const ProtocolType = proto.Message.ProtocolMessage.Type;

/** Content types that modify or accompany other messages and have no place in the contract. */
const CONTROL_CONTENT_TYPES = new Set([
  'keepInChatMessage',
  'pinInChatMessage',
  'encReactionMessage',
  'encEventResponseMessage',
  'encCommentMessage',
  'placeholderMessage',
  'secretEncryptedMessage',
  'stickerSyncRmrMessage',
  'statusNotificationMessage',
  'messageHistoryNotice',
  'messageHistoryBundle',
]);

/** Stub numbers of group and community system events, from the enum's own names. */
const GROUP_STUB_TYPES: ReadonlySet<number> = new Set(
  Object.entries(StubType)
    .filter(([name, value]) => typeof value === 'number' && /^(GROUP_|COMMUNITY_)/.test(name))
    .map(([, value]) => value as number),
);

function enumName(value: number, names: Readonly<Record<string, unknown>>): string {
  const name = names[value];
  return typeof name === 'string' ? name : String(value);
}

function stubDetail(stub: number, params: unknown): string {
  const first = Array.isArray(params) ? params[0] : undefined;
  return typeof first === 'string' ? `${enumName(stub, StubType)}: ${first}` : enumName(stub, StubType);
}

function classifyProtocol(pm: Fields): Classification {
  const type = enumNumber(pm.type, ProtocolType);
  if (type === ProtocolType.REVOKE || type === ProtocolType.MESSAGE_EDIT) {
    const key = asFields(pm.key);
    const targetId = typeof key?.id === 'string' && key.id.length > 0 ? key.id : null;
    if (!key || !targetId) {
      return { kind: 'skip', reason: 'invalid_key', detail: `${enumName(type, ProtocolType)} without target id` };
    }
    if (type === ProtocolType.REVOKE) return { kind: 'revoke', targetId, targetKey: key };
    // The edit carries its own time (`timestampMs`), which Baileys also prefers (process-message.js).
    return { kind: 'edit', targetId, newContent: asFields(pm.editedMessage), timestampMs: pm.timestampMs };
  }
  return { kind: 'skip', reason: 'protocol', detail: type === null ? 'unknown' : enumName(type, ProtocolType) };
}

/** `editedMessage` at the top or under the ephemeral wrapper, as Baileys and clients nest it. */
function editedWrapper(raw: Fields): Fields | null {
  return asFields(raw.editedMessage) ?? asFields(asFields(asFields(raw.ephemeralMessage)?.message)?.editedMessage);
}

function classifyContent(raw: Fields): Classification | null {
  // Baileys unwraps deviceSentMessage while decrypting; raw stores (or other clients) may not have.
  const own = asFields(asFields(raw.deviceSentMessage)?.message) ?? raw;
  const content = asFields(extractMessageContent(own as proto.IMessage));
  const contentType = content ? getContentType(content as proto.IMessage) : undefined;
  if (!content || !contentType) {
    const keyOnly = own.senderKeyDistributionMessage || own.fastRatchetKeySenderKeyDistributionMessage;
    return keyOnly ? { kind: 'skip', reason: 'sender_key_only' } : null;
  }
  switch (contentType) {
    case 'protocolMessage':
      return classifyProtocol(asFields(content.protocolMessage) ?? {});
    case 'reactionMessage':
      return { kind: 'reaction', reaction: asFields(content.reactionMessage) ?? {} };
    case 'pollUpdateMessage':
      return { kind: 'poll_vote', update: asFields(content.pollUpdateMessage) ?? {} };
    case 'fastRatchetKeySenderKeyDistributionMessage':
      return { kind: 'skip', reason: 'sender_key_only' };
  }
  if (CONTROL_CONTENT_TYPES.has(contentType)) return { kind: 'skip', reason: 'control', detail: contentType };
  if (editedWrapper(own)) return { kind: 'buffered_edit', content, contentType };
  return { kind: 'content', content, contentType };
}

/** Classify one message. Never looks at identity (chat, sender); see `chat.ts` for that. */
export function classifyMessage(msg: Fields, key: Fields): Classification {
  const stub = enumNumber(msg.messageStubType, StubType);
  if (stub === StubType.CIPHERTEXT) {
    return { kind: 'skip', reason: 'ciphertext_placeholder', detail: stubDetail(stub, msg.messageStubParameters) };
  }
  const raw = asFields(msg.message);
  if (raw) {
    const classified = classifyContent(raw);
    if (classified) return classified;
  }
  if (stub === StubType.REVOKE || stub === StubType.ADMIN_REVOKE) return { kind: 'tombstone' };
  if (stub !== null && GROUP_STUB_TYPES.has(stub)) {
    return { kind: 'skip', reason: 'group_stub', detail: stubDetail(stub, msg.messageStubParameters) };
  }
  if (stub !== null && stub !== StubType.UNKNOWN) {
    return { kind: 'skip', reason: 'stub', detail: stubDetail(stub, msg.messageStubParameters) };
  }
  if (key.isViewOnce === true) return { kind: 'view_once_unavailable' };
  return { kind: 'skip', reason: 'no_content' };
}
