import { CONDITIONAL_WRITES, SKIP_FORCED_SAVE, STORE_KEY_OF, type IdlePolicy } from '@idle-session/core';
import type { RedisSessionState } from './state.js';

/** Options of {@link idleSessionRedisStore}. */
export interface KoaIdleSessionRedisStoreOptions {
  /** The shared state, also given to the adapter as its `shared` option. */
  state: RedisSessionState;
  /** The adapter's policy: `idle.policy`. The TTL of every key follows it. */
  policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval' | 'clock'>;
}

/** A koa-session external store on Redis whose writes are conditional; see {@link idleSessionRedisStore}. */
export interface KoaIdleSessionRedisStore {
  readonly [CONDITIONAL_WRITES]: true;
  /** The Redis key of the session with this external key (the key itself), so a long request can keep it alive (see `STORE_KEY_OF` of core). */
  [STORE_KEY_OF](key: string): string;
  get(key: string): Promise<Record<string, unknown> | null>;
  set(key: string, session: Record<string, unknown>, maxAge?: unknown, options?: { changed?: boolean; ctx?: object }): Promise<void>;
  destroy(key: string): Promise<void>;
  /** How many times this store wrote a session (refused and needless writes do not count), for tests and benchmarks. */
  readonly writes: number;
}

/**
 * A Redis store for koa-session, on the state's node-redis client, whose three methods are what
 * idle-session needs on several instances:
 *
 * - `set` writes conditionally, in one Lua script ({@link RedisSessionState.writeSession}): never a
 *   session that any instance ended, never an older last-activity, and with a TTL that follows the
 *   policy. koa-session's `maxAge` argument is ignored: the policy decides how long a session lives.
 * - `get` reads the session and, once its key ran out, the marker of why it ended, in one round trip.
 * - `get` and `destroy` run within the state's timeout; while Redis is unavailable, `get` answers the
 *   outage marker of core's `unavailableSession()` and the adapter answers 503.
 *
 * Why not koa-redis: koa-redis 4 hands `maxAge: 'session'` (which idle-session needs for a
 * browser-session cookie) to Redis as a TTL, which Redis refuses, it expects an ioredis client, and its
 * other two methods are one command each; every one of them would have to be replaced here anyway.
 *
 * @example
 * ```ts
 * const redis = await createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true }).connect();
 * const state = new RedisSessionState({ client: redis });
 * const idle = idleSession({ idleTimeout: 15 * 60_000, shared: state });
 * app.use(session({ maxAge: 'session', store: idleSessionRedisStore({ state, policy: idle.policy }) }, app));
 * app.use(idle);
 * ```
 * @throws TypeError when `state` or `policy` is missing.
 */
export function idleSessionRedisStore(options: KoaIdleSessionRedisStoreOptions): KoaIdleSessionRedisStore {
  const { state, policy } = options ?? ({} as KoaIdleSessionRedisStoreOptions);
  if (!state || typeof state.writeSession !== 'function') {
    throw new TypeError('idle-session: idleSessionRedisStore needs option "state", the RedisSessionState given to idleSession({ shared }).');
  }
  if (!policy || typeof policy.idleTimeout !== 'number') {
    throw new TypeError('idle-session: idleSessionRedisStore needs option "policy": pass idle.policy.');
  }
  let writes = 0;
  return {
    [CONDITIONAL_WRITES]: true,
    [STORE_KEY_OF]: (key) => key,
    // While Redis is unavailable: a session holding only the outage marker instead of an error, which
    // koa-session would turn into a 500 before the adapter runs; the adapter answers 503 and writes nothing.
    get: (key) => state.loadSession(key, JSON.parse),
    async set(key, session, _maxAge, options) {
      // koa-session's regenerate() saves at once and again at the end of the request: the adapter flags the
      // first, forced save (changed: false), and only the final data is written.
      const ctx = options?.ctx as Record<symbol, unknown> | undefined;
      if (ctx?.[SKIP_FORCED_SAVE] === true && options?.changed === false) return;
      if ((await state.writeSession(key, session, JSON.stringify, policy)) === 'written') writes++;
    },
    async destroy(key) {
      await state.deleteSession(key);
    },
    get writes() {
      return writes;
    },
  };
}
