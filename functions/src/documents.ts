/**
 * The domain core's document converters (`@wasync/shared` documents/), bound to firebase-admin's
 * `Timestamp`: every read and write of contract documents in the functions goes through these.
 */
import { makeDocumentConverters } from '@wasync/shared';
import { Timestamp } from 'firebase-admin/firestore';

export const documents = makeDocumentConverters(Timestamp);
