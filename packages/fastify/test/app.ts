import type { AddressInfo } from 'node:net';
import { answerCaught, limitsFromQuery, SlowRequests, type HarnessOptions, type RunningApp } from '@idle-session/adapter-contract';
import { SESSION_KEY, SessionEndedError, type ActivityHandle, type SharedEndings } from '@idle-session/core';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifySession from '@fastify/session';
import session from 'express-session';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { idleSession, type FastifyIdleSession } from '../src/index.js';

/** What one instance of the test app runs on; the defaults make a lone instance on express-session's MemoryStore. */
export interface FastifyAppSetup {
  /** The session store (an express-session store: @fastify/session takes the same), made once the adapter exists. */
  store?: (idle: FastifyIdleSession) => session.Store;
  /** The adapter's `shared` option. */
  shared?: SharedEndings;
  /** Shared by every instance of one app, so `waiting` and `release` reach a slow request on any instance. */
  slow?: SlowRequests;
  /** Counts the session writes of every instance of one app (default: the calls of the store's `set`). */
  countWrites?: () => number;
}

/** The session cookie's name in the test app (@fastify/session's default). */
export const SESSION_COOKIE = 'sessionId';

/** Writes a JSON answer of the app's own as every test app does (see `AdapterTarget`). */
function json(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}

type Query = Record<string, string | undefined>;
const query = (request: FastifyRequest) => request.query as Query;

