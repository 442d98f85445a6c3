import {
  ENDED_REASON_MEMORY_MS,
  endedRecord,
  expiryReasonAhead,
  readEndedReason,
  recordId,
  SESSION_KEY,
  storeTtlMs,
  StoreUnavailableError,
  type ExpiryReason,
  type IdlePolicy,
  type SessionRecord,
  type SharedEndings,
  emitAudit,
  type LedgerEnding,
  type AuditHook,
  unavailableSession,
  withLaterLimits,
} from '@idle-session/core';
import { ErrorReply } from 'redis';
import { CONDITIONAL_WRITE_SCRIPT, CONDITIONAL_WRITE_SHA, HOLD_ACTIVE_SCRIPT, HOLD_ACTIVE_SHA, LAST_ACTIVITY_MARK } from './script.js';

/**
 * The commands of the official `redis` client (node-redis 5) that idle-session uses. A client made by
 * `createClient()` (and connected) fits; so does a cluster client if every key shares a hash slot.
 */
export interface RedisCommands {
  set(key: string, value: string, options: { expiration: { type: 'PX'; value: number }; condition?: 'NX' }): Promise<unknown>;
  get(key: string): Promise<string | null>;
  exists(key: string): Promise<number>;
  mGet(keys: string[]): Promise<(string | null)[]>;
  del(key: string | string[]): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link RedisSessionState}. */
export interface RedisSessionStateOptions {
  /** A connected node-redis client (`await createClient({ url }).connect()`), shared with the session store. */
  client: RedisCommands;
  /** Prefix of the ended marks' keys. Default `idle-session:ended:`. */
  prefix?: string;
  /** Prefix of the markers that remember why a session ended once its key is gone. Default `idle-session:reason:`. */
  reasonPrefix?: string;
  /** Prefix of the leases of sessions held active by a long request on some instance. Default `idle-session:active:`. */
  activePrefix?: string;
  /**
   * The longest a Redis command may take, in milliseconds, before the store counts as unavailable (the
   * adapters then answer 503 and fail closed). Default 2 000. Create the client with
   * `disableOfflineQueue: true` so that commands fail at once while it is disconnected, instead of waiting.
   */
  timeout?: number;
}

/** Server replies that mean "not now" rather than "wrong": Redis is loading, busy, or failing over. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

/** What {@link RedisSessionState.writeSession} did. */
export type WriteOutcome =
  /** Written, with a TTL that follows the policy. */
  | 'written'
  /** Not written: the session's record is marked ended (signed out or expired on some instance). */
  | 'ended'
  /** Not written: the store already holds this session with a last-activity less than `touchInterval` older. */
  | 'unchanged'
  /** Not written but deleted: its deadline has passed (TTL 0), by the stored copy too. */
  | 'deleted';

/**
 * The marker kept beside a tracked session (see {@link RedisSessionState.writeSession}): `<reason>:<record id>`,
 * the reason it will end (`idle` or `absolute`) and its non-secret id, so that the end of a session nobody
 * came back to can still be told and logged. A bare `<reason>` (older markers) has no id.
 */
function parseMarker(value: string | null | undefined): { reason: string | null; id: string | null } {
  if (typeof value !== 'string') return { reason: null, id: null };
  const at = value.indexOf(':');
  return at === -1 ? { reason: value, id: null } : { reason: value.slice(0, at), id: value.slice(at + 1) || null };
}

/** A node-redis client for Pub/Sub (`client.duplicate()`, connected): it only subscribes. */
export interface RedisSubscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
}

/** Options of {@link RedisSessionState.watchExpiries}. */
export interface WatchExpiriesOptions {
  /** A connected node-redis client used for nothing else (Pub/Sub takes the connection): `await client.duplicate().connect()`. */
  subscriber: RedisSubscriber;
  /** The adapters' audit hook: called with an `expired` event (`source: 'store'`) for each session that ran out in Redis. */
  audit: AuditHook;
  /** The Redis database the sessions live in. Default 0. */
  database?: number;
  /**
   * Turn on Redis's keyspace notifications for expired keys (`notify-keyspace-events` gets `E` and `x`, keeping
   * what it had). Default `true`; set `false` where `CONFIG SET` is not allowed (managed Redis) and enable
   * them there instead.
   */
  configure?: boolean;
  /** Where event times come from. Default `Date.now`. */
  clock?: { now(): number };
}

