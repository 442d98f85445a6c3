/**
 * `@idle-session/express`: server-side idle and absolute session timeouts for Express 4 and 5, on top
 * of express-session. See {@link idleSession}.
 *
 * @packageDocumentation
 */
export { idleSession, type ExpressIdleSessionOptions, type IdleSessionMiddleware } from './middleware.js';

export { preferSignedSessionCookie, type SessionCookieGuardOptions } from './cookie-guard.js';
export * from '@idle-session/core/for-apps'; // errors, safeNextPath, sessionTtl, createPolicy and the API's types, as from every adapter
