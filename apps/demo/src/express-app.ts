import type { RequestListener } from 'node:http';
import { idleSession, NEXT_PARAM, safeNextPath, SessionEndedError, sessionTtl, StoreUnavailableError, type IdlePolicy, preferSignedSessionCookie } from '@idle-session/express';
import { RedisSessionState } from '@idle-session/redis';
import { IdleSessionRedisStore } from '@idle-session/redis/express';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';
import helmet from 'helmet';
import { checkCredentials } from './accounts.js';
import { answerAsset } from './assets.js';
import type { DemoConfig } from './config.js';
import { expiringMemoryStore, type HoldingStore } from './memory-store.js';
import type { DemoRedis } from './redis.js';
import { errorPage, FORM_EXPIRED_MESSAGE, homePage, knownLook, loginPage, notSavedPage, ROUTES, tooManyAttemptsMessage } from './pages.js';
import { asClientError, HELMET_OPTIONS, sessionCookieName, unsupportedCharset } from './security.js';
import { isDemoActivity, knownReason, streamClock, pageTimeouts, policyOptions, writeAuditLine, type DemoSession } from './shared.js';
import { SignInThrottle } from './throttle.js';

function demoSession(req: Request): DemoSession {
  return req.session as unknown as DemoSession;
}

/** A form body parser (UTF-8 only, see `unsupportedCharset`) whose every failure is the client's error (4xx). */
function formBody(limit: string): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit });
  return (req, res, next) => {
    const refused = unsupportedCharset(req.get('content-type'));
    if (refused) return next(refused);
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : asClientError(error)));
  };
}

/**
 * The sample app on Express 5 with express-session: sign in as demo/demo, type notes, leave it idle, see
 * the warning and the expiry. Sessions live in memory (memorystore, which drops each session at its
 * deadline), or, given a Redis connection, in Redis (connect-redis), shared by every instance.
 */
/**
 * 303 See Other to `location`, with no body: the same answer as the Koa app's (Express's own `res.redirect`
 * adds a "Redirecting to" text whose type and `Vary` depend on `Accept`, and Koa's another).
 */
function seeOther(res: Response, location: string): void {
  res.location(location).status(303).set('Content-Length', '0').end();
}

