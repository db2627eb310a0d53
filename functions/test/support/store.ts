/**
 * Everything stored in the test Firestore, as one comparable value: every document (found by
 * walking collections from the root with listCollections) with its data and update time.
 * "Nothing stored changed" is then `deepEqual(before, after)`.
 */
import type { CollectionReference, DocumentReference, Firestore } from 'firebase-admin/firestore';

export type StoreSnapshot = Record<string, { data: unknown; updateTime: string }>;

export async function snapshotStore(db: Firestore): Promise<StoreSnapshot> {
  const out: StoreSnapshot = {};
  const walk = async (collections: CollectionReference[]) => {
    for (const collection of collections) {
      const refs: DocumentReference[] = await collection.listDocuments();
      for (const ref of refs) {
        const snapshot = await ref.get();
        if (snapshot.exists) {
          const { seconds, nanoseconds } = snapshot.updateTime!;
          out[ref.path] = { data: snapshot.data(), updateTime: `${seconds}.${String(nanoseconds).padStart(9, '0')}` };
        }
        await walk(await ref.listCollections());
      }
    }
  };
  await walk(await db.listCollections());
  return out;
}
