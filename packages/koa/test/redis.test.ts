import { alternate, runAdapterContract, runExpiryReasonContract, runInstancesContract, SlowRequests, TestBrowser, type HarnessOptions } from '@idle-session/adapter-contract';
import { RedisSessionState } from '@idle-session/redis';
import { idleSessionRedisStore, type KoaIdleSessionRedisStore } from '@idle-session/redis/koa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
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
    stores.push(idleSessionRedisStore({ state, policy: idle.policy }));
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
  name: 'Koa 3 + koa-session + @idle-session/redis store, two instances on one Redis, requests alternating',
  start: async (options) => {
    const { a, b } = await startPair(options, 'store');
    return alternate([a, b]);
  },
});
runInstancesContract({ name: 'Koa 3 + koa-session + @idle-session/redis store', start: (options) => startPair(options, 'store'), storedSessions, outage: redis.outage, forgetKey: redis.forgetKey });
for (const mode of ['store', 'cookie'] as const) {
  runExpiryReasonContract({
    name: `Koa 3 + koa-session (${mode === 'store' ? '@idle-session/redis store' : 'cookie-only, ended marks in Redis'}), two instances, requests alternating`,
    start: async (options) => {
      const { a, b } = await startPair(options, mode);
      return alternate([a, b]);
    },
  });
}
// Cookie-only sessions live in the browser: what several instances share is the ended marks alone (see the
// Koa README for what holds without a store), so they run the promises about endings, not the whole suite.
runInstancesContract({
  name: 'Koa 3 + koa-session cookie-only, ended marks in Redis',
  start: (options) => startPair(options, 'cookie'),
  storedSessions,
  outage: redis.outage,
  forgetKey: redis.forgetKey,
});

describe('Koa on Redis: one write per new session', () => {
  const clock = { current: Date.now(), now: () => clock.current };
  let pair: Awaited<ReturnType<typeof startPair>> | undefined;
  afterEach(async () => pair?.close());

  it("signing in writes the new session once, not twice as koa-session's regenerate() would, and an expiry writes its key once", async () => {
    pair = await startPair({ idleTimeout: 60_000, warnBefore: 20_000, touchInterval: 10_000, clock }, 'store');
    const browser = new TestBrowser(pair.a.url);
    const writes = async () => ((await (await browser.request('GET', 'writes')).json()) as { writes: number }).writes;
    expect((await browser.request('POST', 'sign-in')).status).toBe(200);
    expect(await writes()).toBe(1);
    clock.current += 60_000;
    expect(await (await browser.request('GET', 'page')).json()).toEqual({ endedReason: 'idle', visits: null });
    // The expiry writes the same key once more, now holding only why the session ended (issue 11).
    expect(await writes()).toBe(2);
  });
});
