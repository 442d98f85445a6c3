/**
 * `@idle-session/express`: server-side idle and absolute session timeouts for Express 4 and 5, on top
 * of express-session. See {@link idleSession}.
 *
 * @packageDocumentation
 */
export { idleSession, type ExpressIdleSessionOptions, type IdleSessionMiddleware } from './middleware.js';
export { sessionTtl } from './store-ttl.js';
export { preferSignedSessionCookie, type SessionCookieGuardOptions } from './cookie-guard.js';
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
