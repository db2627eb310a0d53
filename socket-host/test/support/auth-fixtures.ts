/**
 * One realistic value of every Baileys v7 signal key type, built with Baileys' own key and proto
 * helpers, and a creds object from `initAuthCreds()` that has been through (simulated) pairing.
 */
import { randomBytes } from 'node:crypto';
import {
  type AuthenticationCreds,
  BufferJSON,
  Curve,
  initAuthCreds,
  proto,
  type SignalDataSet,
} from '@whiskeysockets/baileys';
import type { KeyType } from '../../src/auth-state/codec.ts';
import { pairCreds } from '../../src/transport/simulated/pairing.ts';

export function pairedCreds(): AuthenticationCreds {
  const creds = initAuthCreds();
  Object.assign(creds, pairCreds(creds, { pn: '15550001111', lid: '99887766', device: 7, name: 'Demo' }));
  creds.registered = true;
  creds.processedHistoryMessages = [
    { key: { remoteJid: '15550001111@s.whatsapp.net', fromMe: true, id: 'H1' }, messageTimestamp: 1_700_000_001 },
  ];
  creds.routingInfo = randomBytes(24);
  return creds;
}

/** A value of every key type, keyed by type then id (ids as Baileys forms them). */
export function everyKeyType(): Required<{ [T in KeyType]: NonNullable<SignalDataSet[T]> }> {
  return {
    'pre-key': { '1': Curve.generateKeyPair(), '812': Curve.generateKeyPair() },
    session: { '15551234567.0': randomBytes(180), '11112222_1.3': new Uint8Array(randomBytes(64)) },
    'sender-key': { '120363000000000001@g.us::11112222_1::0': randomBytes(120) },
    'sender-key-memory': {
      '120363000000000001@g.us': { '11112222:0@lid': true, '15551234567:0@s.whatsapp.net': true },
    },
    'app-state-sync-key': {
      AAAAAQ: proto.Message.AppStateSyncKeyData.fromObject({
        keyData: randomBytes(32),
        fingerprint: { rawId: 7, currentIndex: 1, deviceIndexes: [0, 1] },
        timestamp: 1_700_000_000_000,
      }),
    },
    'app-state-sync-version': {
      regular_high: {
        version: 42,
        hash: randomBytes(128),
        indexValueMap: { [randomBytes(32).toString('base64')]: { valueMac: randomBytes(32) } },
      },
    },
    'lid-mapping': { '15551234567': '11112222', '11112222_reverse': '15551234567' },
    'device-list': { '15551234567': ['0', '3'] },
    tctoken: { '11112222@lid': { token: randomBytes(20), timestamp: '1700000000', senderTimestamp: 1_700_000_000 } },
    'identity-key': { '11112222_1.0': new Uint8Array(randomBytes(33)) },
  };
}

/** How Baileys itself would persist a value: equality of this form is what round-tripping means. */
export function asStored(value: unknown): string {
  return JSON.stringify(value, BufferJSON.replacer);
}
