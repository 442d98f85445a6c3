import { alternate, runAdapterContract, runExpiryReasonContract, runInstancesContract, SlowRequests, type HarnessOptions } from '@idle-session/adapter-contract';
import { RedisSessionState } from '@idle-session/redis';
import { IdleSessionRedisStore } from '@idle-session/redis/express';
import { afterAll } from 'vitest';
import { redisForTests } from '../../../scripts/redis-for-tests.mjs';
import type { FastifyIdleSession } from '../src/index.js';
import { SESSION_COOKIE, startFastifyApp } from './app.js';

// Two instances of the app, each with its own adapter (so its own in-process ledger) and its own store
// object, sharing one real redis-server that this file starts and stops.
const redis = redisForTests('The Fastify-on-Redis tests');
afterAll(() => redis.stop());

async function startPair(options: HarnessOptions) {
  const connection = await redis.connection();
  await connection.flushDb();
  const state = new RedisSessionState({ client: connection, timeout: 3_000 }); // generous: a loaded CI machine is slow, not down
  const stores: IdleSessionRedisStore[] = [];
  const store = (idle: FastifyIdleSession) => {
    stores.push(new IdleSessionRedisStore({ client: connection, state, policy: idle.policy }));
    return stores.at(-1)!;
  };
  const countWrites = () => stores.reduce((sum, each) => sum + each.writes, 0);
  const setup = { slow: new SlowRequests(), shared: state, store, countWrites };
  const a = await startFastifyApp(options, setup);
  const b = await startFastifyApp(options, setup);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

runAdapterContract({
  name: 'Fastify 5 + @fastify/session, two instances on one Redis, requests alternating',
  sessionCookie: SESSION_COOKIE,
  start: async (options) => {
    const { a, b } = await startPair(options);
    return alternate([a, b]);
  },
});

runExpiryReasonContract({
  name: 'Fastify 5 + @fastify/session + @idle-session/redis store, two instances, requests alternating',
  start: async (options) => {
    const { a, b } = await startPair(options);
    return alternate([a, b]);
  },
});

runInstancesContract({
  name: 'Fastify 5 + @fastify/session + connect-redis (@idle-session/redis store)',
  start: startPair,
  outage: redis.outage,
  forgetKey: redis.forgetKey,
  storedSessions: () => redis.storedSessions('sess:*'),
});
