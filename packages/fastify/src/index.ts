/**
 * `@idle-session/fastify`: server-side idle and absolute session timeouts for Fastify 5, on top of
 * @fastify/session. See {@link idleSession}.
 *
 * @packageDocumentation
 */
export { idleSession, idleSession as default, MISSING_SESSION_WARNING, type FastifyIdleSession, type FastifyIdleSessionOptions } from './plugin.js';
export { preferSignedSessionCookie, type SessionCookieGuardOptions } from './cookie-guard.js';
export * from '@idle-session/core/for-apps'; // errors, safeNextPath, sessionTtl, createPolicy and the API's types, as from every adapter
