import { createHash } from 'node:crypto';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifySession from '@fastify/session';
import { createPolicy, idleSession, NEXT_PARAM, preferSignedSessionCookie, safeNextPath, SessionEndedError, StoreUnavailableError, type IdlePolicy } from '@idle-session/fastify';
import { RedisSessionState } from '@idle-session/redis';
import { IdleSessionRedisStore } from '@idle-session/redis/express';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type preParsingAsyncHookHandler } from 'fastify';
import type { SessionData } from 'express-session';
import { checkCredentials } from './accounts.js';
import { answerAsset } from './assets.js';
import type { DemoConfig } from './config.js';
import { expiringMemoryStore } from './memory-store.js';
import type { DemoRedis } from './redis.js';
import { errorPage, FORM_EXPIRED_MESSAGE, homePage, knownLook, loginPage, notSavedPage, ROUTES, tooManyAttemptsMessage } from './pages.js';
import { asClientError, HELMET_OPTIONS, sessionCookieName, unsupportedCharset } from './security.js';
import { isDemoActivity, knownReason, pageTimeouts, policyOptions, streamClock, writeAuditLine, type DemoSession } from './shared.js';
import { SignInThrottle } from './throttle.js';

function demoSession(request: FastifyRequest): DemoSession {
  return request.session as unknown as DemoSession;
}

/** The request's path, as Express's `req.path` and Koa's `ctx.path` give it: the URL without its query, not decoded. */
function pathOf(request: FastifyRequest): string {
  return request.url.split('?', 1)[0]!;
}

const HTML = 'text/html; charset=utf-8';

/** The decompressors of the `Content-Encoding`s a form may come in: those Express's body-parser reads (and `identity`). */
const DECODERS: Readonly<Record<string, () => Transform>> = { gzip: createGunzip, deflate: createInflate, br: createBrotliDecompress };

/**
 * The body of a form request as @fastify/formbody should read it: decompressed as its `Content-Encoding` says,
 * as Express's and Koa's body parsers do (Fastify reads the bytes as they come). An unknown encoding is a
 * `415`; a body that cannot be decompressed fails as it is read, a `400` (Fastify's status for a stream
 * error). The route's `bodyLimit` counts the decompressed bytes (a zip bomb is a `413`), and the stream
 * tells Fastify how many bytes came in (`receivedEncodedLength`), to compare with `Content-Length`.
 */
function decoded(payload: Readable, encoding: string | undefined): Readable {
  const name = (encoding ?? 'identity').trim().toLowerCase() || 'identity';
  if (name === 'identity') return payload;
  const decoder = DECODERS[name];
  if (!decoder) throw Object.assign(new Error(`unsupported content encoding "${name.slice(0, 40)}"`), { statusCode: 415, status: 415, expose: true });
  const stream = decoder();
  let received = 0;
  payload.on('data', (chunk: Buffer) => (received += chunk.length));
  Object.defineProperty(stream, 'receivedEncodedLength', { get: () => received });
  payload.once('error', (error) => stream.destroy(error));
  // Not stream.pipeline(): on a corrupt body it would destroy the request, and with it the connection the
  // answer goes out on. The rest of the body is read and dropped instead, as Express's body-parser does.
  stream.once('error', () => {
    payload.unpipe(stream);
    payload.resume();
  });
  return payload.pipe(stream);
}

/** Whether a `Content-Type` names a URL-encoded form, the only bodies the app reads. */
function isForm(contentType: string | undefined): boolean {
  return /^\s*application\/x-www-form-urlencoded\s*(?:;|$)/i.test(contentType ?? '');
}

/**
 * The `preParsing` hook of the routes that read a form: forms are read in UTF-8 only (any other charset is
 * a `415`, see `unsupportedCharset`), and decompressed as sent (see {@link decoded}). Other bodies are never
 * read (the catch-all parser leaves them), as on Express and Koa.
 */
const readForm: preParsingAsyncHookHandler = async (request, _reply, payload) => {
  const refused = unsupportedCharset(request.headers['content-type']);
  if (refused) throw Object.assign(refused, { statusCode: refused.status });
  return isForm(request.headers['content-type']) ? decoded(payload, request.headers['content-encoding']) : payload;
};

/** The form fields a route got (`undefined` when it got none). */
function fieldsOf(request: FastifyRequest): Record<string, unknown> {
  return (request.body ?? {}) as Record<string, unknown>;
}