export function createExpressApp(config: DemoConfig, redis: DemoRedis | null = null): { handler: RequestListener; policy: IdlePolicy; state: RedisSessionState | undefined } {
  const timeouts = pageTimeouts(config);
  const state = redis ? new RedisSessionState({ client: redis }) : undefined;
  const idle = idleSession({ ...policyOptions(config), shared: state, isActivity: (req) => isDemoActivity(req.path) });
  // Not express-session's MemoryStore, which keeps a session whose cookie has no expiry until the process
  // ends: memorystore, which drops each one at its deadline (sessionTtl), remembering why (see memory-store.ts).
  const newStore = () =>
    redis && state ? new IdleSessionRedisStore({ client: redis, state, policy: idle.policy }) : expiringMemoryStore(idle.policy, writeAuditLine);
  const throttle = new SignInThrottle();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // pages are never cached (Cache-Control: no-store), and assets carry their own ETag, as on Koa
  // Behind a TLS-terminating proxy (TRUST_PROXY=1), req.secure and req.ip follow X-Forwarded-Proto and X-Forwarded-For.
  if (config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  app.use(helmet(HELMET_OPTIONS)); // the same headers as koa-helmet on the Koa app; also removes X-Powered-By
  // Assets before the session: they never load or save one, and are never activity.
  app.use((req, res, next) => {
    const asset = answerAsset(req.method, req.path, req.get('if-none-match'));
    if (!asset) return next();
    res.status(asset.status).set(asset.headers).end(asset.body ?? undefined);
  });
  // The session cookie: __Host-demo.sid (Secure) over HTTPS, demo.sid over plain HTTP. One express-session
  // each, with a store object each: express-session gives its store the function that makes new sessions
  // (store.generate, used by regenerate() at sign-in), with its own cookie options.
  // No maxAge and no expires: a browser-session cookie, gone when the browser closes.
  const [overHttps, overHttp] = ([true, false] as const).map((secure) =>
    session({
      name: sessionCookieName(secure),
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      store: newStore(),
      cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
    }),
  ) as [RequestHandler, RequestHandler];
  // A planted second cookie of the session cookie's name (cookie tossing, over plain HTTP) must not hide the
  // real one: express-session reads only the first, so the one with a valid signature goes first.
  const [guardHttps, guardHttp] = ([true, false] as const).map((secure) =>
    preferSignedSessionCookie({ name: sessionCookieName(secure), secret: config.sessionSecret }),
  ) as [RequestHandler, RequestHandler];
  app.use((req, res, next) => (req.secure ? guardHttps : guardHttp)(req, res, next));
  app.use((req, res, next) => (req.secure ? overHttps : overHttp)(req, res, next));
  app.use(idle);
  // A request that counts as activity keeps its session in memory for as long as it runs (a slow upload).
  if (!redis) {
    app.use((req, res, next) => {
      const store = (req as Request & { sessionStore: HoldingStore }).sessionStore;
      if (idle.state(req).state === 'active' && isDemoActivity(req.path)) res.once('close', store.hold(req.sessionID, req.session));
      next();
    });
  }
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // CSRF protection (csrf-sync: a synchronizer token in the session) on every form: the sign-in form's token
  // is that of the browser's pre-session, made when the login page is shown (OWASP "Login CSRF"); signing
  // in replaces the session (a new id, against session fixation), and with it the token.
  const { csrfSynchronisedProtection: csrf, generateToken, isRequestValid } = csrfSync({
    getTokenFromRequest: (req) => {
      const field = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof field === 'string' ? field : req.get('x-csrf-token');
    },
  });
  /** The login page with this request's reason for the last session's end (kept after a failed attempt), and a token of its session. */
  const sendLoginPage = (req: Request, res: Response, status: number, options: { error?: string; username?: string; next?: string | null } = {}) => {
    const reason = idle.endedReason(req) ?? knownReason(req.query.reason);
    res.status(status).type('html').send(loginPage({ reason, timeouts, csrfToken: generateToken(req), ...options }));
  };

  app.get(ROUTES.login, (req, res) => {
    // Back to where the user was (the guard's ?next=), but only to a path of this site: never an open redirect.
    const next = safeNextPath(req.query[NEXT_PARAM]);
    if (idle.state(req).state === 'active') return seeOther(res, next ?? ROUTES.home);
    sendLoginPage(req, res, 200, { next });
  });
  app.post(ROUTES.login, formBody('4kb'), async (req, res) => {
    const { username, password, [NEXT_PARAM]: sentNext } = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(sentNext);
    const name = typeof username === 'string' ? username : '';
    // Not a bare 403: a stale form (the session it was made for ended, or was replaced by a sign-in in
    // another tab) gets the form again, with a fresh token.
    if (!isRequestValid(req)) return sendLoginPage(req, res, 403, { error: FORM_EXPIRED_MESSAGE, username: name, next });
    const attempt = await throttle.attempt(req.ip ?? '', username);
    if (!attempt.allowed) {
      res.set('Retry-After', String(attempt.retryAfterS));
      return sendLoginPage(req, res, 429, { error: tooManyAttemptsMessage(attempt.retryAfterS), username: name, next });
    }
    if (!checkCredentials(username, password)) return sendLoginPage(req, res, 401, { error: 'Incorrect username or password.', username: name, next });
    await attempt.succeeded();
    await idle.signIn(req);
    demoSession(req).user = username as string;
    seeOther(res, next ?? ROUTES.home);
  });
  // On the signed-in forms, the token check comes after the guard, so that a form posted after an expiry
  // gets the expiry answer, never a bare 403 (see the README).
  const signedIn = idle.requireSignIn({ loginUrl: ROUTES.login });
  app.post(ROUTES.logout, signedIn, formBody('4kb'), csrf, async (req, res) => {
    await idle.signOut(req, { clearSiteData: true }); // Back and the back-forward cache cannot show a protected page afterwards
    seeOther(res, ROUTES.login);
  });
  app.get(ROUTES.home, signedIn, (req, res) => {
    const { user = '', notes } = demoSession(req);
    const csrfToken = generateToken(req);
    res.type('html').send(homePage({ username: user, savedNotes: notes ?? null, timeouts, look: knownLook(req.query.look), csrfToken }));
  });
  app.get(ROUTES.clock, signedIn, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
    const stop = streamClock(idle.sessionSignal(req), (chunk) => res.write(chunk), (chunk) => res.end(chunk));
    res.on('close', stop);
  });
  app.post(ROUTES.notes, signedIn, formBody('256kb'), csrf, async (req, res) => {
    const sent = (req.body as Record<string, unknown> | undefined)?.notes;
    const notes = typeof sent === 'string' ? sent : '';
    demoSession(req).notes = notes;
    try {
      await idle.confirmActive(req); // a slow upload is activity; a sign-out elsewhere meanwhile is not overruled
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
      return void res.status(401).type('html').send(notSavedPage({ reason: error.reason, unsaved: notes, timeouts }));
    }
    seeOther(res, ROUTES.home);
  });
  app.use((_req, res) => {
    res.status(404).type('html').send(errorPage(404));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown })?.status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    // A store outage is reported once by the Redis client, not once per request.
    if (error instanceof StoreUnavailableError) res.set(error.headers);
    else if (code >= 500) console.error(error);
    res.status(code).type('html').send(errorPage(code));
  });
  return { handler: app, policy: idle.policy, state };
}
