import {
  emitAudit,
  ENDED_REASON_MEMORY_MS,
  endedRecord,
  expiryReasonAhead,
  IdlePolicyError,
  recordId,
  SESSION_KEY,
  storeTtlMs,
  systemClock,
  type AuditHook,
  type Clock,
  type ExpiryReason,
  type IdlePolicy,
} from '@idle-session/core';

/**
 * Options of {@link MemoryStore}. Durations in **milliseconds**.
 */
export interface MemoryStoreOptions {
  /**
   * The adapter's validated policy: pass `idle.policy` (the `policy` of the middleware returned by
   * `idleSession()`). Each session then leaves the store at its deadline, without any request: the
   * store keeps it for `storeTtlMs(session[SESSION_KEY], policy, now)` of `@idle-session/core` from
   * each write (a tracked session until its idle deadline plus `touchInterval`, never past its absolute
   * deadline), and its `clock` (default `Date.now()`) decides what "now" is, so tests can move it.
   *
   * Without it the store keeps every session until the process ends, as before (and warns once):
   * sessions whose browser never comes back pile up.
   */
  policy?: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval'> & { readonly clock?: Clock | undefined };
  /**
   * How often the store removes the sessions past their deadline, in milliseconds, on a timer that never
   * keeps the process alive (`unref()`). Default: the policy's `touchInterval`, at least 1 000 and at
   * most 60 000. A session's data is gone at the latest this long after its deadline; `get` never
   * returns it once the deadline has passed. Needs `policy`. At most 2 147 483 647 (Node's timer limit).
   */
  sweepInterval?: number | undefined;
  /**
   * The most ended-reason markers kept (see {@link MemoryStore}), oldest forgotten first: an integer,
   * `0` to keep none. Default 10 000 (about 1.4 MB: some 140 bytes each, measured). Bounds what sessions
   * nobody comes back to leave behind.
   */
  maxEndedReasons?: number | undefined;
  /**
   * Called with an `expired` event (`source: 'store'`, the non-secret `sessionId`, `reason` `idle` or
   * `absolute`, `at` the time the store found it by the policy's clock, `method` and `path` `null`) for each
   * tracked session that leaves the store at its deadline: the sessions nobody came back to, which no
   * request reports (as `RedisSessionState.watchExpiries` does for Redis). Pass the `audit` given to
   * `idleSession()`. Synchronous; what it throws is printed and ignored. Needs `policy`.
   */
  audit?: AuditHook | undefined;
}

/** One stored session: its serialized data, when it must be gone (epoch ms), and which timeout will end it. */
interface Entry {
  /** The key, as a string of its own (see {@link ownKey}): the one every table of the store holds. */
  readonly key: string;
  readonly json: string;
  readonly expiresAt: number;
  readonly reason: ExpiryReason | null;
  /** The record's non-secret id, kept only for the `audit` hook. */
  readonly id: string | null;
}

/** Node's largest timer delay, in milliseconds; larger ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;
/** The narrowest slice of deadlines the sweep files sessions by, in milliseconds (bounds how many slices a day of deadlines makes). */
const MIN_SLICE_MS = 1_000;
const DEFAULT_MAX_ENDED_REASONS = 10_000;
const KNOWN_OPTIONS = new Set(['policy', 'sweepInterval', 'maxEndedReasons', 'audit']);

let warnedWithoutPolicy = false;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

function isDuration(value: unknown, allowZero: boolean): value is number {
  return typeof value === 'number' && Number.isFinite(value) && (value > 0 || (allowZero && value === 0));
}

type StorePolicy = NonNullable<MemoryStoreOptions['policy']>;

/**
 * A copy of `key` that holds only its own characters, for a key the store keeps as long as its session or
 * marker lives. koa-session's keys are `randomUUID()`, which V8 builds as a rope of some twenty pieces
 * (about 500 bytes, measured) until something flattens it, and a key read from a cookie is a slice that
 * keeps the whole Cookie header alive; the copy takes about 90 bytes.
 */
