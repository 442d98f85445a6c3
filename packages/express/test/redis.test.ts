import { alternate, runAdapterContract, runInstancesContract, SlowRequests, type HarnessOptions } from '@idle-session/adapter-contract';
import { RedisSessionState } from '@idle-session/redis';
import { IdleSessionRedisStore } from '@idle-session/redis/express';
import { createClient } from 'redis';
import { afterAll } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../scripts/redis-server.mjs';
import type { IdleSessionMiddleware } from '../src/index.js';
import { startExpressApp } from './app.js';

// Two instances of the app, each with its own adapter (so its own in-process ledger) and its own store
// object, sharing one real redis-server that this file starts and stops.
let server: Promise<RedisServer> | undefined;
let client: ReturnType<typeof createClient> | undefined;

async function redis(): Promise<ReturnType<typeof createClient>> {
  server ??= startRedisServer('The Express-on-Redis tests');
  if (!client) {
    // No offline queue: while Redis is down, commands fail at once instead of waiting for the timeout.
    client = createClient({ url: (await server).url, disableOfflineQueue: true });
    client.on('error', () => {}); // outages are the tests' own doing; the adapters answer 503
    await client.connect();
  }
  return client;
}
afterAll(async () => {
  await client?.quit();
  await (await server)?.stop();
});

async function startPair(options: HarnessOptions) {
  const connection = await redis();
  await connection.flushDb();
  const state = new RedisSessionState({ client: connection, timeout: 3_000 }); // generous: a loaded CI machine is slow, not down
  const stores: IdleSessionRedisStore[] = [];
  const store = (idle: IdleSessionMiddleware) => {
    stores.push(new IdleSessionRedisStore({ client: connection, state, policy: idle.policy }));
    return stores.at(-1)!;
  };
  const countWrites = () => stores.reduce((sum, each) => sum + each.writes, 0);
  const setup = { slow: new SlowRequests(), shared: state, store, countWrites };
  const a = await startExpressApp(options, setup);
  const b = await startExpressApp(options, setup);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

runAdapterContract({
  name: 'Express 5 + express-session, two instances on one Redis, requests alternating',
  start: async (options) => {
    const { a, b } = await startPair(options);
    return alternate([a, b]);
  },
});

/** Store outages on the real redis-server: frozen (SIGSTOP), or stopped and started again with its data. */
const outage = {
  pause: async () => (await server)!.pause(),
  resume: async () => (await server)!.resume(),
  stop: async () => (await server)!.stop({ keepData: true }),
  async start() {
    await (await server)!.start();
    const connection = await redis();
    if (!connection.isReady) await new Promise((resolve) => connection.once('ready', resolve));
  },
};

runInstancesContract({
  name: 'Express 5 + express-session + connect-redis',
  start: startPair,
  outage,
  async storedSessions() {
    const connection = await redis();
    const keys = await connection.keys('sess:*');
    return Promise.all(keys.map(async (key) => ({ key, pttl: await connection.pTTL(key) })));
  },
});
