import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdlePolicyError } from '@idle-session/express';
import { ConfigError, readConfig } from './config.js';
import { createExpressApp } from './express-app.js';
import { createFastifyApp } from './fastify-app.js';
import { createKoaApp } from './koa-app.js';
import { connectRedis, withoutPassword, type DemoRedis } from './redis.js';
import { writeAuditLine } from './shared.js';

/** Which environment variable sets each policy option, so a start-up error can name it. */
const VARIABLES: Record<string, string> = { idleTimeout: 'IDLE_TIMEOUT', warnBefore: 'WARN_BEFORE', absoluteTimeout: 'ABSOLUTE_TIMEOUT' };

let config;
try {
  config = readConfig(process.env, () => randomBytes(32).toString('hex'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`idle-session demo: ${error.message}`);
    process.exit(1);
  }
  throw error;
}

let redis: DemoRedis | null = null;
if (config.redisUrl) {
  try {
    redis = await connectRedis(config.redisUrl);
  } catch (error) {
    console.error(`idle-session demo: ${(error as Error).message}`);
    process.exit(1);
  }
  if (!config.sessionSecretGiven) {
    console.warn('idle-session demo: REDIS_URL is set but SESSION_SECRET is not: other instances cannot read this one\'s cookies. Give every instance the same SESSION_SECRET.');
  }
}

let demo;
try {
  demo =
    config.framework === 'koa' ? createKoaApp(config, redis) : config.framework === 'fastify' ? await createFastifyApp(config, redis) : createExpressApp(config, redis);
} catch (error) {
  if (error instanceof IdlePolicyError) {
    console.error(`idle-session demo: ${error.message} Check ${VARIABLES[error.option] ?? 'the settings'} (in seconds).`);
    process.exit(1);
  }
  throw error;
}

const { handler, policy, state } = demo;
let subscriber: DemoRedis | null = null;
if (redis && state) {
  // Sessions that simply run out in Redis are logged too, from Redis's own expiry (keyspace notifications).
  try {
    subscriber = await redis.duplicate().connect();
    await state.watchExpiries({ subscriber, audit: writeAuditLine });
  } catch (error) {
    subscriber?.destroy();
    subscriber = null;
    console.warn(`idle-session demo: sessions that run out in Redis are not logged (${(error as Error).message}); enable notify-keyspace-events Ex on the server.`);
  }
}
const server = createServer(handler);
server.listen(config.port, () => {
  const { port } = server.address() as AddressInfo;
  console.log(
    `idle-session demo (${config.framework}) listening on http://localhost:${port} ` +
      `(idle timeout ${policy.idleTimeout / 1000} s, warning ${policy.warnBefore / 1000} s before, ` +
      `absolute timeout ${(policy.absoluteTimeout ?? 0) / 1000} s; sessions ${config.redisUrl ? `in Redis at ${withoutPassword(config.redisUrl)}` : 'in memory'}). ` +
      'Sign in as demo / demo.',
  );
});
server.on('error', (error) => {
  console.error(`idle-session demo: cannot listen on port ${config.port}: ${error.message}`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    subscriber?.destroy();
    redis?.destroy();
  });
}
