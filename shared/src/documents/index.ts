/** Domain documents ↔ Firestore documents (`EpochMs` ↔ `Timestamp`), for any Firestore SDK. */
export * from './converters.ts';
export { copyDefined, type TimePath, type TimestampFactory, type TimestampLike } from './timestamps.ts';
