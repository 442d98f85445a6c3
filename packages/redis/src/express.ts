import { CONDITIONAL_WRITES, STORE_KEY_OF, type IdlePolicy } from '@idle-session/core';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import type { RedisSessionState } from './state.js';

type Callback = (error?: unknown) => void;
type GetCallback = (error: unknown, session?: SessionData | null) => void;

/** Options of {@link IdleSessionRedisStore}. */
export interface IdleSessionRedisStoreOptions {
  /** The connected node-redis client, as for connect-redis. */
  client: unknown;
  /** The shared state, also given to the adapter as its `shared` option. */
  state: RedisSessionState;
  /** The adapter's policy: `idle.policy`. The TTL of every key follows it. */
  policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval' | 'clock'>;
  /** Key prefix, as for connect-redis. Default `sess:`. */
  prefix?: string;
}

/**
 * connect-redis's `RedisStore` for express-session, with the changes idle-session needs on several
 * instances; listing sessions (`all`, `ids`, `length`, `clear`) is connect-redis's own:
 *
 * - `set` writes conditionally, in one Lua script ({@link RedisSessionState.writeSession}): never a
 *   session that any instance ended, never an older last-activity, and with a TTL that follows the
 *   policy (the idle deadline plus `touchInterval`, never past the absolute deadline) instead of
 *   connect-redis's fixed day. Outcome: no round trip of the adapter's own before a write.
 * - `touch` does nothing: express-session touches on every request that did not change the session,
 *   status checks included, and those must never extend the key's life. The TTL moves only with the
 *   write that moves last-activity.
 * - `get` and `destroy` run within the state's timeout, read and delete the marker that remembers why a
 *   session ended once its key ran out, and answer an outage as the adapter expects.
 *
 * @example
 * ```ts
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const state = new RedisSessionState({ client: redis });
 * const idle = idleSession({ idleTimeout: 15 * 60_000, shared: state });
 * app.use(session({ store: new IdleSessionRedisStore({ client: redis, state, policy: idle.policy }), secret, resave: false, saveUninitialized: false }));
 * app.use(idle);
 * ```
 */
export class IdleSessionRedisStore extends RedisStore {
  /** Tells the adapter that writes are conditional, so it reads nothing before a write. */
  readonly [CONDITIONAL_WRITES] = true;
  /** The Redis key of the session with this id (`prefix + sid`), so a long request can keep it alive (see `STORE_KEY_OF` of core). */
  [STORE_KEY_OF](sid: string): string {
    return this.prefix + sid;
  }
  readonly #state: RedisSessionState;
  readonly #policy: IdleSessionRedisStoreOptions['policy'];
  /** How many times this store wrote a session (refused and needless writes do not count), for tests and benchmarks. */
  writes = 0;

  constructor(options: IdleSessionRedisStoreOptions) {
    if (!options?.state || typeof options.state.writeSession !== 'function') {
      throw new TypeError('idle-session: IdleSessionRedisStore needs option "state", the RedisSessionState given to idleSession({ shared }).');
    }
    if (!options.policy || typeof options.policy.idleTimeout !== 'number') {
      throw new TypeError('idle-session: IdleSessionRedisStore needs option "policy": pass idle.policy.');
    }
    super({ client: options.client, prefix: options.prefix, disableTouch: true });
    this.#state = options.state;
    this.#policy = options.policy;
  }

  /**
   * Reads a session within the state's timeout, in one round trip ({@link RedisSessionState.readSession}).
   * A session whose key ran out but whose reason is remembered is answered as an anonymous session that
   * remembers it, so the next page says why the user was signed out. While Redis is unavailable it
   * answers a session holding only the outage marker (`unavailableSession()` of core) instead of an
   * error, which express-session would turn into a 500 before the adapter runs; the adapter answers 503
   * and never writes the marker back.
   */
  override async get(sid: string, callback?: GetCallback): Promise<unknown> {
    let session: SessionData | null;
    try {
      session = (await this.#state.loadSession(this.prefix + sid, (data) => this.serializer.parse(data), { cookie: {} })) as SessionData | null;
    } catch (error) {
      if (!callback) throw error;
      return callback(error);
    }
    return callback ? callback(null, session) : session;
  }

  /** Destroys a session and the marker of why it would end, within the state's timeout; a `StoreUnavailableError` while Redis is unavailable. */
  override async destroy(sid: string, callback?: Callback): Promise<void> {
    try {
      await this.#state.deleteSession(this.prefix + sid);
      callback?.();
    } catch (error) {
      if (!callback) throw error;
      callback(error);
    }
  }

  /** Writes the session conditionally; see the class description. Errors go to `callback` (or reject). */
  override async set(sid: string, session: SessionData, callback?: Callback): Promise<void> {
    try {
      const data = session as unknown as Record<string, unknown>;
      const outcome = await this.#state.writeSession(this.prefix + sid, data, (value) => this.serializer.stringify(value as unknown as SessionData), this.#policy);
      if (outcome === 'written') this.writes++;
      callback?.();
    } catch (error) {
      if (!callback) throw error;
      callback(error);
    }
  }

  /** Does nothing: the key's TTL moves only with the write that moves last-activity. */
  override async touch(_sid: string, _session: SessionData, callback?: Callback): Promise<void> {
    callback?.();
  }
}
