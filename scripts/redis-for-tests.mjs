// One real redis-server per test file, started on first use, with one node-redis client, and the
// outage controls of the multi-instance suite. Shared by the adapters' Redis tests.
import { createClient } from 'redis';
import { startRedisServer } from './redis-server.mjs';

/**
 * @param {string} who - what needs it, for the message when redis-server is missing.
 */
export function redisForTests(who) {
  let server;
  let client;
  async function connection() {
    server ??= startRedisServer(who);
    if (!client) {
      // No offline queue: while Redis is down, commands fail at once instead of waiting for the timeout.
      client = createClient({ url: (await server).url, disableOfflineQueue: true });
      client.on('error', () => {}); // outages are the tests' own doing; the adapters answer 503
      await client.connect();
    }
    return client;
  }
  return {
    connection,
    /** Store outages on the real redis-server: frozen (SIGSTOP), or stopped and started again with its data. */
    outage: {
      pause: async () => (await server).pause(),
      resume: async () => (await server).resume(),
      stop: async () => (await server).stop({ keepData: true }),
      async start() {
        await (await server).start();
        const redis = await connection();
        if (!redis.isReady) await new Promise((resolve) => redis.once('ready', resolve));
      },
    },
    /** The keys that match `pattern` and are not ended marks, with their time to live in milliseconds. */
    async storedSessions(pattern = '*') {
      const redis = await connection();
      const keys = (await redis.keys(pattern)).filter((key) => !key.startsWith('idle-session:'));
      return Promise.all(keys.map(async (key) => ({ key, pttl: await redis.pTTL(key) })));
    },
    /** Deletes a key, as its TTL would. */
    async forgetKey(key) {
      await (await connection()).del(key);
    },
    async stop() {
      await client?.quit();
      await (await server)?.stop();
    },
  };
}