function ownKey(key: string): string {
  return JSON.parse(JSON.stringify(String(key))) as string;
}

/** Validates `options.policy` field by field: a policy that is not `idle.policy` should fail at start-up, not at the first expiry. */
function checkPolicy(policy: unknown): StorePolicy {
  if (policy === null || typeof policy !== 'object') {
    throw new IdlePolicyError('policy', `must be the adapter's policy (pass idle.policy), got ${describe(policy)}.`);
  }
  const { idleTimeout, absoluteTimeout, touchInterval, clock } = policy as Record<string, unknown>;
  if (!isDuration(idleTimeout, false)) {
    throw new IdlePolicyError('policy.idleTimeout', `must be a finite number of milliseconds greater than zero (pass idle.policy), got ${describe(idleTimeout)}.`);
  }
  if (!isDuration(touchInterval, true)) {
    throw new IdlePolicyError('policy.touchInterval', `must be a finite number of milliseconds, zero or more (pass idle.policy), got ${describe(touchInterval)}.`);
  }
  if (absoluteTimeout !== null && absoluteTimeout !== undefined && !isDuration(absoluteTimeout, false)) {
    throw new IdlePolicyError('policy.absoluteTimeout', `must be null or a finite number of milliseconds greater than zero (pass idle.policy), got ${describe(absoluteTimeout)}.`);
  }
  if (clock !== undefined && (clock === null || typeof clock !== 'object' || typeof (clock as Clock).now !== 'function')) {
    throw new IdlePolicyError('policy.clock', `must be an object with a now() method returning epoch milliseconds, got ${describe(clock)}.`);
  }
  return policy as StorePolicy;
}

/**
 * An in-memory external store for koa-session, for development, tests and the sample app, like
 * express-session's MemoryStore. Everything is lost at restart and nothing is shared between
 * processes; use a real store (for example Redis) in production. koa-session's `maxAge` is ignored:
 * with `policy`, the policy decides how long a session is kept; the app's browser-session cookie
 * (`maxAge: 'session'`) has no expiry of its own.
 *
 * **Sessions leave at their deadline, without any request** (OWASP Session Management Cheat Sheet,
 * "Session Expiration": timeouts enforced on the server; a session nobody comes back to must not stay):
 * given the adapter's `policy`, each `set` keeps the session until `storeTtlMs(session[SESSION_KEY],
 * policy, now)` of `@idle-session/core` from now (a tracked session until its idle deadline plus
 * `touchInterval`, never past its absolute deadline; an anonymous session that only remembers why the
 * last one ended, `ENDED_REASON_MEMORY_MS`; any other session, and a tracked one with malformed
 * timestamps, the idle timeout plus `touchInterval`, so the next request finds it and fails closed). A
 * session already past its deadline is not stored. `get` never returns a session past
 * its deadline, and a sweep every `sweepInterval` removes them (it visits only the sessions whose
 * deadline has come, filed by deadline, not every session).
 *
 * **Why a tracked session ended outlives it, never its data.** When a tracked session leaves at its
 * deadline, the store keeps only a marker of which timeout ended it (`idle` or `absolute`: its key and
 * one number, no session data) for `ENDED_REASON_MEMORY_MS` (24 hours) after the deadline, and at most
 * `maxEndedReasons` of them. Until then `get` answers that key with an anonymous session holding
 * only `{ [SESSION_KEY]: { endedReason } }`, as `@idle-session/redis`'s store does, so a user who
 * walks away and comes back hours later is still told why. `destroy` (a sign-out) removes the marker too.
 * A copy of the cookie replayed after the deadline therefore gets that reason, never a session.
 *
 * **What the adapter no longer sees.** A session that leaves at its deadline is not found expired by a
 * request: pass the adapter's `audit` hook as `audit` so these expiries are logged (`source: 'store'`).
 * A request that counts as activity and runs longer than the idle timeout plus `touchInterval` (a slow
 * upload) needs {@link MemoryStore.idleSessionHold} called for its session while it runs, or its session
 * leaves the store meanwhile (as with Redis without `holdActive`).
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000, audit });
 * const store = new MemoryStore({ policy: idle.policy, audit });
 * app.use(session({ maxAge: 'session', httpOnly: true, sameSite: 'lax', store }, app));
 * app.use(idle);
 * // at shutdown (optional: the sweep's timer never keeps the process alive): store.close();
 * ```
 */
