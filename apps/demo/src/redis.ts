import { createClient } from 'redis';

/** The sample app's Redis connection, when REDIS_URL is set. */
export type DemoRedis = ReturnType<typeof createClient>;

/**
 * Connects to Redis at `url` for the sample app, or throws an Error that names REDIS_URL when the URL is
 * not usable or the connection fails within `timeoutMs`. Later outages are reported once each on stderr
 * (not per command) when the connection drops, and the client reconnects by itself.
 */
export async function connectRedis(url: string, timeoutMs = 5_000): Promise<DemoRedis> {
  const shown = withoutPassword(url);
  let client: DemoRedis;
  try {
    // No offline queue: while Redis is down, commands fail at once (the adapters answer 503) instead of
    // waiting for the store timeout.
    client = createClient({ url, disableOfflineQueue: true });
  } catch (error) {
    throw new Error(`REDIS_URL ${shown} is not a usable Redis URL (${(error as Error).message}).`);
  }
  let ready = false;
  let down = false;
  let lastError = '';
  client.on('error', (error: Error) => {
    lastError = error.message;
    if (!ready || down) return; // at start-up the timeout below reports; later, one line per outage
    down = true;
    console.error(`idle-session demo: Redis at ${shown} is unavailable (${error.message}); the client reconnects by itself, requests get 503 meanwhile.`);
  });
  client.on('ready', () => {
    if (down) console.error(`idle-session demo: Redis at ${shown} is back.`);
    ready = true;
    down = false;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cannot connect to REDIS_URL ${shown} within ${timeoutMs / 1000} s${lastError ? ` (${lastError})` : ''}.`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([client.connect(), timeout]);
  } catch (error) {
    client.destroy();
    const message = (error as Error).message;
    throw new Error(message.includes('REDIS_URL') ? message : `cannot connect to REDIS_URL ${shown}: ${message}`);
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