/** How many times a write is retried when the stored copy holds a later last-activity. */
const MAX_MERGES = 5;

/**
 * One truth about every session across the instances of an app that share one Redis:
 *
 * - **ended marks** (tombstones), keyed by the record's non-secret `id`, living as long as a copy of the
 *   ended session could be used ({@link endedTtlMs} of core). Pass the object as the adapter's `shared`
 *   option: a sign-out or expiry on one instance is then final on every instance, and copied cookie-only
 *   sessions are refused everywhere.
 * - **conditional writes** for the session stores of `@idle-session/redis/express` and
 *   `@idle-session/redis/koa`: one Lua script that writes a session only if its record is not marked
 *   ended, never moves a stored last-activity backwards, and sets the key's TTL from the policy
 *   (`storeTtlMs` of core) in the same command, so a write costs one round trip and no request in flight
 *   on another instance can bring a signed-out session back (OWASP Session Management Cheat Sheet).
 *
 * While Redis cannot be reached, or answers slower than `timeout`, every method throws a
 * `StoreUnavailableError` (see {@link withinTimeout}): the adapters answer 503 and lose nothing.
 */
export class RedisSessionState implements SharedEndings {
  readonly #client: RedisCommands;
  readonly #prefix: string;
  readonly #reasonPrefix: string;
  readonly #activePrefix: string;
  /** The command timeout in milliseconds (see {@link RedisSessionStateOptions.timeout}). */
  readonly timeout: number;

