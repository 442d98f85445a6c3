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
export {
  IdlePolicyError,
  NEXT_PARAM,
  safeNextPath,
  SessionEndedError,
  StoreUnavailableError,
  type ActiveSession,
  type ActivityHandle,
  type AuditEvent,
  type AuditHook,
  type ExpiryReason,
  type IdlePolicy,
  type IdleSessionAdapter,
  type RequireSignInOptions,
  type SessionEndedReason,
  type SessionLimits,
  type SetLimitsOptions,
  type SignOutOptions,
  type SessionEvaluation,
  type StatusBody,
} from '@idle-session/core';