/**
 * 303 See Other to `location`, with no body: the same answer as the Express and Koa apps' (Fastify's
 * `reply.redirect` sends no body, and `Content-Length: 0`).
 */
function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.redirect(location, 303);
}

/** The error page for `error`, with its own 4xx status (or 503 with `Retry-After` for a store outage), else 500. */
function sendError(error: unknown, reply: FastifyReply): FastifyReply {
  const given = (error as { statusCode?: unknown; status?: unknown } | null)?.statusCode ?? (error as { status?: unknown } | null)?.status;
  const code = typeof given === 'number' && given >= 400 && given < 600 ? given : 500;
  // A store outage is reported once by the Redis client, not once per request.
  if (error instanceof StoreUnavailableError) reply.headers(error.headers);
  else if (code >= 500) console.error(error);
  return reply.code(code).type(HTML).send(errorPage(code));
}

/**
 * Whether a request came over HTTPS, as Fastify's `request.protocol` says with the app's `trustProxy`: the
 * last `X-Forwarded-Proto` value when the proxy in front is trusted (TRUST_PROXY of 1 or more), else the socket.
 */
function overHttps(req: IncomingMessage, trustProxy: number): boolean {
  const forwarded = req.headers['x-forwarded-proto'];
  if (trustProxy > 0 && typeof forwarded === 'string' && forwarded !== '') return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim() === 'https';
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

/**
 * The secret @fastify/session signs cookies with: it refuses one under 32 characters, so a shorter
 * SESSION_SECRET (the Express and Koa apps take any) is given as its SHA-256 in hex, the same on every
 * instance (no stronger than the secret itself: give a long random one in production).
 */
function sessionSecret(secret: string): string {
  return secret.length >= 32 ? secret : createHash('sha256').update(secret).digest('hex');
}

/** What both of the app's Fastify instances share (see {@link createFastifyApp}). */
interface Shared {
  config: DemoConfig;
  redis: DemoRedis | null;
  state: RedisSessionState | undefined;
  policy: IdlePolicy;
  throttle: SignInThrottle;
}

/**
 * One Fastify instance of the sample app, whose session cookie is `__Host-demo.sid` with `Secure` (`secure`)
 * or `demo.sid` (plain HTTP). @fastify/session takes one cookie name for the whole instance, where Express
 * chooses its express-session per request, so the app is built twice (see {@link createFastifyApp}).
 */
async function createInstance(secure: boolean, { config, redis, state, policy, throttle }: Shared): Promise<FastifyInstance> {
  const timeouts = pageTimeouts(config);
  const app = Fastify({
    // Behind a TLS-terminating proxy (TRUST_PROXY=1), request.protocol and request.ip follow X-Forwarded-Proto and X-Forwarded-For.
    trustProxy: config.trustProxy > 0 ? (_address: string, hop: number) => hop < config.trustProxy : false,
    routerOptions: {
      // Routes match without letter case and with one trailing slash, as on Express and Koa.
      caseSensitive: false,
      ignoreTrailingSlash: true,
      // A path that cannot be percent-decoded (/%E0%A4%A) is a 404 through the app's hooks, as on Express and
      // Koa, not Fastify's bare 400 without the security headers: with no onBadUrl the router takes it as unknown.
      onBadUrl: undefined,
    },
  });
  app.setErrorHandler((error, _request, reply) => sendError(error, reply));
  app.setNotFoundHandler((_request, reply) => reply.code(404).type(HTML).send(errorPage(404)));

  await app.register(fastifyHelmet, HELMET_OPTIONS); // the same headers as helmet on Express and koa-helmet on Koa
  // Assets before the session: they never load or save one, and are never activity.
  app.addHook('onRequest', async (request, reply) => {
    const asset = answerAsset(request.method, pathOf(request), request.headers['if-none-match']);
    if (!asset) return;
    return reply.code(asset.status).headers(asset.headers).send(asset.body ?? undefined);
  });

  // Forms only (UTF-8, decompressed by readForm, at most each route's bodyLimit): any other body is left
  // unread, as Express's and Koa's form parsers leave it (Fastify would read JSON and refuse other types with 415).
  app.removeAllContentTypeParsers();
  await app.register(fastifyFormbody);
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  // Not @fastify/session's own store, which keeps a session whose cookie has no expiry until the process
  // ends: memorystore, which drops each one at its deadline (sessionTtl), remembering why (see memory-store.ts),
  // as on the Express app; @fastify/session takes express-session's stores. Or Redis, shared by every instance.
  const memory = redis && state ? null : expiringMemoryStore(policy, writeAuditLine);
  const store = memory ?? new IdleSessionRedisStore({ client: redis!, state: state!, policy });
  await app.register(fastifyCookie);
  // A planted second cookie of the session cookie's name (a sibling subdomain's, or one with a longer path)
  // never hides the real session: the signed one is the one @fastify/session reads.
  await app.register(preferSignedSessionCookie, { cookieName: sessionCookieName(secure), secret: sessionSecret(config.sessionSecret) });
  // The session cookie: __Host-demo.sid (Secure) over HTTPS, demo.sid over plain HTTP. No maxAge and no
  // expires: a browser-session cookie, gone when the browser closes. saveUninitialized and rolling off:
  // anonymous visitors get no session until the login page makes one, and a session is written when it changes.
  await app.register(fastifySession, {
    cookieName: sessionCookieName(secure),
    secret: sessionSecret(config.sessionSecret),
    store,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
  });
  await app.register(idleSession, { ...policyOptions(config), shared: state, isActivity: (request) => isDemoActivity(pathOf(request)) });
  const idle = app.idleSession;
  // A request that counts as activity keeps its session in memory for as long as it runs (a slow upload), as on Express.
  if (memory) {
    app.addHook('onRequest', async (request, reply) => {
      if (idle.state(request).state !== 'active' || !isDemoActivity(pathOf(request))) return;
      const session = request.session as unknown as SessionData & { sessionId: string };
      reply.raw.once('close', memory.hold(session.sessionId, session));
    });
  }
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
  });

  // CSRF protection (@fastify/csrf-protection: a secret in the session, the token in the _csrf field or
  // X-CSRF-Token) on every form: the sign-in form's token is that of the browser's pre-session, made when
  // the login page is shown (OWASP "Login CSRF"); signing in replaces the session (a new id, against session
  // fixation), and with it the secret. Never a token in a URL (logs, Referer).
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/session',
    getToken: (request) => {
      const field = (request.body as Record<string, unknown> | undefined)?._csrf;
      const header = request.headers['x-csrf-token'];
      return typeof field === 'string' ? field : typeof header === 'string' ? header : undefined;
    },
  });
  /** The login page with this request's reason for the last session's end (kept after a failed attempt), and a token of its session. */
  const sendLoginPage = (request: FastifyRequest, reply: FastifyReply, status: number, options: { error?: string; username?: string; next?: string | null } = {}) => {
    const reason = idle.endedReason(request) ?? knownReason((request.query as Record<string, unknown>).reason);
    return reply.code(status).type(HTML).send(loginPage({ reason, timeouts, csrfToken: reply.generateCsrf(), ...options }));
  };
  const loginFields = (request: FastifyRequest) => {
    const { username, password, [NEXT_PARAM]: sentNext } = fieldsOf(request);
    return { username, password, name: typeof username === 'string' ? username : '', next: safeNextPath(sentNext) };
  };

  app.get(ROUTES.login, async (request, reply) => {
    // Back to where the user was (the guard's ?next=), but only to a path of this site: never an open redirect.
    const next = safeNextPath((request.query as Record<string, unknown>)[NEXT_PARAM]);
    if (idle.state(request).state === 'active') return seeOther(reply, next ?? ROUTES.home);
    return sendLoginPage(request, reply, 200, { next });
  });
  app.post(
    ROUTES.login,
    {
      bodyLimit: 4 * 1024,
      preParsing: readForm,
      preHandler: app.csrfProtection,
      // Not a bare 403: a stale form (the session it was made for ended, or was replaced by a sign-in in
      // another tab) gets the form again, with a fresh token.
      errorHandler: (error: FastifyError, request, reply) => {
        if (error.code !== 'FST_CSRF_INVALID_TOKEN' && error.code !== 'FST_CSRF_MISSING_SECRET') return sendError(error, reply);
        const { name, next } = loginFields(request);
        return sendLoginPage(request, reply, 403, { error: FORM_EXPIRED_MESSAGE, username: name, next });
      },
    },
    async (request, reply) => {
      const { username, password, name, next } = loginFields(request);
      const attempt = await throttle.attempt(request.ip, username);
      if (!attempt.allowed) {
        reply.header('Retry-After', String(attempt.retryAfterS));
        return sendLoginPage(request, reply, 429, { error: tooManyAttemptsMessage(attempt.retryAfterS), username: name, next });
      }
      if (!checkCredentials(username, password)) return sendLoginPage(request, reply, 401, { error: 'Incorrect username or password.', username: name, next });
      await attempt.succeeded();
      await idle.signIn(request);
      demoSession(request).user = username as string;
      return seeOther(reply, next ?? ROUTES.home);
    },
  );
  // The guard answers in onRequest, before the body is read: a form posted after an expiry (or in a charset
  // the app does not read) gets the expiry answer, never a bare 403 or a 415, as on Express and Koa, where
  // the body parser and the token check come after the guard.
  const signedIn = idle.requireSignIn({ loginUrl: ROUTES.login });
  app.post(ROUTES.logout, { onRequest: signedIn, bodyLimit: 4 * 1024, preParsing: readForm, preHandler: app.csrfProtection }, async (request, reply) => {
    await idle.signOut(request, { clearSiteData: true }); // Back and the back-forward cache cannot show a protected page afterwards
    return seeOther(reply, ROUTES.login);
  });
  app.get(ROUTES.home, { onRequest: signedIn }, async (request, reply) => {
    const { user = '', notes } = demoSession(request);
    const csrfToken = reply.generateCsrf();
    return reply.type(HTML).send(homePage({ username: user, savedNotes: notes ?? null, timeouts, look: knownLook((request.query as Record<string, unknown>).look), csrfToken }));
  });
  app.get(ROUTES.clock, { onRequest: signedIn }, (request, reply) => {
    reply.hijack(); // an event stream, written on the Node response as on Express
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    const stop = streamClock(idle.sessionSignal(request), (chunk) => reply.raw.write(chunk), (chunk) => reply.raw.end(chunk));
    reply.raw.on('close', stop);
  });
  app.post(ROUTES.notes, { onRequest: signedIn, bodyLimit: 256 * 1024, preParsing: readForm, preHandler: app.csrfProtection }, async (request, reply) => {
    const sent = fieldsOf(request).notes;
    const notes = typeof sent === 'string' ? sent : '';
    demoSession(request).notes = notes;
    try {
      await idle.confirmActive(request); // a slow upload is activity; a sign-out elsewhere meanwhile is not overruled
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
      return reply.code(401).type(HTML).send(notSavedPage({ reason: error.reason, unsaved: notes, timeouts }));
    }
    return seeOther(reply, ROUTES.home);
  });
  await app.ready();
  return app;
}

