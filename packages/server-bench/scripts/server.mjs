// One benchmark server in a child process, so that its CPU time is measured apart from the load generator.
// Environment: FRAMEWORK (express | koa | fastify), STORE (memory | redis), VARIANT (baseline | idle), REDIS_URL,
// IDLE_TIMEOUT_MS, TOUCH_MS, ABSOLUTE_TIMEOUT_MS. Prints "listening PORT"; answers { type: 'cpu' } over IPC
// with process.cpuUsage() in microseconds.
import { createServer } from 'node:http';
import { RedisSessionState } from '@idle-session/redis';
import { createClient } from 'redis';

const { FRAMEWORK = 'express', STORE = 'memory', VARIANT = 'idle', REDIS_URL } = process.env;
const policy = {
  idleTimeout: Number(process.env.IDLE_TIMEOUT_MS ?? 900_000),
  touchInterval: process.env.TOUCH_MS ? Number(process.env.TOUCH_MS) : undefined,
  absoluteTimeout: process.env.ABSOLUTE_TIMEOUT_MS ? Number(process.env.ABSOLUTE_TIMEOUT_MS) : undefined,
  warnBefore: Math.min(5_000, Number(process.env.IDLE_TIMEOUT_MS ?? 900_000) / 2),
};
const idleOn = VARIANT === 'idle';
const redis = STORE === 'redis' ? await createClient({ url: REDIS_URL, disableOfflineQueue: true }).connect() : null;
const state = redis && idleOn ? new RedisSessionState({ client: redis }) : undefined;
const secret = 'bench';
const warn = console.warn;
console.warn = () => {}; // the short warnBefore's WCAG advice is not news here

async function expressApp() {
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const { idleSession } = await import('@idle-session/express');
  const app = express();
  const idle = idleOn ? idleSession({ ...policy, shared: state }) : null;
  let store;
  if (redis && idle) store = new (await import('@idle-session/redis/express')).IdleSessionRedisStore({ client: redis, state, policy: idle.policy });
  else if (redis) store = new (await import('connect-redis')).RedisStore({ client: redis });
  app.use(session({ secret, resave: false, saveUninitialized: false, store, cookie: { httpOnly: true, sameSite: 'lax' } }));
  if (idle) app.use(idle);
  app.post('/sign-in', async (req, res) => {
    if (idle) await idle.signIn(req);
    else await new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
    req.session.user = 'bench';
    res.json({ ok: true });
  });
  app.post('/sign-out', async (req, res) => {
    if (idle) await idle.signOut(req);
    else await new Promise((resolve, reject) => req.session.destroy((error) => (error ? reject(error) : resolve())));
    res.json({ ok: true });
  });
  app.get('/page', (req, res) => res.json({ user: req.session.user ?? null }));
  return app;
}

async function koaApp() {
  const Koa = (await import('koa')).default;
  const session = (await import('koa-session')).default;
  const { idleSession, MemoryStore } = await import('@idle-session/koa');
  const app = new Koa({ keys: [secret] });
  const idle = idleOn ? idleSession({ ...policy, shared: state }) : null;
  let store;
  if (redis && idle) store = (await import('@idle-session/redis/koa')).idleSessionRedisStore({ state, policy: idle.policy });
  // koa-redis 4 speaks ioredis (setex) and passes maxAge 'session' as a TTL, which Redis refuses: the
  // baseline gives it a node-redis shim that stores such sessions without a TTL, as it means to.
  else if (redis) store = (await import('koa-redis')).default({ client: koaRedisShim(redis) });
  // With the adapter, the memory store is given its policy, as apps are told to (sessions leave at their deadline).
  else store = idle ? new MemoryStore({ policy: idle.policy }) : new MemoryStore();
  app.use(session({ maxAge: 'session', httpOnly: true, sameSite: 'lax', store }, app));
  if (idle) app.use(idle);
  app.use(async (ctx) => {
    if (ctx.method === 'POST' && ctx.path === '/sign-in') {
      if (idle) await idle.signIn(ctx);
      else await ctx.session.regenerate();
      ctx.session.user = 'bench';
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && ctx.path === '/sign-out') {
      if (idle) await idle.signOut(ctx);
      else ctx.session = null;
      ctx.body = { ok: true };
    } else if (ctx.path === '/page') {
      ctx.body = { user: ctx.session?.user ?? null };
    }
  });
  return app.callback();
}

// Fastify 5 on @fastify/session, configured as the README says (saveUninitialized and rolling off, a
// browser-session cookie, not Secure over plain HTTP). @fastify/session takes express-session's stores, so
// the stores are those of the Express app: express-session's MemoryStore, connect-redis for the baseline on
// Redis and @idle-session/redis/express with the adapter.
async function fastifyServer() {
  const Fastify = (await import('fastify')).default;
  const fastifyCookie = (await import('@fastify/cookie')).default;
  const fastifySession = (await import('@fastify/session')).default;
  const { idleSession, createPolicy } = await import('@idle-session/fastify');
  let server;
  // Fastify serves on the node:http server made here, so that it listens and keeps connections alive as the others do.
  const app = Fastify({ serverFactory: (handler) => (server = createServer(handler)) });
  let store;
  if (redis && idleOn) store = new (await import('@idle-session/redis/express')).IdleSessionRedisStore({ client: redis, state, policy: createPolicy(policy) }); // the same timeouts as the plugin
  else if (redis) store = new (await import('connect-redis')).RedisStore({ client: redis });
  // Not @fastify/session's own default store, which keeps each session object (and the request it came with).
  else store = new (await import('express-session')).default.MemoryStore();
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: `${secret}-secret-of-32-characters-or-more`,
    store,
    saveUninitialized: false,
    rolling: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false },
  });
  if (idleOn) await app.register(idleSession, { ...policy, shared: state });
  const idle = idleOn ? app.idleSession : null;
  app.post('/sign-in', async (request) => {
    if (idle) await idle.signIn(request);
    else await request.session.regenerate();
    request.session.user = 'bench';
    return { ok: true };
  });
  app.post('/sign-out', async (request) => {
    if (idle) await idle.signOut(request);
    else await request.session.destroy();
    return { ok: true };
  });
  app.get('/page', async (request) => ({ user: request.session?.user ?? null }));
  await app.ready();
  return server;
}

function koaRedisShim(client) {
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    setex: (key, ttl, value) => (Number.isFinite(ttl) ? client.setEx(key, ttl, value) : client.set(key, value)),
    del: (key) => client.del(key),
    on: () => {},
  };
}

const server = FRAMEWORK === 'fastify' ? await fastifyServer() : createServer(FRAMEWORK === 'koa' ? await koaApp() : await expressApp());
console.warn = warn;
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('message', (message) => {
  if (message?.type === 'cpu') process.send({ type: 'cpu', usage: process.cpuUsage() });
});
process.on('disconnect', async () => {
  server.close();
  server.closeAllConnections();
  await redis?.quit();
  process.exit(0);
});
