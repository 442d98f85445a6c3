// One benchmark server in a child process, so that its CPU time is measured apart from the load generator.
// Environment: FRAMEWORK (express | koa), STORE (memory | redis), VARIANT (baseline | idle), REDIS_URL,
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

function koaRedisShim(client) {
  return {
    get: (key) => client.get(key),
    set: (key, value) => client.set(key, value),
    setex: (key, ttl, value) => (Number.isFinite(ttl) ? client.setEx(key, ttl, value) : client.set(key, value)),
    del: (key) => client.del(key),
    on: () => {},
  };
}

const handler = FRAMEWORK === 'koa' ? await koaApp() : await expressApp();
console.warn = warn;
const server = createServer(handler);
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
