import { PassThrough } from 'node:stream';
import type { RequestListener } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { idleSession, MemoryStore, NEXT_PARAM, safeExternalKey, safeNextPath, SessionEndedError, StoreUnavailableError, type IdlePolicy } from '@idle-session/koa';
import { RedisSessionState } from '@idle-session/redis';
import { idleSessionRedisStore } from '@idle-session/redis/koa';
import Koa, { type Context, type Middleware } from 'koa';
import session from 'koa-session';
import CSRF from 'koa-csrf';
import helmet from 'koa-helmet';
import { checkCredentials } from './accounts.js';
import { answerAsset } from './assets.js';
import type { DemoConfig } from './config.js';
import type { DemoRedis } from './redis.js';
import { errorPage, FORM_EXPIRED_MESSAGE, homePage, knownLook, loginPage, notSavedPage, ROUTES, tooManyAttemptsMessage } from './pages.js';
import { asClientError, HELMET_OPTIONS, sessionCookieName, unsupportedCharset } from './security.js';
import { isDemoActivity, knownReason, streamClock, pageTimeouts, policyOptions, writeAuditLine, type DemoSession } from './shared.js';
import { SignInThrottle } from './throttle.js';

function demoSession(ctx: Context): DemoSession {
  return ctx.session as unknown as DemoSession;
}

/** A form body parser (UTF-8 only, see `unsupportedCharset`) whose every failure is the client's error (4xx), as on Express. */
function formBody(limit: string): Middleware {
  const parse = bodyParser({ enableTypes: ['form'], formLimit: limit });
  return async (ctx, next) => {
    const refused = unsupportedCharset(ctx.get('content-type'));
    if (refused) throw refused;
    try {
      await parse(ctx, async () => {});
    } catch (error) {
      throw asClientError(error); // co-body lets zlib's errors (a corrupt gzip body) through without a status: a 500
    }
    await next();
  };
}

/**
 * The sample app on Koa 3 with koa-session: the same pages and behaviour as the Express server. Sessions
 * live in an in-memory store, or, given a Redis connection, in Redis (`@idle-session/redis/koa`), shared by every instance.
 */
/**
 * 303 See Other to `location`, with no body: the same answer as the Express app's (Koa's own
 * `ctx.redirect` writes a "Redirecting to" text).
 */
function seeOther(ctx: Context, location: string): void {
  ctx.redirect(location); // sets Location, encoded as Express's res.location() does
  ctx.body = null; // then no body (Koa answers 204 for a null body: the status is set again after)
  ctx.status = 303;
}

