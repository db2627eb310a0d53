/**
 * An in-memory Baileys key store: the signal state of the simulated WhatsApp's own devices (the
 * contacts' phones and the account's phone), which live only as long as the simulator. Tests use
 * it too, for an auth state that needs no Firestore.
 */
import {
  type AuthenticationState,
  initAuthCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';

export function memoryKeyStore(data = new Map<string, unknown>()): SignalKeyStore {
  return {
    async get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {};
      for (const id of ids) {
        const v = data.get(`${type}/${id}`);
        if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
      }
      return out;
    },
    async set(set: SignalDataSet) {
      for (const [type, values] of Object.entries(set)) {
        for (const [id, v] of Object.entries(values ?? {})) {
          if (v == null) data.delete(`${type}/${id}`);
          else data.set(`${type}/${id}`, v);
        }
      }
    },
  };
}

/** Fresh creds (Baileys' `initAuthCreds`) and an in-memory key store; `data` shows every key. */
export function memoryAuthState(): AuthenticationState & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return { creds: initAuthCreds(), keys: memoryKeyStore(data), data };
}
