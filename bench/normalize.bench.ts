/**
 * Throughput of `normalizeMessage` on one core, over a realistic mix of ~50k messages built with
 * Baileys' own code paths (live stanzas through `decodeMessageNode`, history through
 * `HistorySync` + `processHistoryMessage`, so timestamps and sizes are real `Long`s).
 *
 * Also measures, in the same process and over the same messages, a trivial pass that only
 * unwraps the content (`getContentType(normalizeMessageContent(m.message))`) — the floor any
 * normaliser pays — and reports the ratio between the two.
 */
import { getContentType, normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import { normalizeMessage } from '../shared/src/normalize/index.ts';
import {
  GROUP,
  historyMessages,
  liveDm,
  liveGroup,
  liveOwnDm,
  NOW,
  OTHER,
  PEER,
  SELF,
  T0,
} from '../shared/test/fixtures/wa-messages.ts';
import type { Emit } from './types.ts';

const MESSAGE_COUNT = 50_000;
const ROUNDS = 7;
const WARMUP_ROUNDS = 2;

/** Live content shapes with rough real-world weights (text dominates, then media, reactions, system). */
const LIVE_SHAPES: Array<[weight: number, build: (i: number) => WAMessage]> = [
  [30, (i) => liveDm({ conversation: `message number ${i}` })],
  [12, (i) => liveOwnDm({ extendedTextMessage: { text: `reply ${i}`, contextInfo: { stanzaId: `Q${i}` } } })],
  [18, (i) => liveGroup({ conversation: `group chatter ${i}` }, { participant: i % 2 ? PEER.lid : OTHER.lid })],
  [
    8,
    () =>
      liveGroup({
        imageMessage: { caption: 'photo', mimetype: 'image/jpeg', fileLength: 183_422, width: 1280, height: 960 },
      }),
  ],
  [4, () => liveDm({ ephemeralMessage: { message: { audioMessage: { ptt: true, seconds: 9, fileLength: 14_000 } } } })],
  [
    3,
    () => liveDm({ videoMessage: { caption: 'clip', seconds: 12, fileLength: 2_000_000, width: 720, height: 1280 } }),
  ],
  [
    2,
    () =>
      liveDm({ documentWithCaptionMessage: { message: { documentMessage: { fileName: 'a.pdf', caption: 'doc' } } } }),
  ],
  [3, () => liveGroup({ stickerMessage: { mimetype: 'image/webp', fileLength: 20_000, width: 512, height: 512 } })],
  [5, (i) => liveDm({ reactionMessage: { key: { remoteJid: PEER.lid, fromMe: true, id: `T${i}` }, text: '👍' } })],
  [
    1,
    (i) =>
      liveDm({
        editedMessage: {
          message: {
            protocolMessage: {
              type: 14,
              key: { id: `T${i}` },
              editedMessage: { conversation: 'edited' },
              timestampMs: 1,
            },
          },
        },
      }),
  ],
  [1, (i) => liveOwnDm({ protocolMessage: { type: 0, key: { remoteJid: PEER.lid, fromMe: true, id: `T${i}` } } })],
  [1, () => liveOwnDm({ protocolMessage: { type: 3, ephemeralExpiration: 86_400 } })],
  [1, () => liveGroup({ senderKeyDistributionMessage: { groupId: GROUP } })],
  [1, () => liveDm({ locationMessage: { degreesLatitude: 52.5, degreesLongitude: 13.4, name: 'Office' } })],
];

/** 80% live, 20% history (fifty-message conversations, as RECENT chunks hold them). */
function buildMix(): WAMessage[] {
  const messages: WAMessage[] = [];
  const totalWeight = LIVE_SHAPES.reduce((sum, [w]) => sum + w, 0);
  const liveCount = Math.round(MESSAGE_COUNT * 0.8);
  for (let i = 0; messages.length < liveCount; i++) {
    let pick = i % totalWeight;
    for (const [weight, build] of LIVE_SHAPES) {
      if (pick < weight) {
        messages.push(build(i));
        break;
      }
      pick -= weight;
    }
  }
  for (let chat = 0; messages.length < MESSAGE_COUNT; chat++) {
    const isGroup = chat % 4 === 0;
    const remoteJid = isGroup ? `1203630${chat}@g.us` : `${100_000 + chat}@lid`;
    const history: proto.IWebMessageInfo[] = [];
    for (let j = 0; j < 50; j++) {
      history.push({
        key: { remoteJid, fromMe: j % 3 === 0, id: `H${chat}-${j}`, participant: isGroup ? PEER.lid : undefined },
        messageTimestamp: T0 - j * 60,
        status: j % 3 === 0 ? proto.WebMessageInfo.Status.READ : undefined,
        message: j % 5 === 0 ? { imageMessage: { caption: 'old', fileLength: 5000 } } : { conversation: `old ${j}` },
      });
    }
    messages.push(...historyMessages([{ id: remoteJid, messages: history }]));
  }
  return messages.slice(0, MESSAGE_COUNT);
}

/** Messages per second of `pass` over `messages`: the median of the timed rounds, after warm-up. */
function measure(messages: WAMessage[], pass: (m: WAMessage) => number): { perSecond: number; checksum: number } {
  let checksum = 0;
  const rates: number[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (const m of messages) checksum += pass(m);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (round >= WARMUP_ROUNDS) rates.push(messages.length / seconds);
  }
  rates.sort((a, b) => a - b);
  return { perSecond: rates[Math.floor(rates.length / 2)] as number, checksum };
}

export default async function normalizeBench(emit: Emit): Promise<void> {
  const messages = buildMix();
  const opts = { source: 'realtime', receivedAt: NOW, self: SELF } as const;

  const kinds: Record<string, number> = {};
  for (const m of messages) {
    const result = normalizeMessage(m, opts);
    kinds[result.kind] = (kinds[result.kind] ?? 0) + 1;
  }

  const baseline = measure(messages, (m) => getContentType(normalizeMessageContent(m.message))?.length ?? 0);
  const normalize = measure(messages, (m) => normalizeMessage(m, opts).kind.length);

  emit({
    metric: 'normalize.throughput',
    value: Math.round(normalize.perSecond),
    unit: 'msg/s',
    n: messages.length,
    rounds: ROUNDS,
    mix: kinds,
    checksum: normalize.checksum,
  });
  emit({
    metric: 'normalize.baseline_unwrap',
    value: Math.round(baseline.perSecond),
    unit: 'msg/s',
    n: messages.length,
    rounds: ROUNDS,
    checksum: baseline.checksum,
  });
  emit({
    metric: 'normalize.cost_vs_unwrap',
    value: Number((baseline.perSecond / normalize.perSecond).toFixed(2)),
    unit: 'x',
    n: messages.length,
  });
}
