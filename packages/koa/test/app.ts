import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { answerCaught, limitsFromQuery, SlowRequests, type HarnessOptions, type RunningApp } from '@idle-session/adapter-contract';
import { SESSION_KEY, SessionEndedError, type ActivityHandle, type SharedEndings } from '@idle-session/core';
import Koa, { type Context, type Next } from 'koa';
import mount from 'koa-mount';
import session from 'koa-session';
import CSRF from 'koa-csrf';
import { idleSession, MemoryStore, type KoaIdleSessionMiddleware, type KoaSessionStore } from '../src/index.js';

async function readJson(ctx: Context): Promise<unknown> {
  let text = '';
  for await (const chunk of ctx.req) text += chunk;
  return JSON.parse(text);
}

type Session = Record<string, unknown>;

/** What one instance of the test app runs on; the defaults make a lone instance. */
export interface KoaAppSetup {
  /** The Koa constructor: Koa 3 (`koa`, the default) or Koa 2 (`koa2`, an alias of koa@2). */
  koa?: typeof Koa;
  /** The external store, made once the adapter exists, in `store` mode (default: a MemoryStore). */
  store?: (idle: KoaIdleSessionMiddleware) => KoaSessionStore;
  /** The adapter's `shared` option. */
  shared?: SharedEndings;
  /** Shared by every instance of one app, so `waiting` and `release` reach a slow request on any instance. */
  slow?: SlowRequests;
  /** Counts the session writes of every instance of one app (default: koa-session's saves of this instance). */
  countWrites?: () => number;
  /** Called at each of koa-session's saves (`beforeSave`). */
  onSave?: () => void;
}

/**
 * The error answer of every test app (see `AdapterTarget`): the error's status and headers, and
 * `{"error": status}`. Koa's own would answer the message as text, Express's an HTML page.
 */
async function answerErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (caught) {
    const error = caught as { status?: unknown; statusCode?: unknown; expose?: unknown; headers?: unknown } | null;
    const given = Number(error?.status ?? error?.statusCode);
    const status = Number.isInteger(given) && given >= 400 && given < 600 ? given : 500;
    if (status >= 500 && error?.expose !== true) console.error(caught);
    ctx.status = status;
    if (error?.headers && typeof error.headers === 'object') ctx.set(error.headers as Record<string, string>);
    ctx.body = { error: status };
  }
}

/** A path no route took: 404 `{"error":404}`, as every test app answers it. */
async function answerNotFound(ctx: Context, next: Next): Promise<void> {
  await next();
  if (ctx.status === 404 && ctx.body == null) {
    ctx.status = 404;
    ctx.body = { error: 404 };
  }
}