export function createKoaApp(config: DemoConfig, redis: DemoRedis | null = null): { handler: RequestListener; policy: IdlePolicy; state: RedisSessionState | undefined } {
  const timeouts = pageTimeouts(config);
  const state = redis ? new RedisSessionState({ client: redis }) : undefined;
  const idle = idleSession({ ...policyOptions(config), shared: state, isActivity: (ctx) => isDemoActivity(ctx.path) });
  // In memory, each session leaves the store at its deadline, remembering why, and its departure is logged
  // (@idle-session/koa's MemoryStore given the policy), as on the Express app.
  const memory = redis && state ? null : new MemoryStore({ policy: idle.policy, audit: writeAuditLine });
  const store = memory ?? idleSessionRedisStore({ state: state!, policy: idle.policy });
  const throttle = new SignInThrottle();
  // Behind a TLS-terminating proxy (TRUST_PROXY=1), ctx.secure and ctx.ip follow X-Forwarded-Proto and
  // X-Forwarded-For, and the session cookie (koa-session's secure option left unset, so it follows the request) gets Secure.
  const app = new Koa({ keys: [config.sessionSecret], proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  const router = new Router();

  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        ctx.status = 404;
        ctx.type = 'html';
        ctx.body = errorPage(404);
      }
    } catch (error) {
      const status = (error as { status?: unknown })?.status;
      const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
      // A store outage is reported once by the Redis client, not once per request.
      if (error instanceof StoreUnavailableError) ctx.set(error.headers);
      else if (code >= 500) console.error(error);
      ctx.status = code;
      ctx.type = 'html';
      ctx.body = errorPage(code);
    }
  });
  app.use(helmet(HELMET_OPTIONS)); // the same headers as helmet on the Express app
  // Assets before the session: they never load or save one, and are never activity.
  app.use(async (ctx, next) => {
    const asset = answerAsset(ctx.method, ctx.path, ctx.get('if-none-match') || undefined);
    if (!asset) return next();
    ctx.status = asset.status;
    ctx.set(asset.headers);
    ctx.body = asset.body;
  });
  // maxAge 'session': a browser-session cookie with no Expires or Max-Age, gone when the browser closes.
  // safeExternalKey: a planted second cookie of the same name never hides or deletes the real one.
  const sessions = session({ key: sessionCookieName(false), maxAge: 'session', httpOnly: true, sameSite: 'lax', store, externalKey: safeExternalKey() }, app);
  // The session cookie: __Host-demo.sid (Secure) over HTTPS, demo.sid over plain HTTP. koa-session keeps a
  // copy of its options for each request (ctx.sessionOptions) and reads the cookie's name from it.
  app.use(async (ctx, next) => {
    (ctx as unknown as { sessionOptions: { key: string } }).sessionOptions.key = sessionCookieName(ctx.secure);
    await next();
  });
  app.use(sessions);
  app.use(idle);
  // (A request that counts as activity keeps its session in the memory store while it runs: the adapter
  // holds it through the store's idleSessionHold, so a slow upload never loses its session.)
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  // CSRF protection (koa-csrf: a secret in the session, the token in the _csrf field or X-CSRF-Token) on
  // every form: the sign-in form's token is that of the browser's pre-session, made when the login page is
  // shown (OWASP "Login CSRF"); signing in replaces the session (a new key, against session fixation), and with it the secret.
  const csrf = new CSRF({ disableQuery: true }); // never a token in a URL (logs, Referer)
  /** The login page with this request's reason for the last session's end (kept after a failed attempt), and a token of its session. */
  const sendLoginPage = (ctx: Context, status: number, options: { error?: string; username?: string; next?: string | null } = {}) => {
    ctx.status = status;
    ctx.type = 'html';
    const reason = idle.endedReason(ctx) ?? knownReason(ctx.query.reason);
    ctx.body = loginPage({ reason, timeouts, csrfToken: ctx.state._csrf, ...options });
  };
  const fields = (ctx: Context) => {
    const { username, password, [NEXT_PARAM]: sentNext } = (ctx.request.body ?? {}) as Record<string, unknown>;
    return { username, password, name: typeof username === 'string' ? username : '', next: safeNextPath(sentNext) };
  };
  // Not a bare 403: a stale form (the session it was made for ended, or was replaced by a sign-in in
  // another tab) gets the form again, with a fresh token.
  const loginCsrf = new CSRF({
    disableQuery: true,
    errorHandler: (ctx) => {
      const { name, next } = fields(ctx);
      sendLoginPage(ctx, 403, { error: FORM_EXPIRED_MESSAGE, username: name, next });
      return undefined as never; // koa-csrf ends the request here (its types expect the default handler's throw)
    },
  });

  router.get(ROUTES.login, loginCsrf, (ctx) => {
    // Back to where the user was (the guard's ?next=), but only to a path of this site: never an open redirect.
    const next = safeNextPath(ctx.query[NEXT_PARAM]);
    if (idle.state(ctx).state === 'active') {
      return seeOther(ctx, next ?? ROUTES.home);
    }
    sendLoginPage(ctx, 200, { next });
  });
  router.post(ROUTES.login, formBody('4kb'), loginCsrf, async (ctx) => {
    const { username, password, name, next } = fields(ctx);
    const attempt = await throttle.attempt(ctx.ip, username);
    if (!attempt.allowed) {
      ctx.set('Retry-After', String(attempt.retryAfterS));
      return sendLoginPage(ctx, 429, { error: tooManyAttemptsMessage(attempt.retryAfterS), username: name, next });
    }
    if (!checkCredentials(username, password)) return sendLoginPage(ctx, 401, { error: 'Incorrect username or password.', username: name, next });
    await attempt.succeeded();
    await idle.signIn(ctx);
    demoSession(ctx).user = username as string;
    seeOther(ctx, next ?? ROUTES.home);
  });
  // On the signed-in forms, the token check comes after the guard, so that a form posted after an expiry
  // gets the expiry answer, never a bare 403.
  const signedIn = idle.requireSignIn({ loginUrl: ROUTES.login });
  router.post(ROUTES.logout, signedIn, formBody('4kb'), csrf, async (ctx) => {
    await idle.signOut(ctx, { clearSiteData: true }); // Back and the back-forward cache cannot show a protected page afterwards
    seeOther(ctx, ROUTES.login);
  });
  router.get(ROUTES.home, signedIn, csrf, (ctx) => {
    const { user = '', notes } = demoSession(ctx);
    ctx.type = 'html';
    ctx.body = homePage({ username: user, savedNotes: notes ?? null, timeouts, look: knownLook(ctx.query.look), csrfToken: ctx.state._csrf });
  });
  router.get(ROUTES.clock, signedIn, (ctx) => {
    const body = new PassThrough();
    ctx.type = 'text/event-stream';
    ctx.body = body;
    const stop = streamClock(idle.sessionSignal(ctx), (chunk) => body.write(chunk), (chunk) => body.end(chunk));
    ctx.res.on('close', stop);
  });
  router.post(ROUTES.notes, signedIn, formBody('256kb'), csrf, async (ctx) => {
    const sent = (ctx.request.body as Record<string, unknown> | undefined)?.notes;
    const notes = typeof sent === 'string' ? sent : '';
    demoSession(ctx).notes = notes;
    try {
      await idle.confirmActive(ctx); // a slow upload is activity; a sign-out elsewhere meanwhile is not overruled
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = notSavedPage({ reason: error.reason, unsaved: notes, timeouts });
      return;
    }
    seeOther(ctx, ROUTES.home);
  });
  app.use(router.routes());
  return { handler: app.callback(), policy: idle.policy, state };
}
