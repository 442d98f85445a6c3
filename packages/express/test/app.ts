import type { AddressInfo } from 'node:net';
import { answerCaught, limitsFromQuery, SlowRequests, type HarnessOptions, type RunningApp } from '@idle-session/adapter-contract';
import { SESSION_KEY, SessionEndedError, type ActivityHandle, type SharedEndings } from '@idle-session/core';
import express5, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import session, { type Store } from 'express-session';
import { csrfSync } from 'csrf-sync';
import { idleSession, type IdleSessionMiddleware } from '../src/index.js';

/** Express 5 (`express`) or Express 4 (`express4`, an alias of express@4): the parts the test app uses. */
export type ExpressModule = typeof express5;

/** What one instance of the test app runs on; the defaults make a lone instance on express-session's MemoryStore. */
export interface ExpressAppSetup {
  express?: ExpressModule;
  /** The session store, made once the adapter exists (default: a MemoryStore). */
  store?: (idle: IdleSessionMiddleware) => Store;
  /** The adapter's `shared` option. */
  shared?: SharedEndings;
  /** Shared by every instance of one app, so `waiting` and `release` reach a slow request on any instance. */
  slow?: SlowRequests;
  /** Counts the session writes of every instance of one app (default: the calls of the store's `set`). */
  countWrites?: () => number;
}

/**
 * Writes a JSON answer of the app's own as every test app does (see `AdapterTarget`): no ETag (Express's
 * `res.json` would add one; Koa adds none), so that whatever differs between adapters is the adapter's.
 */
