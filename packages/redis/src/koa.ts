import { CONDITIONAL_WRITES, SKIP_FORCED_SAVE, StoreUnavailableError, unavailableSession, type IdlePolicy } from '@idle-session/core';
import koaRedis from 'koa-redis';
import type { RedisSessionState } from './state.js';

/** Options of {@link idleSessionRedisStore}. */
export interface KoaIdleSessionRedisStoreOptions {
  /** The connected node-redis client (koa-redis uses it for reading and destroying sessions). */
  client: unknown;
  /** The shared state, also given to the adapter as its `shared` option. */
  state: RedisSessionState;
  /** The adapter's policy: `idle.policy`. The TTL of every key follows it. */
  policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval' | 'clock'>;
}

/** A koa-session external store on Redis whose writes are conditional; see {@link idleSessionRedisStore}. */
export interface KoaIdleSessionRedisStore {
  readonly [CONDITIONAL_WRITES]: true;
  get(key: string): Promise<Record<string, unknown> | null>;
  set(key: string, session: Record<string, unknown>, maxAge?: unknown, options?: { changed?: boolean; ctx?: object }): Promise<void>;
  destroy(key: string): Promise<void>;
  /** How many times this store wrote a session (refused and needless writes do not count), for tests and benchmarks. */
  readonly writes: number;
}

/**
 * koa-redis's store for koa-session, with the change idle-session needs on several instances: `set`
 * writes conditionally, in one Lua script ({@link RedisSessionState.writeSession}): never a session that
 * any instance ended, never an older last-activity, and with a TTL that follows the policy (koa-redis
 * would store a `maxAge: 'session'` session with no TTL at all). Reading and destroying are koa-redis's.
 * koa-session's `maxAge` argument is ignored: idle-session's policy decides how long a session lives.
 * Every command runs within the state's `timeout`; while Redis is unavailable, `get` answers the outage
 * marker of core's `unavailableSession()` and the adapter answers 503.
 *
 * @example
 * ```ts
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const state = new RedisSessionState({ client: redis });
 * const idle = idleSession({ idleTimeout: 15 * 60_000, shared: state });
 * app.use(session({ maxAge: 'session', store: idleSessionRedisStore({ client: redis, state, policy: idle.policy }) }, app));
 * app.use(idle);
 * ```
 * @throws TypeError when `state` or `policy` is missing.
 */
export function idleSessionRedisStore(options: KoaIdleSessionRedisStoreOptions): KoaIdleSessionRedisStore {
  const { client, state, policy } = options ?? ({} as KoaIdleSessionRedisStoreOptions);
  if (!state || typeof state.writeSession !== 'function') {
    throw new TypeError('idle-session: idleSessionRedisStore needs option "state", the RedisSessionState given to idleSession({ shared }).');
  }
  if (!policy || typeof policy.idleTimeout !== 'number') {
    throw new TypeError('idle-session: idleSessionRedisStore needs option "policy": pass idle.policy.');
  }
  const base = koaRedis({ client });
  let writes = 0;
  return {
    [CONDITIONAL_WRITES]: true,
    // While Redis is unavailable: a session holding only the outage marker instead of an error, which
    // koa-session would turn into a 500 before the adapter runs; the adapter answers 503 and writes nothing.
    async get(key) {
      try {
        return ((await state.withinTimeout(() => base.get(key))) as Record<string, unknown> | null) ?? null;
      } catch (error) {
        if (error instanceof StoreUnavailableError) return unavailableSession();
        throw error;
      }
    },
    async set(key, session, _maxAge, options) {
      // koa-session's regenerate() saves at once and again at the end of the request: the adapter flags the
      // first, forced save (changed: false), and only the final data is written.
      const ctx = options?.ctx as Record<symbol, unknown> | undefined;
      if (ctx?.[SKIP_FORCED_SAVE] === true && options?.changed === false) return;
      if ((await state.writeSession(key, session, JSON.stringify, policy)) === 'written') writes++;
    },
    async destroy(key) {
      await state.withinTimeout(() => base.destroy(key));
    },
    get writes() {
      return writes;
    },
  };
}
