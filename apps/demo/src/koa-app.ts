import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { PassThrough } from 'node:stream';
import type { RequestListener } from 'node:http';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { idleSession, MemoryStore, NEXT_PARAM, safeNextPath, SessionEndedError, StoreUnavailableError, type IdlePolicy } from '@idle-session/koa';
import { RedisSessionState } from '@idle-session/redis';
import { idleSessionRedisStore } from '@idle-session/redis/koa';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import CSRF from 'koa-csrf';
import { checkCredentials } from './accounts.js';
import type { DemoConfig } from './config.js';
import type { DemoRedis } from './redis.js';
import { errorPage, homePage, knownLook, loginPage, notSavedMessage, ROUTES } from './pages.js';
import { ASSET_FILES, isDemoActivity, knownReason, streamClock, pageTimeouts, policyOptions, SECURITY_HEADERS, type DemoSession } from './shared.js';

function demoSession(ctx: Context): DemoSession {
  return ctx.session as unknown as DemoSession;
}

/**
 * The sample app on Koa 3 with koa-session: the same pages and behaviour as the Express server. Sessions
 * live in an in-memory store, or, given a Redis connection, in Redis (`@idle-session/redis/koa`), shared by every instance.
 */
export function createKoaApp(config: DemoConfig, redis: DemoRedis | null = null): { handler: RequestListener; policy: IdlePolicy; state: RedisSessionState | undefined } {
  const timeouts = pageTimeouts(config);
  const state = redis ? new RedisSessionState({ client: redis }) : undefined;
  const idle = idleSession({ ...policyOptions(config), shared: state, isActivity: (ctx) => isDemoActivity(ctx.path) });
  const store = redis && state ? idleSessionRedisStore({ state, policy: idle.policy }) : new MemoryStore();
  // Behind a TLS-terminating proxy (TRUST_PROXY=1), ctx.secure follows X-Forwarded-Proto, and the session
  // cookie (koa-session's secure option left unset, so it follows the request) gets Secure.
  const app = new Koa({ keys: [config.sessionSecret], proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  const router = new Router();
  const form = (limit: string) => bodyParser({ enableTypes: ['form'], formLimit: limit });

  app.use(async (ctx, next) => {
    ctx.set(SECURITY_HEADERS);
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
  app.use(async (ctx, next) => {
    const file = ctx.method === 'GET' ? ASSET_FILES[ctx.path] : undefined;
    if (!file) return next();
    ctx.type = extname(file);
    ctx.body = createReadStream(file);
  });
  // maxAge 'session': a browser-session cookie with no Expires or Max-Age, gone when the browser closes.
  app.use(session({ key: 'demo.sid', maxAge: 'session', httpOnly: true, sameSite: 'lax', store }, app));
  app.use(idle);
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get(ROUTES.login, (ctx) => {
    // Back to where the user was (the guard's ?next=), but only to a path of this site: never an open redirect.
    const next = safeNextPath(ctx.query[NEXT_PARAM]);
    if (idle.state(ctx).state === 'active') {
      ctx.status = 303;
      return ctx.redirect(next ?? ROUTES.home);
    }
    ctx.type = 'html';
    ctx.body = loginPage({ reason: idle.endedReason(ctx) ?? knownReason(ctx.query.reason), next, timeouts });
  });
  router.post(ROUTES.login, form('4kb'), async (ctx) => {
    const { username, password, [NEXT_PARAM]: sentNext } = (ctx.request.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(sentNext);
    if (!checkCredentials(username, password)) {
      const name = typeof username === 'string' ? username : '';
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage({ reason: null, error: 'Incorrect username or password.', username: name, next, timeouts });
      return;
    }
    await idle.signIn(ctx);
    demoSession(ctx).user = username as string;
    ctx.status = 303;
    ctx.redirect(next ?? ROUTES.home);
  });
  // CSRF protection (koa-csrf: a secret in the session, the token in the _csrf field or X-CSRF-Token),
  // always after the guard, so that a form posted after an expiry gets the expiry answer, never a bare 403.
  const csrf = new CSRF();
  const signedIn = idle.requireSignIn({ loginUrl: ROUTES.login });
  router.post(ROUTES.logout, signedIn, form('4kb'), csrf, async (ctx) => {
    await idle.signOut(ctx, { clearSiteData: true }); // Back and the back-forward cache cannot show a protected page afterwards
    ctx.status = 303;
    ctx.redirect(ROUTES.login);
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
  router.post(ROUTES.notes, signedIn, form('256kb'), csrf, async (ctx) => {
    const sent = (ctx.request.body as Record<string, unknown> | undefined)?.notes;
    const notes = typeof sent === 'string' ? sent : '';
    demoSession(ctx).notes = notes;
    try {
      await idle.confirmActive(ctx); // a slow upload is activity; a sign-out elsewhere meanwhile is not overruled
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
      const reason = error.reason === 'idle' || error.reason === 'absolute' ? error.reason : null;
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage({ reason, error: notSavedMessage(error.reason), unsaved: notes, timeouts });
      return;
    }
    ctx.status = 303;
    ctx.redirect(ROUTES.home);
  });
  app.use(router.routes());
  return { handler: app.callback(), policy: idle.policy, state };
}