function json(res: Response, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.status(status).set({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** The error answer of every test app: the error's status and headers, and `{"error": status}`. */
const answerError: ErrorRequestHandler = (error: { status?: unknown; statusCode?: unknown; expose?: unknown; headers?: unknown }, _req, res, next) => {
  if (res.headersSent) return next(error);
  const given = Number(error?.status ?? error?.statusCode);
  const status = Number.isInteger(given) && given >= 400 && given < 600 ? given : 500;
  if (status >= 500 && error?.expose !== true) console.error(error);
  if (error?.headers && typeof error.headers === 'object') res.set(error.headers as Record<string, string>);
  json(res, { error: status }, status);
};

/** Starts the contract suite's test app on Express with express-session (by default on its MemoryStore). */
export async function startExpressApp(options: HarnessOptions, setup: ExpressAppSetup = {}): Promise<RunningApp> {
  const express = setup.express ?? express5;
  const app = express();
  app.disable('x-powered-by'); // as most apps do (helmet): Koa sends no such header
  const { basePath, trustProxy, secureCookie, ...adapterOptions } = options;
  if (trustProxy) app.set('trust proxy', 1);
  const secure = secureCookie === 'always' ? true : secureCookie === 'auto' ? ('auto' as const) : undefined;
  const idle = idleSession({ ...adapterOptions, shared: setup.shared, isActivity: (req) => req.path !== '/background' && req.query.background !== '1' });
  const store = setup.store?.(idle) ?? new session.MemoryStore();
  let calls = 0;
  const set = store.set.bind(store);
  store.set = (...args: Parameters<typeof set>) => {
    calls++;
    return set(...args);
  };
  const countWrites = setup.countWrites ?? (() => calls);
  app.use(session({ secret: 'contract-test', resave: false, saveUninitialized: false, store, cookie: { httpOnly: true, sameSite: 'lax', secure } }));
  app.use(idle);
  const slow = setup.slow ?? new SlowRequests();
  /** Runs a route's work; the per-session routes' errors as `answerCaught` says, any other to the error handler (Express 4 too). */
  const caught =
    (work: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    (req, res, next) => {
      work(req, res).catch((error: unknown) => {
        const answer = answerCaught(error);
        if (answer) json(res, answer.body, answer.status);
        else next(error);
      });
    };
  app.post(
    '/sign-in',
    caught(async (req, res) => {
      await idle.signIn(req, limitsFromQuery(req.query as Record<string, unknown>));
      Object.assign(req.session, { user: 'demo', profile: { visits: 0 } });
      json(res, { ok: true });
    }),
  );
  app.post(
    '/limits',
    caught(async (req, res) => {
      await idle.setLimits(req, limitsFromQuery(req.query as Record<string, unknown>) ?? {}, req.query.longer === '1' ? { allowLonger: true } : undefined);
      json(res, { ok: true });
    }),
  );
  app.post(
    '/activity',
    caught(async (req, res) => {
      const { idleRemainingMs } = await idle.recordActivity(req);
      json(res, { ok: true, idleRemainingMs });
    }),
  );
  app.post('/handle', (req, res) => {
    const handle = idle.activityHandle(req);
    slow.handles.set(String(req.query.id), handle);
    json(res, { sessionId: handle.sessionId });
  });
  app.post(
    '/handle-touch',
    caught(async (req, res) => {
      const { idleRemainingMs } = await (slow.handles.get(String(req.query.id)) as ActivityHandle).touch();
      json(res, { ok: true, idleRemainingMs });
    }),
  );
  app.post('/sign-out', async (req, res) => {
    await idle.signOut(req, { clearSiteData: req.query.clear === '1' });
    json(res, { ok: true });
  });
  app.get('/page', (req, res) => {
    const profile = (req.session as unknown as { profile?: { visits: number } } | undefined)?.profile;
    json(res, { endedReason: idle.endedReason(req), visits: profile?.visits ?? null });
  });
  app.get('/login', (req, res) => {
    json(res, { endedReason: idle.endedReason(req) });
  });
  app.get('/writes', (_req, res) => {
    json(res, { writes: countWrites() });
  });
  app.get('/background', (_req, res) => {
    json(res, { ok: true });
  });
  app.post('/tamper', express.json(), (req, res) => {
    (req.session as unknown as Record<string, unknown>)[SESSION_KEY] = req.body;
    json(res, { ok: true });
  });
  app.all('/protected', idle.requireSignIn({ loginUrl: '/login' }), (_req, res) => {
    json(res, { ok: true });
  });
  app.all('/slow', async (req, res) => {
    await slow.wait(String(req.query.id));
    const profile = (req.session as unknown as { profile?: { visits: number } }).profile;
    if (req.query.mutate && profile) profile.visits += 1;
    if (req.query.confirm) {
      try {
        await idle.confirmActive(req);
      } catch (error) {
        if (!(error instanceof SessionEndedError)) throw error;
        return json(res, { ended: error.reason }, 409);
      }
    }
    json(res, { ok: true });
  });
  // An app with ordinary CSRF protection (csrf-sync: a synchronizer token in the session), behind the guard.
  const { csrfSynchronisedProtection, generateToken } = csrfSync();
  const formGuard = idle.requireSignIn({ loginUrl: '/login' });
  app.get('/form', formGuard, (req, res) => {
    json(res, { token: generateToken(req) });
  });
  app.post('/form', formGuard, csrfSynchronisedProtection, (_req, res) => {
    json(res, { ok: true });
  });
  app.get('/stream', (req, res) => {
    const signal = idle.sessionSignal(req);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    res.write(': open\n\n');
    const end = () => res.end(`event: ended\ndata: ${(signal.reason as SessionEndedError).reason}\n\n`);
    if (signal.aborted) end();
    else signal.addEventListener('abort', end, { once: true });
  });
  app.get('/waiting', (req, res) => {
    json(res, { waiting: slow.isWaiting(String(req.query.id)) });
  });
  app.post('/release', (req, res) => {
    slow.release(String(req.query.id));
    json(res, { ok: true });
  });
  const outer = express();
  outer.disable('x-powered-by');
  if (trustProxy) outer.set('trust proxy', 1);
  outer.use(basePath ?? '/', app);
  outer.use((_req, res) => json(res, { error: 404 }, 404));
  outer.use(answerError);
  const server = outer.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath ?? ''}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
