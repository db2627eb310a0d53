/** An in-memory Baileys auth state (tests that do not need Firestore). */
import {
  type AuthenticationState,
  initAuthCreds,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys';

export function memoryAuthState(): AuthenticationState & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  const keys: SignalKeyStore = {
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
  return { creds: initAuthCreds(), keys, data };
}