/**
 * The sample app on Fastify 5 with @fastify/session and `@idle-session/fastify`: the same pages and
 * behaviour as the Express and Koa servers. Sessions live in memory (memorystore, which drops each session
 * at its deadline), or, given a Redis connection, in Redis (`@idle-session/redis/express`'s store, which
 * @fastify/session takes as it is), shared by every instance.
 *
 * Two Fastify instances answer: one for requests over HTTPS, whose session cookie is `__Host-demo.sid` with
 * `Secure`, one for plain HTTP (`demo.sid`), as the Express app has one express-session for each. Each has
 * its own store object; the throttle, the policy and Redis are shared.
 */
export async function createFastifyApp(
  config: DemoConfig,
  redis: DemoRedis | null = null,
): Promise<{ handler: RequestListener; policy: IdlePolicy; state: RedisSessionState | undefined }> {
  const { idleTimeout, warnBefore, absoluteTimeout } = policyOptions(config);
  // Validated before anything is registered: an invalid option is an IdlePolicyError naming it, as on Express and Koa.
  const policy = createPolicy({ idleTimeout, warnBefore, absoluteTimeout });
  const state = redis ? new RedisSessionState({ client: redis }) : undefined;
  const shared: Shared = { config, redis, state, policy, throttle: new SignInThrottle() };
  const [overHttpsApp, overHttpApp] = await Promise.all([createInstance(true, shared), createInstance(false, shared)]);
  const handler: RequestListener = (req, res) => (overHttps(req, config.trustProxy) ? overHttpsApp : overHttpApp).routing(req, res);
  return { handler, policy: overHttpApp.idleSession.policy, state };
}
