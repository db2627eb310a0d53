/**
 * Baileys auth values ↔ bytes, before encryption and after decryption.
 *
 * Serialisation is Baileys' own `BufferJSON` (what `useMultiFileAuthState` writes), so every
 * Buffer/Uint8Array inside creds and keys comes back as a Buffer. The JSON is deflated because
 * app-state versions carry thousands of base64 MACs and the JSON around them compresses well,
 * which keeps documents under Firestore's 1 MiB for longer.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BufferJSON, proto, type SignalDataTypeMap } from '@whiskeysockets/baileys';

export type KeyType = keyof SignalDataTypeMap;

/** Every key type Baileys 7 stores (`SignalDataTypeMap`); the store refuses any other. */
export const KEY_TYPES = [
  'pre-key',
  'session',
  'sender-key',
  'sender-key-memory',
  'app-state-sync-key',
  'app-state-sync-version',
  'lid-mapping',
  'device-list',
  'tctoken',
  'identity-key',
] as const satisfies readonly KeyType[];

export function encodeValue(value: unknown): Buffer {
  return deflateRawSync(Buffer.from(JSON.stringify(value, BufferJSON.replacer), 'utf8'));
}

export function decodeValue(bytes: Buffer): unknown {
  return JSON.parse(inflateRawSync(bytes).toString('utf8'), BufferJSON.reviver);
}

/**
 * A key value as Baileys expects to get it back. App-state sync keys are protobuf objects that
 * Baileys uses as such, so they are re-hydrated (as `useMultiFileAuthState` does).
 */
export function decodeKey<T extends KeyType>(type: T, bytes: Buffer): SignalDataTypeMap[T] {
  const value = decodeValue(bytes);
  if (type === 'app-state-sync-key') {
    return proto.Message.AppStateSyncKeyData.fromObject(value as object) as unknown as SignalDataTypeMap[T];
  }
  return value as SignalDataTypeMap[T];
}
