/**
 * `@idle-session/koa`: server-side idle and absolute session timeouts for Koa 3, on top of koa-session
 * (external store or cookie-only). See {@link idleSession}.
 *
 * @packageDocumentation
 */
export { idleSession, type KoaIdleSessionMiddleware, type KoaIdleSessionOptions } from './middleware.js';
export { MemoryStore } from './memory-store.js';
export type { MemoryStoreOptions } from './memory-store.js';
export type { KoaSessionStore } from './session.js';
export { safeExternalKey } from './cookies.js';
export * from '@idle-session/core/for-apps'; // errors, safeNextPath, sessionTtl, createPolicy and the API's types, as from every adapter
