import { CLEAR_SITE_DATA_CACHE, createSessionEngine, nodeHeaderReader, signInCookieWarnings, type EndpointResponse, type IdleSessionAdapter, type IdleSessionOptions, type RunningRequest } from '@idle-session/core';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type {} from '@fastify/cookie'; // its request.cookies and reply.clearCookie
import type {} from '@fastify/session';
import onHeaders from 'on-headers';
import { bound, detached, override, sessionCookieName, sessionOf } from './session.js';

/** Options of the {@link idleSession} plugin: the core adapter options, with `isActivity` taking a Fastify request. */
export type FastifyIdleSessionOptions = IdleSessionOptions<FastifyRequest>;

/**
 * What the plugin decorates the Fastify instance with, as `fastify.idleSession`: the methods of
 * `IdleSessionAdapter` (from `@idle-session/core`). `requireSignIn()` returns a `preHandler` hook.
 */
export interface FastifyIdleSession extends IdleSessionAdapter<FastifyRequest, preHandlerAsyncHookHandler> {
  /** See `IdleSessionAdapter.sessionSignal`: the platform's `AbortSignal`. */
  sessionSignal(request: FastifyRequest): AbortSignal;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** idle-session's adapter, decorated by `@idle-session/fastify`. */
    idleSession: FastifyIdleSession;
  }
}

/** Said once when a request has no @fastify/session session (outside its cookie path): it is treated as having none. */
export const MISSING_SESSION_WARNING =
  'idle-session: a request arrived without a @fastify/session session; it is treated as having no session. ' +
  '@fastify/session gives none to requests outside its cookie.path. Register @fastify/cookie and @fastify/session before idle-session.';

const RUNNING = Symbol('idle-session running request');
const REPLY = Symbol('idle-session reply');
type Held = FastifyRequest & { [RUNNING]?: RunningRequest | null; [REPLY]?: FastifyReply | null };

/** Writes an endpoint's answer as it is (JSON text with its `Content-Length`; no body for `null`). */
function send(reply: FastifyReply, answer: EndpointResponse): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body === null ? undefined : JSON.stringify(answer.body));
}

/** A `Set-Cookie` of the session cookie with the value the request already carries and no expiry: the browser has it. */
function dropsRepeatedCookie(request: FastifyRequest, reply: FastifyReply): void {
  const session = sessionOf(request);
  const name = session && sessionCookieName(request, session);
  const header = reply.getHeader('set-cookie');
  if (!name || header === undefined) return;
  const carried = `${name}=${request.cookies[name]}`;
  const kept = [header].flat().map(String).filter((cookie) => cookie.split(';')[0] !== carried || /;\s*(expires|max-age)=/i.test(cookie));
  if (kept.length === 0) reply.removeHeader('set-cookie');
  else reply.header('set-cookie', kept);
}

/**
 * @fastify/session deletes a session cookie it cannot use (unknown, forged, or of an ended session) as it
 * answers; express-session and koa-session leave it, and every adapter answers alike: left, here too. Only
 * its own deletion is skipped: after the answer started, of a cookie the request carried, with exactly the
 * options it passes (`domain` and `path`, as its session cookie has them). The app's own go out.
 */
function keepUnusableCookie(request: FastifyRequest, reply: FastifyReply, cookie: { domain?: unknown; path?: unknown }): void {
  const { send, clearCookie } = reply;
  let answering = false;
  reply.send = function (this: FastifyReply, ...args: Parameters<typeof send>) {
    answering = true;
    return send.apply(this, args);
  };
  reply.clearCookie = function (this: FastifyReply, name: string, options?: Record<string, unknown>) {
    const keys = Object.keys(options ?? {}).sort().join();
    const theirs = answering && name in request.cookies && keys === 'domain,path' && options!.domain === (cookie.domain ?? undefined) && options!.path === (cookie.path || '/');
    return theirs ? this : clearCookie.call(this, name, options);
  } as typeof clearCookie;
}

