/**
 * The phone's half of QR pairing, so the simulator hands Baileys a genuine `pair-success` stanza.
 *
 * The simulated phone signs the companion's identity key with its own account key exactly as
 * WhatsApp does (ADV device identity + HMAC with the companion's `advSecretKey`), and Baileys' own
 * `configureSuccessfulPairing` verifies both signatures and produces the creds update. So creds
 * written after a simulated pairing have the same shape (`me`, `account`, `signalIdentities`,
 * `platform`) as after a real one.
 */
import {
  type AuthenticationCreds,
  type BinaryNode,
  Curve,
  configureSuccessfulPairing,
  hmacSign,
  proto,
  S_WHATSAPP_NET,
  WA_ADV_ACCOUNT_SIG_PREFIX,
} from '@whiskeysockets/baileys';

export interface PhoneIdentity {
  /** Phone number digits of the account. */
  pn: string;
  /** LID user of the account. */
  lid: string;
  /** Device number WhatsApp assigns to this companion. */
  device: number;
  /** Push name of the account. */
  name?: string;
}

/** The `pair-success` stanza a phone at `phone` would send after scanning the companion's QR. */
export function pairSuccessStanza(
  creds: Pick<AuthenticationCreds, 'advSecretKey' | 'signedIdentityKey'>,
  phone: PhoneIdentity,
  stanzaId: string,
): BinaryNode {
  const accountKey = Curve.generateKeyPair();
  const deviceDetails = proto.ADVDeviceIdentity.encode({
    rawId: Number.parseInt(phone.pn.slice(-6), 10),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: 1,
  }).finish();
  const accountSignature = Curve.sign(
    accountKey.private,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, deviceDetails, creds.signedIdentityKey.public]),
  );
  const details = proto.ADVSignedDeviceIdentity.encode({
    details: deviceDetails,
    accountSignatureKey: accountKey.public,
    accountSignature,
  }).finish();
  const hmac = hmacSign(details, Buffer.from(creds.advSecretKey, 'base64'));
  return {
    tag: 'iq',
    attrs: { id: stanzaId, type: 'set', from: S_WHATSAPP_NET },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          {
            tag: 'device-identity',
            attrs: {},
            content: proto.ADVSignedDeviceIdentityHMAC.encode({ details, hmac }).finish(),
          },
          { tag: 'platform', attrs: { name: 'smba' } },
          {
            tag: 'device',
            attrs: { jid: `${phone.pn}:${phone.device}@s.whatsapp.net`, lid: `${phone.lid}:${phone.device}@lid` },
          },
          ...(phone.name ? [{ tag: 'biz', attrs: { name: phone.name } }] : []),
        ],
      },
    ],
  };
}

/** The creds update Baileys derives from a successful pairing with `phone`. */
export function pairCreds(
  creds: Pick<AuthenticationCreds, 'advSecretKey' | 'signedIdentityKey' | 'signalIdentities'>,
  phone: PhoneIdentity,
): Partial<AuthenticationCreds> {
  return configureSuccessfulPairing(pairSuccessStanza(creds, phone, 'pair-1'), creds).creds;
}
