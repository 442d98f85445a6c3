/**
 * `@idle-session/core/for-apps`: what an app imports from its server adapter besides the adapter itself, the
 * same names from every adapter (`@idle-session/express`, `/koa`, `/fastify` re-export this module): errors,
 * the return-to helper, the store TTL, the policy, and the types of the adapter's API.
 *
 * @packageDocumentation
 */
export { createPolicy, IdlePolicyError, type IdlePolicy } from './policy.js';
export { NEXT_PARAM, safeNextPath } from './return-to.js';
export { SessionEndedError, type SessionEndedReason } from './ended.js';
export { StoreUnavailableError } from './unavailable.js';
export { sessionTtl } from './store-ttl.js';
export type { ActiveSession, SessionEvaluation } from './evaluate.js';
export type { ActivityHandle, IdleSessionAdapter, RequireSignInOptions, SignOutOptions } from './adapter.js';
export type { AuditEvent, AuditHook } from './audit.js';
export type { ExpiryReason } from './record.js';
export type { SessionLimits, SetLimitsOptions } from './limits.js';
export type { StatusBody } from './wire.js';
export type { IdleSessionOptions } from './options.js';
