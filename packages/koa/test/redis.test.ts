import { alternate, runAdapterContract, runInstancesContract, SlowRequests, type HarnessOptions } from '@idle-session/adapter-contract';
import { RedisSessionState } from '@idle-session/redis';
import { idleSessionRedisStore, type KoaIdleSessionRedisStore } from '@idle-session/redis/koa';
import { afterAll } from 'vitest';
import { redisForTests } from '../../../scripts/redis-for-tests.mjs';
import type { KoaIdleSessionMiddleware } from '../src/index.js';
import { startKoaApp } from './app.js';

// Two instances of the app, each with its own adapter (so its own in-process ledger) and, with a store,
// its own store object, sharing one real redis-server that this file starts and stops.
const redis = redisForTests('The Koa-on-Redis tests');
afterAll(() => redis.stop());

async function startPair(options: HarnessOptions, mode: 'store' | 'cookie') {
  const connection = await redis.connection();
  await connection.flushDb();
  const state = new RedisSessionState({ client: connection, timeout: 3_000 }); // generous: a loaded CI machine is slow, not down
  const stores: KoaIdleSessionRedisStore[] = [];
  const store = (idle: KoaIdleSessionMiddleware) => {
    stores.push(idleSessionRedisStore({ client: connection, state, policy: idle.policy }));
    return stores.at(-1)!;
  };
  const writes = { count: 0 };
  const countWrites = mode === 'store' ? () => stores.reduce((sum, each) => sum + each.writes, 0) : () => writes.count;
  const setup = { slow: new SlowRequests(), shared: state, store, countWrites, onSave: () => void writes.count++ };
  const a = await startKoaApp(options, mode, setup);
  const b = await startKoaApp(options, mode, setup);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

const storedSessions = () => redis.storedSessions();

runAdapterContract({
  name: 'Koa 3 + koa-session + koa-redis, two instances on one Redis, requests alternating',
  start: async (options) => {
    const { a, b } = await startPair(options, 'store');
    return alternate([a, b]);
  },
});
runInstancesContract({ name: 'Koa 3 + koa-session + koa-redis', start: (options) => startPair(options, 'store'), storedSessions, outage: redis.outage });
// Cookie-only sessions live in the browser: what several instances share is the ended marks alone (see the
// Koa README for what holds without a store), so they run the promises about endings, not the whole suite.
runInstancesContract({
  name: 'Koa 3 + koa-session cookie-only, ended marks in Redis',
  start: (options) => startPair(options, 'cookie'),
  storedSessions,
  outage: redis.outage,
});
