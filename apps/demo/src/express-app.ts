import type { RequestListener } from 'node:http';
import { idleSession, NEXT_PARAM, safeNextPath, SessionEndedError, StoreUnavailableError, type IdlePolicy } from '@idle-session/express';
import { RedisSessionState } from '@idle-session/redis';
import { IdleSessionRedisStore } from '@idle-session/redis/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';
import { checkCredentials } from './accounts.js';
import type { DemoConfig } from './config.js';
import type { DemoRedis } from './redis.js';
import { errorPage, homePage, knownLook, loginPage, notSavedMessage, ROUTES } from './pages.js';
import { ASSET_FILES, isDemoActivity, knownReason, streamClock, pageTimeouts, policyOptions, SECURITY_HEADERS, type DemoSession } from './shared.js';

function demoSession(req: Request): DemoSession {
  return req.session as unknown as DemoSession;
}

/**
 * The sample app on Express 5 with express-session: sign in as demo/demo, type notes, leave it idle, see
 * the warning and the expiry. Sessions live in express-session's memory store, or, given a Redis
 * connection, in Redis (connect-redis), shared by every instance.
 */
export function createExpressApp(config: DemoConfig, redis: DemoRedis | null = null): { handler: RequestListener; policy: IdlePolicy; state: RedisSessionState | undefined } {
  const timeouts = pageTimeouts(config);
  const state = redis ? new RedisSessionState({ client: redis }) : undefined;
  const idle = idleSession({ ...policyOptions(config), shared: state, isActivity: (req) => isDemoActivity(req.path) });
  const store = redis && state ? new IdleSessionRedisStore({ client: redis, state, policy: idle.policy }) : undefined;
  const app = express();
  app.disable('x-powered-by');
  // Behind a TLS-terminating proxy (TRUST_PROXY=1), req.secure follows X-Forwarded-Proto, and the cookie below gets Secure.
  if (config.trustProxy > 0) app.set('trust proxy', config.trustProxy);
  app.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  for (const [path, file] of Object.entries(ASSET_FILES)) app.get(path, (_req, res) => res.sendFile(file));
  app.use(
    session({
      name: 'demo.sid',
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      store, // undefined: express-session's MemoryStore
      // No maxAge and no expires: a browser-session cookie, gone when the browser closes.
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
    }),
  );
  app.use(idle);
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.get(ROUTES.login, (req, res) => {
    // Back to where the user was (the guard's ?next=), but only to a path of this site: never an open redirect.
    const next = safeNextPath(req.query[NEXT_PARAM]);
    if (idle.state(req).state === 'active') return res.redirect(303, next ?? ROUTES.home);
    res.type('html').send(loginPage({ reason: idle.endedReason(req) ?? knownReason(req.query.reason), next, timeouts }));
  });
  app.post(ROUTES.login, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const { username, password, [NEXT_PARAM]: sentNext } = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(sentNext);
    if (!checkCredentials(username, password)) {
      const name = typeof username === 'string' ? username : '';
      return res.status(401).type('html').send(loginPage({ reason: null, error: 'Incorrect username or password.', username: name, next, timeouts }));
    }
    await idle.signIn(req);
    demoSession(req).user = username as string;
    res.redirect(303, next ?? ROUTES.home);
  });
  // CSRF protection (csrf-sync: a synchronizer token in the session), always after the guard, so that a
  // form posted after an expiry gets the expiry answer, never a bare 403 (see the README).
  const { csrfSynchronisedProtection: csrf, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const field = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof field === 'string' ? field : req.get('x-csrf-token');
    },
  });
  const signedIn = idle.requireSignIn({ loginUrl: ROUTES.login });
  app.post(ROUTES.logout, signedIn, express.urlencoded({ extended: false, limit: '4kb' }), csrf, async (req, res) => {
    await idle.signOut(req, { clearSiteData: true }); // Back and the back-forward cache cannot show a protected page afterwards
    res.redirect(303, ROUTES.login);
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
  app.post(ROUTES.notes, signedIn, express.urlencoded({ extended: false, limit: '256kb' }), csrf, async (req, res) => {
    const sent = (req.body as Record<string, unknown> | undefined)?.notes;
    const notes = typeof sent === 'string' ? sent : '';
    demoSession(req).notes = notes;
    try {
      await idle.confirmActive(req); // a slow upload is activity; a sign-out elsewhere meanwhile is not overruled
    } catch (error) {
      if (!(error instanceof SessionEndedError)) throw error;
      const reason = error.reason === 'idle' || error.reason === 'absolute' ? error.reason : null;
      return void res.status(401).type('html').send(loginPage({ reason, error: notSavedMessage(error.reason), unsaved: notes, timeouts }));
    }
    res.redirect(303, ROUTES.home);
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
