import { fileURLToPath } from 'node:url';
import { idleSession, type ExpiryReason, type IdlePolicy } from '@idle-session/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { checkCredentials } from './accounts.js';
import type { DemoConfig } from './config.js';
import { errorPage, homePage, loginPage, ROUTES } from './pages.js';

interface DemoSession {
  user?: string;
  notes?: string;
}

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));
const elementBundle = fileURLToPath(import.meta.resolve('@idle-session/element/bundle'));

function demoSession(req: Request): DemoSession {
  return req.session as unknown as DemoSession;
}

/** A `?reason=` query value from the guard's redirect, accepted only if it is a known reason. */
function queryReason(req: Request): ExpiryReason | null {
  const reason = req.query.reason;
  return reason === 'idle' || reason === 'absolute' ? reason : null;
}

/**
 * The sample app on Express 5 with express-session's memory store: sign in as demo/demo, type notes,
 * leave it idle, see the warning and the expiry.
 */
export function createExpressApp(config: DemoConfig): { app: express.Express; policy: IdlePolicy } {
  const timeouts = { idleTimeoutMs: config.idleTimeoutMs, absoluteTimeoutMs: config.absoluteTimeoutMs };
  const idle = idleSession({
    idleTimeout: config.idleTimeoutMs,
    warnBefore: config.warnBeforeMs,
    absoluteTimeout: config.absoluteTimeoutMs,
    prefix: ROUTES.idleSession,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    res.set({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin', 'X-Frame-Options': 'DENY' });
    next();
  });
  app.get(ROUTES.element, (_req, res) => res.type('text/javascript').sendFile(elementBundle));
  app.use('/assets', express.static(publicDir, { index: false }));
  app.use(
    session({
      name: 'demo.sid',
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
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
    if (idle.state(req).state === 'active') return res.redirect(303, ROUTES.home);
    res.type('html').send(loginPage({ reason: idle.endedReason(req) ?? queryReason(req), timeouts }));
  });
  app.post(ROUTES.login, express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    if (!checkCredentials(username, password)) {
      const page = loginPage({
        reason: null,
        error: 'Incorrect username or password.',
        username: typeof username === 'string' ? username : '',
        timeouts,
      });
      return res.status(401).type('html').send(page);
    }
    await idle.signIn(req);
    demoSession(req).user = username as string;
    res.redirect(303, ROUTES.home);
  });
  app.post(ROUTES.logout, async (req, res) => {
    await idle.signOut(req);
    res.redirect(303, ROUTES.login);
  });
  app.get(ROUTES.home, idle.requireSignIn({ loginUrl: ROUTES.login }), (req, res) => {
    const { user = '', notes } = demoSession(req);
    res.type('html').send(homePage({ username: user, savedNotes: notes ?? null, timeouts }));
  });
  app.post(
    ROUTES.notes,
    idle.requireSignIn({ loginUrl: ROUTES.login }),
    express.urlencoded({ extended: false, limit: '256kb' }),
    (req, res) => {
      const notes = (req.body as Record<string, unknown> | undefined)?.notes;
      demoSession(req).notes = typeof notes === 'string' ? notes : '';
      res.redirect(303, ROUTES.home);
    },
  );
  app.use((_req, res) => {
    res.status(404).type('html').send(errorPage(404));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown })?.status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    if (code >= 500) console.error(error);
    res.status(code).type('html').send(errorPage(code));
  });
  return { app, policy: idle.policy };
}
