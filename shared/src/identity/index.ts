/** Chat identity: JID classification, LID ↔ PN pairs, canonical thread JIDs and thread merges. */
export * from './alias-resolver.ts';
export * from './jid.ts';
export * from './lid-pn-pairs.ts';
export * from './self.ts';
export * from './thread-merge.ts';
