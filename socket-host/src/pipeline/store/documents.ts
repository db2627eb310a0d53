/**
 * The shared document converters bound to firebase-admin's `Timestamp`, and which converter a
 * path's document goes through: every contract document the pipeline reads or writes passes here.
 */
import { makeDocumentConverters, type WrittenKind } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';

export const documents = makeDocumentConverters(Timestamp);

/** The kind of a written document, from its path (`accounts/{a}/<collection>/…`). */
export function kindOfPath(path: string): WrittenKind {
  const parts = path.split('/');
  if (parts.length === 6 && parts[4] === 'messages') return 'message';
  switch (parts[2]) {
    case 'threads':
      return 'thread';
    case 'pendingUpdates':
      return 'pendingUpdates';
    case 'lidPnPairs':
      return 'lidPnPair';
    case 'names':
      return 'name';
  }
  throw new Error(`not a document the write planner writes: ${path}`);
}
