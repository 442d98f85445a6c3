import { cookieValues } from '@idle-session/core';
import { Signer } from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/** Options of {@link preferSignedSessionCookie}: @fastify/session's own `cookieName`, `secret` and `cookiePrefix`. */
export interface SessionCookieGuardOptions {
  /** @fastify/session's `cookieName` (its default: `sessionId`). */
  cookieName?: string;
  /** @fastify/session's `secret`: one secret, or the list (the first signs, all verify). */
  secret: string | readonly string[];
  /** @fastify/session's `cookiePrefix` (default none). */
  cookiePrefix?: string;
  /** @fastify/session's `algorithm` of the signature (default `sha256`). */
  algorithm?: string;
}

const guard: FastifyPluginAsync<SessionCookieGuardOptions> = async (fastify, { cookieName = 'sessionId', secret, cookiePrefix = '', algorithm = 'sha256' }) => {
  const secrets = (typeof secret === 'string' ? [secret] : [...(secret ?? [])]).filter((each) => typeof each === 'string' && each !== '');
  if (secrets.length === 0) throw new TypeError('idle-session: preferSignedSessionCookie needs @fastify/session\'s "secret".');
  const signer = new Signer(secrets, algorithm);
  fastify.addHook('onRequest', async (request) => {
    const header = request.headers.cookie;
    if (!header || header.indexOf(`${cookieName}=`) === header.lastIndexOf(`${cookieName}=`)) return;
    const valid = cookieValues(header, cookieName, { decode: true }).find((value) => value.startsWith(cookiePrefix) && signer.unsign(value.slice(cookiePrefix.length)).valid);
    if (valid !== undefined) request.cookies[cookieName] = valid;
  });
};

/**
 * A Fastify plugin to register **after @fastify/cookie and before @fastify/session**: when the request's
 * `Cookie` header carries the session cookie's name more than once (a cookie planted from a sibling
 * subdomain, or sent first because of a longer path: "cookie tossing"), the one with a valid signature is
 * the one @fastify/session reads. @fastify/cookie keeps only the first of a name, so without this a planted
 * one hides the real session and the user looks signed out. Over HTTPS, a `__Host-` cookie name prevents the
 * planting in the first place; use both. The counterpart of `@idle-session/express`'s `preferSignedSessionCookie`.
 *
 * @example
 * ```ts
 * await app.register(fastifyCookie);
 * await app.register(preferSignedSessionCookie, { cookieName: 'app.sid', secret });
 * await app.register(fastifySession, { cookieName: 'app.sid', secret, saveUninitialized: false, rolling: false });
 * ```
 * @throws TypeError, failing `register`, when `secret` is missing.
 */
export const preferSignedSessionCookie = fp(guard, { fastify: '5.x', name: '@idle-session/fastify/prefer-signed-session-cookie', dependencies: ['@fastify/cookie'] });
