import { createClient } from 'redis';

/** The sample app's Redis connection, when REDIS_URL is set. */
export type DemoRedis = ReturnType<typeof createClient>;

/**
 * Connects to Redis at `url` for the sample app, or throws an Error that names REDIS_URL when it cannot
 * within `timeoutMs`. Later outages are reported once each on stderr (not per command), and the client
 * reconnects by itself.
 */
export async function connectRedis(url: string, timeoutMs = 5_000): Promise<DemoRedis> {
  // No offline queue: while Redis is down, commands fail at once (the adapters answer 503) instead of
  // waiting for the store timeout.
  const client = createClient({ url, disableOfflineQueue: true });
  const shown = withoutPassword(url);
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    console.error(`idle-session demo: Redis at ${shown} is unavailable (${error.message}); retrying.`);
  });
  client.on('ready', () => {
    if (down) console.error(`idle-session demo: Redis at ${shown} is back.`);
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`cannot connect to REDIS_URL ${shown} within ${timeoutMs / 1000} s.`)), timeoutMs);
  });
  try {
    return await Promise.race([client.connect(), timeout]);
  } catch (error) {
    client.destroy();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The URL as it may be printed: a password in it is replaced by `***`. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}
