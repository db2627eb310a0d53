/**
 * `@wasync/shared/client`: what apps using the `firebase` client SDK import — the callable
 * contract (inputs, results), typed callable wrappers and Firestore converters for the documents
 * apps read directly. Browser-safe: no Node built-ins.
 */
export * from './callables.ts';
export * from './contract.ts';
export * from './converters.ts';
export * from './visible.ts';
