import type { createClient } from 'redis';
export interface RedisForTests {
  /** The connected client (starting redis-server on first use). */
  connection(): Promise<ReturnType<typeof createClient>>;
  outage: { pause(): Promise<void>; resume(): Promise<void>; stop(): Promise<void>; start(): Promise<void> };
  storedSessions(pattern?: string): Promise<{ key: string; pttl: number }[]>;
  forgetKey(key: string): Promise<void>;
  stop(): Promise<void>;
}
export declare function redisForTests(who: string): RedisForTests;