/** Registers the test app's routes (see `AdapterTarget`) on `app`, after the session plugins and the adapter. */
async function routes(app: FastifyInstance, options: HarnessOptions, setup: FastifyAppSetup): Promise<void> {
  const { trustProxy: _trust, secureCookie, basePath: _base, ...adapterOptions } = options;
  const secure = secureCookie === 'always' ? true : secureCookie === 'auto' ? ('auto' as const) : false;
  let idle!: FastifyIdleSession;
  const store = setup.store ? undefined : new session.MemoryStore();
  let calls = 0;
  const counted = (made: session.Store) => {
    const set = made.set.bind(made);
    made.set = (...args: Parameters<typeof set>) => {
      calls++;
      return set(...args);
    };
    return made;
  };
  await app.register(fastifyCookie);
  // The store needs the adapter's policy: made lazily, on the first request (the adapter is registered next).
  let made: session.Store | undefined = store && counted(store);
  const lazy = new Proxy({} as session.Store, {
    get: (_target, name) => {
      made ??= counted(setup.store!(idle));
      const value = (made as unknown as Record<PropertyKey, unknown>)[name];
      return typeof value === 'function' ? value.bind(made) : value;
    },
  });
  await app.register(fastifySession, {
    secret: 'contract-test-secret-of-32-characters-or-more',
    cookieName: SESSION_COOKIE,
    saveUninitialized: false,
    rolling: false,
    store: lazy as never,
    cookie: { httpOnly: true, sameSite: 'lax', secure, path: '/' },
  });
  await app.register(idleSession, { ...adapterOptions, shared: setup.shared, isActivity: (request) => !request.url.split('?')[0]!.endsWith('/background') && query(request).background !== '1' });
  idle = app.idleSession;
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/session' });
  const countWrites = setup.countWrites ?? (() => calls);
  const slow = setup.slow ?? new SlowRequests();
  /** Runs a route's work; the per-session routes' errors as `answerCaught` says, any other to the error handler. */
  const caught = (work: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      return await work(request, reply);
    } catch (error) {
      const answer = answerCaught(error);
      if (!answer) throw error;
      return json(reply, answer.body, answer.status);
    }
  };
  app.post('/sign-in', caught(async (request, reply) => {
    await idle.signIn(request, limitsFromQuery(query(request)));
    Object.assign(request.session, { user: 'demo', profile: { visits: 0 } });
    return json(reply, { ok: true });
  }));
  app.post('/limits', caught(async (request, reply) => {
    await idle.setLimits(request, limitsFromQuery(query(request)) ?? {}, query(request).longer === '1' ? { allowLonger: true } : undefined);
    return json(reply, { ok: true });
  }));
  app.post('/activity', caught(async (request, reply) => json(reply, { ok: true, idleRemainingMs: (await idle.recordActivity(request)).idleRemainingMs })));
  app.post('/handle', async (request, reply) => {
    const handle = idle.activityHandle(request);
    slow.handles.set(String(query(request).id), handle);
    return json(reply, { sessionId: handle.sessionId });
  });
  app.post('/handle-touch', caught(async (request, reply) => {
    const { idleRemainingMs } = await (slow.handles.get(String(query(request).id)) as ActivityHandle).touch();
    return json(reply, { ok: true, idleRemainingMs });
  }));
  app.post('/sign-out', async (request, reply) => {
    await idle.signOut(request, { clearSiteData: query(request).clear === '1' });
    return json(reply, { ok: true });
  });
  const visits = (request: FastifyRequest) => (request.session as unknown as { profile?: { visits: number } } | null)?.profile?.visits ?? null;
  app.get('/page', async (request, reply) => json(reply, { endedReason: idle.endedReason(request), visits: visits(request) }));
  app.get('/login', async (request, reply) => json(reply, { endedReason: idle.endedReason(request) }));
  app.get('/writes', async (_request, reply) => json(reply, { writes: countWrites() }));
  app.get('/background', async (_request, reply) => json(reply, { ok: true }));
  app.post('/tamper', async (request, reply) => {
    (request.session as unknown as Record<string, unknown>)[SESSION_KEY] = request.body;
    return json(reply, { ok: true });
  });
  app.setNotFoundHandler((_request, reply) => json(reply, { error: 404 }, 404));
  const guard = idle.requireSignIn({ loginUrl: '/login' });
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url: '/protected', preHandler: guard, handler: async (_request, reply) => json(reply, { ok: true }) });
  app.route({
    method: ['GET', 'POST'],
    url: '/slow',
    handler: async (request, reply) => {
      const { id, mutate, confirm } = query(request);
      await slow.wait(String(id));
      const profile = (request.session as unknown as { profile?: { visits: number } } | null)?.profile;
      if (mutate && profile) profile.visits += 1;
      if (confirm) {
        try {
          await idle.confirmActive(request);
        } catch (error) {
          if (!(error instanceof SessionEndedError)) throw error;
          return json(reply, { ended: error.reason }, 409);
        }
      }
      return json(reply, { ok: true });
    },
  });
  // An app with Fastify's usual CSRF protection (@fastify/csrf-protection: its secret in the session), behind the guard.
  app.get('/form', { preHandler: guard }, async (_request, reply) => json(reply, { token: reply.generateCsrf() }));
  app.post('/form', { preHandler: [guard, app.csrfProtection] }, async (_request, reply) => json(reply, { ok: true }));
  app.get('/stream', (request, reply) => {
    const signal = idle.sessionSignal(request);
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
    reply.raw.write(': open\n\n');
    const end = () => reply.raw.end(`event: ended\ndata: ${(signal.reason as SessionEndedError).reason}\n\n`);
    if (signal.aborted) end();
    else signal.addEventListener('abort', end, { once: true });
  });
  app.get('/waiting', async (request, reply) => json(reply, { waiting: slow.isWaiting(String(query(request).id)) }));
  app.post('/release', async (request, reply) => {
    slow.release(String(query(request).id));
    return json(reply, { ok: true });
  });
}

/** Starts the contract suite's test app on Fastify 5 with @fastify/session (by default on express-session's MemoryStore). */
export async function startFastifyApp(options: HarnessOptions, setup: FastifyAppSetup = {}): Promise<RunningApp> {
  const app = Fastify({ trustProxy: options.trustProxy ? (_address: string, hop: number) => hop < 1 : false }); // one proxy in front
  app.setErrorHandler((error: { status?: unknown; statusCode?: unknown; expose?: unknown; headers?: unknown }, _request, reply) => {
    const given = Number(error?.statusCode ?? error?.status);
    const status = Number.isInteger(given) && given >= 400 && given < 600 ? given : 500;
    if (status >= 500 && error?.expose !== true) console.error(error);
    if (error?.headers && typeof error.headers === 'object') reply.headers(error.headers as Record<string, string>);
    return json(reply, { error: status }, status);
  });
  // Paths no route takes: 404 through the adapter's hooks inside the mounted app (as Express mounts its
  // 404 after the adapter), and outside it when the app is mounted under a base path.
  if (options.basePath) app.setNotFoundHandler((_request, reply) => json(reply, { error: 404 }, 404));
  await app.register((inner, _opts, done) => void routes(inner, options, setup).then(() => done(), done), { prefix: options.basePath ?? '' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.basePath ?? ''}/`,
    close: async () => {
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
