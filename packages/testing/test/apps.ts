// Small apps on the real adapters, each with the test controls mounted as the README says, and a page
// with <idle-session-warning> served from the element's built bundle (dist/ and dist/chunks/).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { dirname, join, normalize, sep } from 'node:path';
import express from 'express';
import ts from 'typescript';
import session from 'express-session';
import Koa from 'koa';
import koaSession from 'koa-session';
import { idleSession as expressIdleSession } from '@idle-session/express';
import { idleSession as koaIdleSession, MemoryStore } from '@idle-session/koa';
import { TestClock } from '../src/index.js';
import { testControls as expressTestControls, type ExpressTestControls } from '../src/express.js';

/** Per-session limits from `POST /sign-in?idleTimeout=…&warnBefore=…` (milliseconds), or none. */
function limitsOf(query: Record<string, unknown>): { idleTimeout?: number; warnBefore?: number } | undefined {
  const limits: { idleTimeout?: number; warnBefore?: number } = {};
  if (typeof query.idleTimeout === 'string') limits.idleTimeout = Number(query.idleTimeout);
  if (typeof query.warnBefore === 'string') limits.warnBefore = Number(query.warnBefore);
  return Object.keys(limits).length > 0 ? limits : undefined;
}
import { testControls as koaTestControls, type KoaTestControls } from '../src/koa.js';

/** 15 minutes idle, a 2-minute warning: the policy of an ordinary app, which the tests never wait for. */
export const IDLE_TIMEOUT = 15 * 60_000;
export const WARN_BEFORE = 2 * 60_000;

export type Framework = 'express' | 'koa';

export interface TestApp {
  url: string;
  clock: TestClock;
  controls: ExpressTestControls | KoaTestControls;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The element's dist/ folder, or a clear failure when it was not built. */
function elementDist(): string {
  try {
    return dirname(require.resolve('@idle-session/element/bundle'));
  } catch {
    throw new Error('The element is not built: run `pnpm -F @idle-session/element build` (turbo does it before `pnpm test`).');
  }
}

/** `/assets/idle-session-warning.bundle.js` and `/assets/chunks/*.js` from the element's dist/, or `null`. */
function asset(pathname: string): Buffer | null {
  if (!pathname.startsWith('/assets/') || !pathname.endsWith('.js')) return null;
  const dist = elementDist();
  const file = normalize(join(dist, pathname.slice('/assets/'.length)));
  if (!file.startsWith(dist + sep)) return null;
  if (file !== join(dist, 'idle-session-warning.bundle.js') && !file.startsWith(join(dist, 'chunks') + sep)) return null;
  try {
    return readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * `/testing/browser.js` and `/testing/client.js`: this package's browser entry, compiled from src/ as its
 * build would, so a page can import it as a web-test-runner test does (`import '@idle-session/testing/browser'`).
 */
function browserModule(pathname: string): string | null {
  const name = /^\/testing\/(browser|client)\.js$/.exec(pathname)?.[1];
  if (!name) return null;
  const source = readFileSync(new URL(`../src/${name}.ts`, import.meta.url), 'utf8');
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, verbatimModuleSyntax: true } }).outputText;
}

export const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your notes</title></head>
<body>
<main><h1>Your notes</h1><textarea id="notes"></textarea></main>
<idle-session-warning endpoint="/idle-session" login-url="/login" logout-url="/logout"></idle-session-warning>
<script type="module" src="/assets/idle-session-warning.bundle.js"></script>
</body></html>`;

const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.once('listening', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/** Express 5 + express-session + @idle-session/express, with the controls between the two. */
export async function startExpressApp(): Promise<TestApp> {
  const clock = new TestClock();
  const idle = expressIdleSession({ idleTimeout: IDLE_TIMEOUT, warnBefore: WARN_BEFORE, clock });
  const app = express();
  app.use((req, res, next) => {
    const body = req.method === 'GET' ? (asset(req.path) ?? browserModule(req.path)) : null;
    if (body === null) return next();
    res.type(JS).send(body);
  });
  app.use(session({ secret: 'idle-session-testing', resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
  const controls = expressTestControls({ idle }); // tests only: after the session, before the adapter
  app.use(controls);
  app.use(idle);
  app.post('/sign-in', async (req, res, next) => {
    try {
      await idle.signIn(req, limitsOf(req.query as Record<string, unknown>));
      res.json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  app.post('/logout', async (req, res) => {
    await idle.signOut(req);
    res.redirect(303, '/login');
  });
  app.get('/login', (_req, res) => void res.type(HTML).send('<!doctype html><title>Sign in</title><h1>Sign in</h1>'));
  app.get('/', (_req, res) => void res.type(HTML).send(PAGE));
  const server = app.listen(0, '127.0.0.1');
  return { url: await listen(server), clock, controls, close: closer(server) };
}

/** Koa 3 + koa-session on @idle-session/koa's MemoryStore + @idle-session/koa, with the controls between the two. */
export async function startKoaApp(): Promise<TestApp> {
  const clock = new TestClock();
  const idle = koaIdleSession({ idleTimeout: IDLE_TIMEOUT, warnBefore: WARN_BEFORE, clock });
  const app = new Koa();
  app.keys = ['idle-session-testing'];
  app.use(async (ctx, next) => {
    const body = ctx.method === 'GET' ? (asset(ctx.path) ?? browserModule(ctx.path)) : null;
    if (body === null) return next();
    ctx.type = JS;
    ctx.body = body;
  });
  app.use(koaSession({ maxAge: 'session', httpOnly: true, sameSite: 'lax', store: new MemoryStore({ policy: idle.policy }) as never }, app));
  const controls = koaTestControls({ idle }); // tests only: after the session, before the adapter
  app.use(controls);
  app.use(idle);
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/sign-in') {
      await idle.signIn(ctx, limitsOf(ctx.query as Record<string, unknown>));
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && ctx.path === '/logout') {
      await idle.signOut(ctx);
      ctx.redirect('/login');
      ctx.status = 303;
    } else if (ctx.method === 'GET' && ctx.path === '/login') {
      ctx.type = HTML;
      ctx.body = '<!doctype html><title>Sign in</title><h1>Sign in</h1>';
    } else if (ctx.method === 'GET' && ctx.path === '/') {
      ctx.type = HTML;
      ctx.body = PAGE;
    }
  });
  const server = app.listen(0, '127.0.0.1');
  return { url: await listen(server), clock, controls, close: closer(server) };
}

export const START: Record<Framework, () => Promise<TestApp>> = { express: startExpressApp, koa: startKoaApp };