export class MemoryStore {
  readonly #sessions = new Map<string, Entry>();
  /**
   * Keys of stored sessions, filed by the slice of time their deadline falls in
   * (`Math.floor(expiresAt / slice)`), so a sweep visits only the slices that have come.
   */
  readonly #byDeadline = new Map<number, Set<string>>();
  /**
   * Ended-reason markers: key → `until` (epoch ms) for `idle`, `-until` for `absolute`. In insertion
   * order, which is about the order of `until`, so dropping the stale ones stops at the first live one.
   */
  readonly #endedReasons = new Map<string, number>();
  /** Sessions held by requests still running (see {@link MemoryStore.idleSessionHold}): how many, and until when at most. */
  readonly #pins = new Map<string, { count: number; readonly absoluteAt: number }>();
  readonly #policy: StorePolicy | null;
  readonly #clock: Clock;
  readonly #slice: number;
  readonly #maxEndedReasons: number;
  readonly #audit: AuditHook | null;
  /** The lowest slice not yet swept completely. */
  #cursor: number;
  #timer: ReturnType<typeof setInterval> | null = null;

  /**
   * @param options - see {@link MemoryStoreOptions}; `new MemoryStore()` keeps every session until the
   *   process ends (today's behaviour, with a one-time `console.warn` saying to pass `{ policy: idle.policy }`).
   * @throws {@link IdlePolicyError} (a `TypeError`) naming the option, when `options` is not an object,
   *   has an unknown option, when `policy` is not a policy (`policy.idleTimeout`, `policy.touchInterval`,
   *   `policy.absoluteTimeout`, `policy.clock` are checked), when `sweepInterval` is given without
   *   `policy` or is not a finite number of milliseconds in 1…2 147 483 647, when `maxEndedReasons`
   *   is not an integer of 0 or more, or when `audit` is given without `policy` or is not a function.
   */
  constructor(options: MemoryStoreOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new IdlePolicyError('options', `must be an object such as { policy: idle.policy }, got ${describe(options)}.`);
    }
    for (const name of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(name)) {
        throw new IdlePolicyError(name, `is not an option of MemoryStore (policy, sweepInterval, maxEndedReasons, audit); pass the policy as new MemoryStore({ policy: idle.policy }).`);
      }
    }
    const policy = options.policy === undefined ? null : checkPolicy(options.policy);
    const { sweepInterval, maxEndedReasons = DEFAULT_MAX_ENDED_REASONS, audit } = options;
    if (sweepInterval !== undefined) {
      if (policy === null) throw new IdlePolicyError('sweepInterval', 'needs option "policy": without it no session has a deadline to sweep by.');
      if (!isDuration(sweepInterval, false) || sweepInterval > MAX_TIMER_MS) {
        throw new IdlePolicyError('sweepInterval', `must be a finite number of milliseconds from 1 to ${MAX_TIMER_MS}, got ${describe(sweepInterval)}.`);
      }
    }
    if (typeof maxEndedReasons !== 'number' || !Number.isSafeInteger(maxEndedReasons) || maxEndedReasons < 0) {
      throw new IdlePolicyError('maxEndedReasons', `must be an integer of 0 or more, got ${describe(maxEndedReasons)}.`);
    }
    if (audit !== undefined) {
      if (typeof audit !== 'function') throw new IdlePolicyError('audit', `must be a function (event) => void, got ${describe(audit)}.`);
      if (policy === null) throw new IdlePolicyError('audit', 'needs option "policy": without it no session leaves the store by itself.');
    }
    this.#audit = audit ?? null;
    this.#policy = policy;
    this.#clock = policy?.clock ?? systemClock;
    this.#maxEndedReasons = maxEndedReasons;
    const every = sweepInterval ?? Math.min(60_000, Math.max(1_000, policy?.touchInterval ?? 0));
    this.#slice = Math.max(MIN_SLICE_MS, every);
    this.#cursor = Math.floor(this.#clock.now() / this.#slice);
    if (policy === null) {
      if (!warnedWithoutPolicy) {
        warnedWithoutPolicy = true;
        console.warn(
          'idle-session: new MemoryStore() without option "policy" keeps every session until the process ends, so sessions nobody ' +
            'comes back to pile up; pass new MemoryStore({ policy: idle.policy }) so each leaves at its deadline.',
        );
      }
      return;
    }
    // The timer holds the store only weakly: a store the app dropped without close() is still collected.
    const store = new WeakRef(this);
    const timer = setInterval(() => {
      const live = store.deref();
      if (live) live.sweep();
      else clearInterval(timer);
    }, every);
    timer.unref?.();
    this.#timer = timer;
  }

  /**
   * The session stored under `key`: a fresh copy of what was last `set`; once its deadline has passed,
   * an anonymous session holding only `{ [SESSION_KEY]: { endedReason } }` while the store remembers why
   * it ended (see {@link MemoryStore}); else `undefined`. Never a session past its deadline.
   */
  get(key: string): Promise<Record<string, unknown> | undefined> {
    const now = this.#clock.now();
    const entry = this.#sessions.get(key);
    if (entry !== undefined) {
      if (entry.expiresAt > now || this.#held(key, now)) return Promise.resolve(JSON.parse(entry.json) as Record<string, unknown>);
      this.#unfile(entry);
      this.#expire(entry, now);
    }
    const marker = this.#endedReasons.get(key);
    if (marker === undefined) return Promise.resolve(undefined);
    if (Math.abs(marker) > now) return Promise.resolve({ [SESSION_KEY]: endedRecord(marker < 0 ? 'absolute' : 'idle') });
    this.#endedReasons.delete(key);
    return Promise.resolve(undefined);
  }

  /**
   * Stores a copy of `session` (serialized as JSON) under `key`, until its deadline by the policy
   * (`storeTtlMs(session[SESSION_KEY], policy, now)`). A session already past its deadline (a TTL of 0)
   * is not stored: the session stored under `key` is removed instead, leaving the marker of why it ended
   * when it was tracked (as a Redis key deleted beside its marker); nothing is remembered for a key that
   * held nothing (a copy written back after a sign-out). Without `policy`, kept until `destroy`.
   */
  set(key: string, session: unknown): Promise<void> {
    const old = this.#sessions.get(key);
    if (old !== undefined) this.#unfile(old);
    const policy = this.#policy;
    if (policy === null) {
      this.#sessions.set(key, { key: old?.key ?? ownKey(key), json: JSON.stringify(session), expiresAt: Infinity, reason: null, id: null });
      return Promise.resolve();
    }
    const now = this.#clock.now();
    const record = session !== null && typeof session === 'object' ? (session as Record<string, unknown>)[SESSION_KEY] : undefined;
    const ttl = storeTtlMs(record, policy, now);
    if (ttl <= 0 && !this.#held(key, now)) {
      // Like a key deleted in Redis: the marker of why the stored session ends stays, and nothing else is
      // remembered (a copy written back after a sign-out must leave nothing behind).
      if (old !== undefined) this.#expire(old, old.expiresAt <= now ? now : null);
      return Promise.resolve();
    }
    const reason = expiryReasonAhead(record, policy);
    const id = reason !== null && this.#audit !== null ? recordId(record) : null;
    const entry: Entry = { key: old?.key ?? ownKey(key), json: JSON.stringify(session), expiresAt: now + ttl, reason, id };
    this.#sessions.set(entry.key, entry);
    this.#file(entry);
    this.#endedReasons.delete(key); // the session itself says what there is to say until its deadline
    return Promise.resolve();
  }

  /**
   * Holds the session stored under `key` while a request of it that counts as activity still runs (a slow
   * upload): until the returned function is called, neither `get` nor the sweep treats it as past its
   * deadline, unless its absolute deadline has come; then it is kept for at least the idle timeout plus
   * `touchInterval` more (never past its absolute deadline), as the end of the request is activity. Holds
   * of parallel requests add up; calling the returned function again does nothing. A session not stored,
   * or already past its deadline, is not held (nothing is revived). The in-process counterpart of
   * `RedisSessionState.holdActive` with its `keep`: no lease is needed, as the hold dies with the process.
   * The adapter is to call it for each request it holds (`holdRequest` of core), with koa-session's
   * external key; named like core's `STORE_KEY_OF` (`idleSessionKeyOf`) so no other store's method is
   * mistaken for it.
   * @returns the release: call it once the request ended, before its session is written.
   */
  idleSessionHold(key: string): () => void {
    const policy = this.#policy;
    const entry = this.#sessions.get(key);
    const now = this.#clock.now();
    if (policy === null || entry === undefined || entry.expiresAt <= now) return () => {};
    let pin = this.#pins.get(key);
    if (pin === undefined) {
      const record = (JSON.parse(entry.json) as Record<string, unknown> | null)?.[SESSION_KEY] as { createdAt?: unknown } | undefined;
      const absoluteAt = typeof record?.createdAt === 'number' && policy.absoluteTimeout != null ? record.createdAt + policy.absoluteTimeout : Infinity;
      this.#pins.set(entry.key, (pin = { count: 0, absoluteAt }));
    }
    pin.count++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--pin.count > 0 || this.#pins.get(key) !== pin) return;
      this.#pins.delete(key);
      const current = this.#sessions.get(key);
      if (current === undefined) return;
      const until = Math.min(this.#clock.now() + policy.idleTimeout + policy.touchInterval, pin.absoluteAt);
      if (until <= current.expiresAt) return;
      this.#unfile(current);
      const kept: Entry = { ...current, expiresAt: until, reason: until === pin.absoluteAt ? 'absolute' : current.reason };
      this.#sessions.set(kept.key, kept);
      this.#file(kept);
    };
  }

  /** Whether a request's hold keeps the session under `key` at `now`, whatever its own deadline (see {@link MemoryStore.idleSessionHold}). */
  #held(key: string, now: number): boolean {
    const pin = this.#pins.get(key);
    return pin !== undefined && now < pin.absoluteAt;
  }

  /** Removes the session stored under `key` and any marker of why it ended (a sign-out leaves nothing behind). */
  destroy(key: string): Promise<void> {
    const entry = this.#sessions.get(key);
    if (entry !== undefined) {
      this.#unfile(entry);
      this.#sessions.delete(key);
    }
    this.#endedReasons.delete(key);
    this.#pins.delete(key);
    return Promise.resolve();
  }

  /**
   * Removes every session past its deadline now, keeping a marker of why each tracked one ended, and
   * forgets markers older than `ENDED_REASON_MEMORY_MS` past their session's deadline. The store's timer
   * calls it every `sweepInterval`; call it yourself to sweep at a moment of your choosing.
   * @returns how many sessions it removed (markers not counted).
   */
  sweep(): number {
    if (this.#policy === null) return 0;
    const now = this.#clock.now();
    const due = Math.floor(now / this.#slice);
    let removed = 0;
    let next = due;
    const sweepSlice = (slice: number, keys: Set<string>): void => {
      for (const key of keys) {
        const entry = this.#sessions.get(key)!;
        if (entry.expiresAt > now) continue;
        if (this.#held(key, now)) {
          next = Math.min(next, slice); // past its own deadline, held by a request: visit it again
          continue;
        }
        keys.delete(key);
        this.#expire(entry, now);
        removed++;
      }
      if (keys.size === 0) this.#byDeadline.delete(slice);
    };
    if (due - this.#cursor > this.#byDeadline.size) {
      // The clock moved far (a process asleep, a test's clock): visit the filed slices, not every one between.
      for (const [slice, keys] of this.#byDeadline) if (slice <= due) sweepSlice(slice, keys);
    } else {
      for (let slice = this.#cursor; slice <= due; slice++) {
        const keys = this.#byDeadline.get(slice);
        if (keys !== undefined) sweepSlice(slice, keys);
      }
    }
    this.#cursor = next; // the current slice may still hold sessions whose deadline is later in it
    for (const [key, marker] of this.#endedReasons) {
      if (Math.abs(marker) > now) break;
      this.#endedReasons.delete(key);
    }
    return removed;
  }

  /**
   * Stops the sweep's timer. Optional: the timer never keeps the process alive, and stops by itself
   * once the store is garbage. Afterwards `get` still never returns a session past its deadline, but
   * nothing removes the ones nobody asks for. Calling it again does nothing.
   */
  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** How many sessions are stored, counting any past their deadline that the next sweep removes; markers of ended sessions not included. */
  get size(): number {
    return this.#sessions.size;
  }

  /** How many markers of why a session ended the store keeps (see {@link MemoryStore}): at most `maxEndedReasons`. */
  get endedReasonCount(): number {
    return this.#endedReasons.size;
  }

  /**
   * Removes a stored session (already taken out of its slice), keeping why it ends; `foundAt` (epoch ms)
   * when it reached its deadline, reported to the `audit` hook, `null` when it is only deleted.
   */
  #expire(entry: Entry, foundAt: number | null): void {
    this.#sessions.delete(entry.key);
    // Still held by a request (so its absolute deadline has come): that is what ends it, not the idle one.
    const held = this.#pins.delete(entry.key);
    if (entry.reason === null) return;
    const reason = held ? 'absolute' : entry.reason;
    this.#remember(entry.key, reason, entry.expiresAt + ENDED_REASON_MEMORY_MS);
    if (foundAt !== null && entry.id !== null) {
      emitAudit(this.#audit, { type: 'expired', sessionId: entry.id, at: foundAt, reason, method: null, path: null, source: 'store' });
    }
  }

  /** Keeps a marker of why the session under `key` (a key of its own) ended, until `until` (epoch ms). */
  #remember(key: string, reason: ExpiryReason, until: number): void {
    const markers = this.#endedReasons;
    if (this.#maxEndedReasons === 0) return;
    markers.delete(key); // to the end of the insertion order
    markers.set(key, reason === 'absolute' ? -until : until);
    if (markers.size > this.#maxEndedReasons) markers.delete(markers.keys().next().value!);
  }

  /** Files a stored session under the slice of time its deadline falls in. */
  #file(entry: Entry): void {
    if (entry.expiresAt === Infinity) return;
    const slice = Math.floor(entry.expiresAt / this.#slice);
    if (slice < this.#cursor) this.#cursor = slice; // a clock that went back
    let keys = this.#byDeadline.get(slice);
    if (keys === undefined) this.#byDeadline.set(slice, (keys = new Set()));
    keys.add(entry.key);
  }

  /** Takes a stored session out of its slice. */
  #unfile(entry: Entry): void {
    if (entry.expiresAt === Infinity) return;
    const slice = Math.floor(entry.expiresAt / this.#slice);
    const keys = this.#byDeadline.get(slice);
    if (keys === undefined) return;
    keys.delete(entry.key);
    if (keys.size === 0) this.#byDeadline.delete(slice);
  }
}