  /**
   * @throws TypeError naming the option when `client` does not look like a node-redis client, `prefix` is
   *   not a string, or `timeout` is not a positive number of milliseconds.
   */
  constructor(options: RedisSessionStateOptions) {
    const client = options?.client as Partial<RedisCommands> | undefined;
    if (!client || typeof client.evalSha !== 'function' || typeof client.exists !== 'function') {
      throw new TypeError('idle-session: RedisSessionState needs option "client", a connected node-redis client: await createClient({ url }).connect().');
    }
    for (const name of ['prefix', 'reasonPrefix', 'activePrefix'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'string') {
        throw new TypeError(`idle-session: RedisSessionState option "${name}" must be a string, got ${typeof options[name]}.`);
      }
    }
    const timeout = options.timeout ?? 2_000;
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
      throw new TypeError(`idle-session: RedisSessionState option "timeout" must be a positive number of milliseconds, got ${String(options.timeout)}.`);
    }
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'idle-session:ended:';
    this.#reasonPrefix = options.reasonPrefix ?? 'idle-session:reason:';
    this.#activePrefix = options.activePrefix ?? 'idle-session:active:';
    this.timeout = timeout;
  }

  /**
   * Runs a Redis operation within {@link timeout}. A timeout, a connection error, or a reply that means
   * Redis cannot serve now (LOADING, BUSY, MASTERDOWN, READONLY, TRYAGAIN, CLUSTERDOWN) becomes a
   * `StoreUnavailableError` (503); any other error is thrown as it is (a bug must stay visible).
   */
  async withinTimeout<T>(operation: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`Redis did not answer within ${this.timeout} ms.`)), this.timeout);
    });
    try {
      return await Promise.race([operation(), late]);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      if (error instanceof ErrorReply && !TRANSIENT_REPLY.test(error.message)) throw error;
      throw new StoreUnavailableError(`Redis is unavailable: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  /** The key of the ended mark of a record id. */
  endedKey(recordId: string): string {
    return this.#prefix + recordId;
  }

  /** The key of the marker that remembers why the session stored under `key` ends. */
  reasonKey(key: string): string {
    return this.#reasonPrefix + key;
  }

  /**
   * Reads the session stored under `key`, in one round trip: its serialized data, or, once the key is
   * gone (its TTL ran out), why it ended, from the marker {@link writeSession} keeps beside it
   * (`ENDED_REASON_MEMORY_MS` of core). A store answers a gone session with a known reason as an anonymous
   * session holding `endedRecord(reason)`, so the user learns why.
   */
  async readSession(key: string): Promise<{ data: string | null; endedReason: ExpiryReason | null }> {
    const [data, reason] = await this.withinTimeout(() => this.#client.mGet([key, this.reasonKey(key)]));
    return { data: data ?? null, endedReason: data == null ? readEndedReason({ endedReason: parseMarker(reason).reason }) : null };
  }

  /**
   * What a session store's `get` answers for `key`: the stored session (parsed with `parse`); once its key
   * ran out, an anonymous session holding `endedRecord(reason)` when the reason is remembered, so the user
   * learns why; `null` when nothing is known; and while Redis is unavailable, a session holding only the
   * outage marker (`unavailableSession()` of core) instead of an error, which the session middleware
   * would turn into a 500 before the adapter runs (the adapter answers 503 and never writes it back).
   * `extra` is added to a session made here (express-session needs a `cookie`).
   * @throws any error that is not an outage (a bug must stay visible).
   */
  async loadSession(key: string, parse: (data: string) => unknown, extra: Record<string, unknown> = {}): Promise<Record<string, unknown> | null> {
    try {
      const { data, endedReason } = await this.readSession(key);
      if (data !== null) return (await parse(data)) as Record<string, unknown>;
      return endedReason ? { ...extra, [SESSION_KEY]: endedRecord(endedReason) } : null;
    } catch (error) {
      if (error instanceof StoreUnavailableError) return { ...extra, ...unavailableSession() };
      throw error;
    }
  }

  /** Deletes the session stored under `key` and the marker of why it would end (a sign-out, or a new session id). */
  async deleteSession(key: string): Promise<void> {
    await this.withinTimeout(() => this.#client.del([key, this.reasonKey(key)]));
  }

  /**
   * Marks the tracked session with this record id as ended on every instance, for `ttlMs` milliseconds,
   * and how (`idle` or `absolute` after a timeout, else `signed-out`), so every instance tells a request
   * that still carries it why it ended (see {@link RedisSessionState.ending}). A timeout already marked is kept.
   */
  async markEnded(recordId: string, ttlMs: number, how: LedgerEnding = 'signed-out'): Promise<void> {
    const key = this.endedKey(recordId);
    const expiration = { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) } as const;
    await this.withinTimeout(async () => {
      // A timeout wins over a later sign-out of the same session: NX keeps the first ending, and a
      // sign-out only ever writes where nothing is (the same key, `1` in markers of older versions).
      if (how === 'signed-out') await this.#client.set(key, how, { expiration, condition: 'NX' });
      else await this.#client.set(key, how, { expiration });
    });
  }

  /** How the tracked session with this record id ended (`idle`, `absolute`, `signed-out`), or `null` when no instance ended it. */
  async ending(recordId: string): Promise<LedgerEnding | null> {
    const value = await this.withinTimeout(() => this.#client.get(this.endedKey(recordId)));
    if (value == null) return null;
    return value === 'idle' || value === 'absolute' ? value : 'signed-out';
  }

  /** Whether some instance marked the tracked session with this record id as ended. */
  async hasEnded(recordId: string): Promise<boolean> {
    return (await this.withinTimeout(() => this.#client.exists(this.endedKey(recordId)))) === 1;
  }

  /** The key of the lease of a record id (see {@link holdActive}). */
  activeKey(recordId: string): string {
    return this.#activePrefix + recordId;
  }

  /**
   * Holds the tracked session with this record id active on every instance for `leaseMs` milliseconds:
   * a request of it that counts as activity (a long upload) is running on this instance. With `keep`, the
   * session's key (`keep.key`, and its reason marker) is kept for at least `keep.ttlMs` more, never less
   * than it already had, so the store does not drop a session in use. One round trip (a Lua script).
   */
  async holdActive(recordId: string, leaseMs: number, keep?: { key: string; ttlMs: number }): Promise<void> {
    const keys = keep ? [this.activeKey(recordId), keep.key, this.reasonKey(keep.key)] : [this.activeKey(recordId)];
    const ttl = keep ? Math.max(1, Math.ceil(keep.ttlMs)) : 0;
    const args = [String(Math.max(1, Math.ceil(leaseMs))), String(ttl), String(ttl + ENDED_REASON_MEMORY_MS)];
    await this.withinTimeout(() => this.#eval(HOLD_ACTIVE_SCRIPT, HOLD_ACTIVE_SHA, keys, args));
  }

  /**
   * Logs the end of every session that simply runs out in Redis, with nobody coming back to find out (as
   * Spring Session does): subscribes to Redis's keyspace notifications of expired keys and, for each
   * session key that expired, calls `audit` with an `expired` event (`source: 'store'`, the reason and the
   * non-secret `sessionId` from the marker kept beside the session, no method or path). Every instance may
   * watch: one of them reports each session (a short `SET NX` decides). Sessions ended by a request (an
   * expiry found by a request, a sign-out) are deleted, not expired, and are reported by the adapters.
   *
   * @returns a function that stops watching.
   * @throws the Redis error when the subscription (or, with `configure`, `CONFIG SET`) fails.
   */
  async watchExpiries(options: WatchExpiriesOptions): Promise<() => Promise<void>> {
    const { subscriber, audit, database = 0, configure = true, clock = { now: () => Date.now() } } = options;
    if (configure) await this.#enableExpiryNotifications();
    const channel = `__keyevent@${database}__:expired`;
    const skipped = [this.#prefix, this.#reasonPrefix, this.#activePrefix];
    const onExpired = async (key: string): Promise<void> => {
      if (skipped.some((prefix) => key.startsWith(prefix))) return;
      const { reason, id } = parseMarker(await this.withinTimeout(() => this.#client.get(this.reasonKey(key))));
      const known = readEndedReason({ endedReason: reason });
      if (!known || id === null) return; // not a tracked session of ours
      const first = await this.withinTimeout(() =>
        this.#client.set(`${this.#activePrefix}reported:${id}`, '1', { condition: 'NX', expiration: { type: 'PX', value: 60_000 } }),
      );
      if (first === null) return; // another instance reported it
      emitAudit(audit, { type: 'expired', sessionId: id, at: clock.now(), reason: known, method: null, path: null, source: 'store' });
    };
    await subscriber.subscribe(channel, (key) => void onExpired(key).catch(() => {})); // an outage loses a log line, never the process
    return async () => void (await subscriber.unsubscribe(channel));
  }

  async #enableExpiryNotifications(): Promise<void> {
    const client = this.#client as RedisCommands & {
      configGet?(parameter: string): Promise<Record<string, string>>;
      configSet?(parameter: string, value: string): Promise<unknown>;
    };
    if (!client.configGet || !client.configSet) throw new TypeError('idle-session: watchExpiries({ configure: true }) needs a node-redis client with configGet and configSet.');
    const current = (await client.configGet('notify-keyspace-events'))['notify-keyspace-events'] ?? '';
    const wanted = [...new Set([...current, 'E', current.includes('A') ? '' : 'x'].filter(Boolean))].join('');
    if (wanted !== current) await client.configSet('notify-keyspace-events', wanted);
  }

  /**
   * The last-activity of the session stored under `key`, as any instance last wrote it (epoch
   * milliseconds), or `null` when it is gone or holds none. Sessions are read as JSON (connect-redis's and
   * the Koa store's serializer).
   */
  async latestActivity(key: string): Promise<number | null> {
    const data = await this.withinTimeout(() => this.#client.get(key));
    if (data === null) return null;
    try {
      const value = (JSON.parse(data) as Record<string, { lastActivity?: unknown } | undefined>)[SESSION_KEY]?.lastActivity;
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    } catch {
      return null;
    }
  }

  /** Ends the hold of {@link holdActive} early: the request ended and its write is in Redis. */
  async releaseActive(recordId: string): Promise<void> {
    await this.withinTimeout(() => this.#client.del(this.activeKey(recordId)));
  }

  /** Whether some instance holds the tracked session with this record id active (see {@link holdActive}). */
  async isHeldActive(recordId: string): Promise<boolean> {
    return (await this.withinTimeout(() => this.#client.exists(this.activeKey(recordId)))) === 1;
  }

  /**
   * Writes a session under `key`, conditionally (see the class description), with a TTL from
   * `storeTtlMs(record, policy, now)`, and, for a tracked session, a small marker of why it will end
   * (`idle` or `absolute`) that outlives it by `ENDED_REASON_MEMORY_MS` (see {@link readSession}); a
   * session whose deadline has passed is deleted instead, unless the stored copy holds a later
   * last-activity (a request that held an old copy while others kept the session alive).
   * When the stored copy holds a later last-activity of the same sign-in, the session's record is
   * updated in place to it and written again; so it is with limits the stored copy had changed later
   * (`setLimits`, see `withLaterLimits` of core). The TTL and the reason marker follow the session's own
   * timeouts when its record has them.
   *
   * @param key - the store's key for the session (its prefix included).
   * @param session - the session data; its idle-session record is read from `session[SESSION_KEY]`.
   * @param serialize - how the store serializes a session (JSON for connect-redis and the Koa store).
   * @param policy - the adapter's policy (`idle.policy`).
   */
  async writeSession(
    key: string,
    session: Record<string, unknown>,
    serialize: (session: Record<string, unknown>) => string,
    policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval' | 'clock'>,
  ): Promise<WriteOutcome> {
    const mark = JSON.stringify(LAST_ACTIVITY_MARK);
    for (let merges = 0; ; merges++) {
      const record = session[SESSION_KEY] as SessionRecord | undefined;
      const ttl = storeTtlMs(record, policy, policy.clock.now());
      const id = recordId(record);
      const tracked = id !== null && typeof record?.createdAt === 'number' && typeof record.lastActivity === 'number';
      const args = [
        serialize(session),
        String(Math.max(0, ttl)), // 0: past its deadline by this copy; deleted unless the stored copy is later (its reason marker stays)
        SESSION_KEY,
        tracked ? String(record!.createdAt) : '',
        tracked && merges < MAX_MERGES ? String(record!.lastActivity) : '',
        tracked ? serialize({ ...session, [SESSION_KEY]: { ...record, lastActivity: LAST_ACTIVITY_MARK } }) : '',
        mark,
        String(policy.touchInterval),
        tracked && expiryReasonAhead(record, policy) ? `${expiryReasonAhead(record, policy)}:${id}` : '',
        String(ttl + ENDED_REASON_MEMORY_MS),
        tracked && typeof record!.limitsSetAt === 'number' ? String(record!.limitsSetAt) : '0',
      ];
      const result = await this.withinTimeout(() => this.#eval(CONDITIONAL_WRITE_SCRIPT, CONDITIONAL_WRITE_SHA, [key, this.endedKey(id ?? '-'), this.reasonKey(key)], args));
      if (result === 0) return 'ended';
      if (result === 1) return 'written';
      if (result === 2) return 'unchanged';
      if (result === 3) return 'deleted';
      if (Array.isArray(result) && result[0] === 'limits') {
        // Limits changed later on some instance (setLimits): write with them, never the old ones.
        session[SESSION_KEY] = withLaterLimits(record, JSON.parse(String(result[1])) as unknown);
        continue;
      }
      session[SESSION_KEY] = { ...record, lastActivity: Number(result) };
    }
  }

  async #eval(script: string, sha: string, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalSha(sha, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return this.#client.eval(script, { keys, arguments: args });
    }
  }
}