const plugin: FastifyPluginAsync<FastifyIdleSessionOptions> = async (fastify, options) => {
  if (fastify.hasDecorator('idleSession')) throw new Error('idle-session: @idle-session/fastify is registered twice here; register it once, after @fastify/session.');
  // Where the plugin applies (fastify-plugin: the context that registers it), with its route parameters.
  const mount = new RegExp(`^${fastify.prefix.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[^/]+/g, '[^/]+')}`, 'i');
  const engine = createSessionEngine(options, {
    facts: ({ method, raw, headers }) => {
      const url = (raw.url ?? '/').replace(/^[a-z][\w+.-]*:\/\/[^/?#]*/i, '') || '/'; // an absolute-form target too
      return { method, url, path: url.split('?', 1)[0]!.replace(mount, '') || '/', header: nodeHeaderReader(headers), headers };
    },
    session: bound,
    detached,
    missingSessionWarning: MISSING_SESSION_WARNING,
    missingSessionError: 'idle-session: the request has no @fastify/session session. Register @fastify/cookie and @fastify/session before idle-session.',
  });
  const checkCookie = signInCookieWarnings({
    proxy: 'trustProxy (the number of proxies in front), and @fastify/session\'s cookie.secure: "auto" or true',
    persistent: 'idle-session: the session cookie has a Max-Age or Expires, so it outlives the browser. Leave cookie.maxAge and cookie.expires unset in @fastify/session.',
    secureOverHttp: 'idle-session: the session cookie is Secure but the request came over HTTP, so @fastify/session neither saves nor sends it. Use cookie.secure: "auto", and trustProxy behind a TLS-terminating proxy.',
  });

  // The endpoints are routes of that context, so that its hooks answer them under a prefix too (Fastify runs
  // a context's hooks for its own routes and its own not-found handler only); the onRequest hook answers.
  fastify.route({ method: fastify.supportedMethods.filter((name) => name !== 'HEAD'), url: `${engine.setup.resolved.prefix}/*`, handler: (_request, reply) => reply.callNotFound() });
  fastify.decorateRequest(RUNNING, null);
  fastify.decorateRequest(REPLY, null);
  fastify.addHook('onRequest', async (request, reply) => {
    (request as Held)[REPLY] = reply; // for signOut(request), which deletes the cookie
    const session = sessionOf(request);
    if (session && Object.keys(request.cookies).length > 0 && !sessionCookieName(request, session)) keepUnusableCookie(request, reply, session.cookie as never);
    const outcome = await engine.handle(request);
    if (outcome.action === 'respond') return send(reply, outcome.answer);
    if (outcome.action === 'fail') {
      reply.headers(outcome.headers);
      throw outcome.error;
    }
    const running = ((request as Held)[RUNNING] = outcome.running);
    if (!running) return;
    // @fastify/session saves in its onSend hook, before this plugin's: its save includes the request's last activity.
    const current = sessionOf(request)!;
    const save = current.save;
    override(current, 'save', (callback?: (error?: unknown) => void) => (running.finish(), save.call(current, callback)));
    // An answer written without onSend (an event stream on reply.raw): its activity is saved when its headers go out.
    onHeaders(reply.raw, () => void (running.finish() && sessionOf(request)?.save()?.catch(() => {})));
    reply.raw.once('close', () => (running.finish(), running.settled()));
  });
  fastify.addHook('onSend', async (request, reply, payload) => {
    if ((request as Held)[RUNNING]?.finish()) await sessionOf(request)?.save();
    dropsRepeatedCookie(request, reply); // as express-session: the session cookie only when it changes
    return payload;
  });

  const idle = { ...engine.methods } as FastifyIdleSession;
  idle.signIn = async (request, limits) => {
    await engine.signIn(request, limits);
    const cookie = sessionOf(request)!.cookie as { secure?: unknown; originalMaxAge?: unknown; expires?: unknown };
    checkCookie({ secure: cookie.secure === true, persistent: cookie.originalMaxAge != null || !!cookie.expires, https: request.protocol === 'https', header: nodeHeaderReader(request.headers) });
  };
  idle.signOut = async (request, { clearSiteData = false } = {}) => {
    const session = sessionOf(request);
    const name = session && sessionCookieName(request, session);
    // Deleted with the attributes it was set with (Secure, HttpOnly, SameSite, Path, Domain).
    const attributes = Object.fromEntries(['path', 'domain', 'secure', 'httpOnly', 'sameSite', 'partitioned'].map((key) => [key, (session?.cookie as Record<string, unknown> | undefined)?.[key] ?? undefined]));
    await engine.signOut(request);
    // @fastify/session leaves the dead cookie in the browser: delete it, as koa-session does.
    const reply = (request as Held)[REPLY];
    if (name) reply?.clearCookie(name, attributes);
    if (clearSiteData) reply?.header('Clear-Site-Data', CLEAR_SITE_DATA_CACHE);
  };
  idle.sessionSignal = (request) => {
    const { signal, stop } = engine.sessionSignal(request);
    (request as Held)[REPLY]?.raw.once('close', stop); // the answer's end (a request's own 'close' comes once its body is read)
    return signal as AbortSignal;
  };
  idle.requireSignIn = (guardOptions) =>
    async function requireSignIn(request, reply) {
      const answer = engine.guard(request, guardOptions);
      if (answer) return send(reply, answer);
    };
  fastify.decorate('idleSession', idle);
};

/**
 * The Fastify plugin for server-side idle and absolute session timeouts, on top of @fastify/session (Fastify 5),
 * wrapped with fastify-plugin: register it after @fastify/cookie and @fastify/session, and it applies to the
 * whole app. It serves `GET {prefix}/status` and `POST {prefix}/keepalive` (in an `onRequest` hook, so before
 * any body is read), records activity, ends expired sessions, and decorates the instance with
 * `fastify.idleSession` ({@link FastifyIdleSession}). The request flow is core's `createSessionEngine`.
 *
 * Options are validated at registration: an invalid one fails `register` with an `IdlePolicyError` (a
 * TypeError) naming it. Durations are in milliseconds. A `warnBefore` under 20 s prints a WCAG 2.2 SC 2.2.1
 * warning. Use `saveUninitialized: false` and `rolling: false` in @fastify/session, and leave its
 * `cookie.maxAge` unset so that closing the browser ends the session.
 *
 * @example
 * ```ts
 * await app.register(fastifyCookie);
 * await app.register(fastifySession, { secret, saveUninitialized: false, rolling: false, cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' } });
 * await app.register(idleSession, { idleTimeout: 15 * 60_000 });
 * app.get('/account', { preHandler: app.idleSession.requireSignIn() }, handler);
 * ```
 */
export const idleSession = fp(plugin, { fastify: '5.x', name: '@idle-session/fastify', dependencies: ['@fastify/cookie', '@fastify/session'] });