/** Starts the contract suite's test app on Koa with koa-session: with a store (by default a MemoryStore), or cookie-only. */
export async function startKoaApp(options: HarnessOptions, mode: 'store' | 'cookie', setup: KoaAppSetup = {}): Promise<RunningApp> {
  // koa-session extends the context of the app that receives the request, so it goes on the outer app
  // and the adapter with the routes on the app mounted under basePath (the usual koa-mount layout).
  const Framework = setup.koa ?? Koa;
  const outer = new Framework();
  outer.keys = ['contract-test'];
  const app = new Framework();
  const { basePath, trustProxy, secureCookie, ...adapterOptions } = options;
  outer.proxy = trustProxy === true;
  const idle = idleSession({ ...adapterOptions, shared: setup.shared, isActivity: (ctx) => ctx.path !== '/background' && ctx.query.background !== '1' });
  const store = mode === 'store' ? (setup.store?.(idle) ?? new MemoryStore()) : undefined;
  let saves = 0;
  const beforeSave = () => {
    saves++;
    setup.onSave?.();
  };
  const countWrites = setup.countWrites ?? (() => saves);
  // 'auto': unset, koa-session follows the request; default: never Secure, as express-session's default.
  const secure = secureCookie === 'always' ? { secure: true } : secureCookie === 'auto' ? {} : { secure: false };
  outer.use(answerErrors);
  outer.use(answerNotFound);
  outer.use(session({ maxAge: 'session', httpOnly: true, sameSite: 'lax', beforeSave, ...secure, ...(store ? { store: store as never } : {}) }, outer));
  app.use(idle);
  const guard = idle.requireSignIn({ loginUrl: '/login' });
  const csrf = new CSRF();
  const slow = setup.slow ?? new SlowRequests();
  /** Runs a route's work; the per-session routes' errors as `answerCaught` says, any other to the error handler. */
  const caught = (work: (ctx: Context) => Promise<void>) => async (ctx: Context) => {
    try {
      await work(ctx);
    } catch (error) {
      const answer = answerCaught(error);
      if (!answer) throw error;
      ctx.status = answer.status;
      ctx.body = answer.body;
    }
  };
  const routes: Record<string, (ctx: Context, next: Next) => Promise<void> | void> = {
    'POST /sign-in': caught(async (ctx) => {
      await idle.signIn(ctx, limitsFromQuery(ctx.query));
      Object.assign(ctx.session as unknown as Session, { user: 'demo', profile: { visits: 0 } });
      ctx.body = { ok: true };
    }),
    'POST /limits': caught(async (ctx) => {
      await idle.setLimits(ctx, limitsFromQuery(ctx.query) ?? {}, ctx.query.longer === '1' ? { allowLonger: true } : undefined);
      ctx.body = { ok: true };
    }),
    'POST /activity': caught(async (ctx) => {
      const { idleRemainingMs } = await idle.recordActivity(ctx);
      ctx.body = { ok: true, idleRemainingMs };
    }),
    'POST /handle': (ctx) => {
      const handle = idle.activityHandle(ctx);
      slow.handles.set(String(ctx.query.id), handle);
      ctx.body = { sessionId: handle.sessionId };
    },
    'POST /handle-touch': caught(async (ctx) => {
      const { idleRemainingMs } = await (slow.handles.get(String(ctx.query.id)) as ActivityHandle).touch();
      ctx.body = { ok: true, idleRemainingMs };
    }),
    'POST /sign-out': async (ctx) => {
      await idle.signOut(ctx, { clearSiteData: ctx.query.clear === '1' });
      ctx.body = { ok: true };
    },
    'GET /page': (ctx) => {
      const profile = (ctx.session as unknown as { profile?: { visits: number } } | null)?.profile;
      ctx.body = { endedReason: idle.endedReason(ctx), visits: profile?.visits ?? null };
    },
    'GET /login': (ctx) => {
      ctx.body = { endedReason: idle.endedReason(ctx) };
    },
    'GET /writes': (ctx) => {
      ctx.body = { writes: countWrites() };
    },
    'GET /background': (ctx) => {
      ctx.body = { ok: true };
    },
    'POST /tamper': async (ctx) => {
      (ctx.session as unknown as Session)[SESSION_KEY] = await readJson(ctx);
      ctx.body = { ok: true };
    },
    'POST /protected': (ctx, next) => routes['GET /protected']!(ctx, next),
    'GET /protected': (ctx, next) =>
      guard(ctx, async () => {
        ctx.body = { ok: true };
        await next();
      }),
    'POST /slow': (ctx) => routes['GET /slow']!(ctx, async () => {}),
    'GET /slow': async (ctx) => {
      await slow.wait(String(ctx.query.id));
      const profile = (ctx.session as unknown as { profile?: { visits: number } } | null)?.profile;
      if (ctx.query.mutate && profile) profile.visits += 1;
      if (ctx.query.confirm) {
        try {
          await idle.confirmActive(ctx);
        } catch (error) {
          if (!(error instanceof SessionEndedError)) throw error;
          ctx.status = 409;
          ctx.body = { ended: error.reason };
          return;
        }
      }
      ctx.body = { ok: true };
    },
    // An app with ordinary CSRF protection (koa-csrf: a secret in the session), behind the guard.
    'GET /form': (ctx, next) =>
      guard(ctx, () =>
        csrf(ctx, async () => {
          ctx.body = { token: ctx.state._csrf };
        }),
      ),
    'POST /form': (ctx, next) =>
      guard(ctx, async () => {
        (ctx.request as { body?: unknown }).body ??= {}; // koa-csrf reads body._csrf; the token comes in a header here
        await csrf(ctx, async () => {
          ctx.body = { ok: true };
        });
      }),
    'GET /stream': (ctx) => {
      const signal = idle.sessionSignal(ctx);
      const body = new PassThrough();
      ctx.type = 'text/event-stream; charset=utf-8';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = body;
      body.write(': open\n\n');
      const end = () => body.end(`event: ended\ndata: ${(signal.reason as SessionEndedError).reason}\n\n`);
      if (signal.aborted) end();
      else signal.addEventListener('abort', end, { once: true });
    },
    'GET /waiting': (ctx) => {
      ctx.body = { waiting: slow.isWaiting(String(ctx.query.id)) };
    },
    'POST /release': (ctx) => {
      slow.release(String(ctx.query.id));
      ctx.body = { ok: true };
    },
  };
  app.use(async (ctx, next) => {
    const route = routes[`${ctx.method} ${ctx.path}`];
    if (route) await route(ctx, next);
  });
  outer.use(mount(basePath ?? '/', app));
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
