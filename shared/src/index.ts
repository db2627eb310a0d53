/**
 * The domain package: pure code shared by functions/ and socket-host/.
 *
 * This entry point has no Baileys runtime dependency beyond its JID helpers, so the functions
 * bundle stays small. Message normalisation, which needs Baileys' protobufs, lives at
 * `@wasync/shared/normalize` and is used only by the socket host.
 */
export * from './commands.ts';
export * from './config.ts';
export * from './cursor.ts';
export * from './deployment.ts';
export * from './documents/index.ts';
export * from './errors.ts';
export * from './identity/index.ts';
export * from './ids.ts';
export * from './media-paths.ts';
export * from './message-doc/index.ts';
export * from './planner/index.ts';
export * from './schema.ts';
export * from './status.ts';
export * from './thread-summary.ts';
export * from './time.ts';
