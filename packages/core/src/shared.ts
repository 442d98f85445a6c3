import type { IdlePolicy } from './policy.js';
import type { LedgerEnding } from './ledger.js';
import { isTracked, readEndedReason, type ExpiryReason, type SessionRecord } from './record.js';
import { sessionPolicy, type PolicyTimes } from './limits.js';

/**
 * How long a store remembers why a session ended after the session itself is gone: 24 hours, in
 * milliseconds. A store whose keys expire by themselves (Redis) keeps a small marker with the reason
 * (never the session's data) that long beyond the session's own TTL, and an anonymous session that only
 * remembers the reason lives that long, so a user who walks away and comes back hours later is still
 * told "signed out after 15 minutes of inactivity" (requirement 3), not just "please sign in".
 */
export const ENDED_REASON_MEMORY_MS = 24 * 60 * 60_000;

/**
 * Knowledge of ended sessions shared by every instance of an app (for example in Redis, see
 * `@idle-session/redis`), so that a sign-out or an expiry on one instance is final on all of them.
 *
 * An adapter given one (`shared` option) marks every tracked session it ends (sign-out, expiry,
 * replacement at sign-in) as ended **before** it destroys the session in the store, and a store that
 * writes conditionally (see {@link CONDITIONAL_WRITES}) refuses to write back a session marked ended.
 * For cookie-only sessions, which no store can delete, the adapter asks {@link SharedEndings.hasEnded}
 * on every request, so a copy of the cookie taken before a sign-out is refused by every instance
 * (OWASP Session Management Cheat Sheet: invalidated sessions must stay invalid).
 */
export interface SharedEndings {
  /**
   * Records that the tracked session with this record id ended, for `ttlMs` milliseconds.
   * @throws the shared service's error (the adapter then fails the request; nothing is destroyed).
   */
  markEnded(recordId: string, ttlMs: number, how?: LedgerEnding): Promise<void>;
  /** Whether any instance ended the tracked session with this record id (within its `ttlMs`). */
  hasEnded(recordId: string): Promise<boolean>;
  /**
   * Optional. How the tracked session with this record id ended, as given to `markEnded` (`idle` or
   * `absolute` after a timeout, else `signed-out`), or `null` when no instance ended it. With it, every
   * instance tells a request that still carries an expired session why it ended.
   * @throws the shared service's error.
   */
  ending?(recordId: string): Promise<LedgerEnding | null>;
  /**
   * Optional. A request of the tracked session with this record id that counts as activity (a slow
   * upload) is running on this instance: every instance must count the session as active for the next
   * `leaseMs` milliseconds ({@link SharedEndings.isHeldActive}). The adapter calls it every
   * {@link heartbeatMs} while the request runs. With `keep`, the store's copy of the session (under
   * `keep.key`) must not run out within `keep.ttlMs` either (its TTL is only ever lengthened).
   * @throws the shared service's error (the adapter ignores it: the next beat tries again).
   */
  holdActive?(recordId: string, leaseMs: number, keep?: { key: string; ttlMs: number }): Promise<void>;
  /**
   * Optional. The last-activity (epoch milliseconds) of the session the store keeps under `storeKey`, as
   * any instance last wrote it, or `null` when it is gone. Asked at the deadline of a long-lived response
   * (see `SessionWatch`), so activity on other instances moves it.
   */
  latestActivity?(storeKey: string): Promise<number | null>;
  /** Optional. Whether some instance holds the session with this record id active (see {@link SharedEndings.holdActive}). */
  isHeldActive?(recordId: string): Promise<boolean>;
  /**
   * Optional. Ends the hold of {@link SharedEndings.holdActive} early: the request ended and its write
   * of last-activity is in the store. Without it, the hold runs out by itself after its `leaseMs`.
   * @throws the shared service's error (the adapter ignores it).
   */
  releaseActive?(recordId: string): Promise<void>;
}

/**
 * How often, in milliseconds, an adapter tells the other instances (`SharedEndings.holdActive`) that a
 * request of a session is still running: every `touchInterval`, but at least every 15 s and at most every
 * second. The lease it takes lasts three beats, so an instance that dies mid-request holds no session for long.
 */
export function heartbeatMs(policy: Pick<IdlePolicy, 'touchInterval'>): number {
  return Math.min(15_000, Math.max(1_000, policy.touchInterval));
}

/**
 * A session store may define a method under this name that gives the key under which it keeps a
 * session, from the framework's session id (express-session's `req.sessionID`, koa-session's external
 * key), so that a long request on one instance can keep that key alive in a store whose keys expire by
 * themselves (see `SharedEndings.holdActive`). `@idle-session/redis`'s stores define it.
 */
export const STORE_KEY_OF = 'idleSessionKeyOf';

/** The key under which `store` keeps the session with this id, when it says (see {@link STORE_KEY_OF}); else `undefined`. */
export function storeKeyOf(store: unknown, sessionId: string | undefined): string | undefined {
  if (sessionId === undefined || typeof store !== 'object' || store === null) return undefined;
  const keyOf = (store as Record<string, unknown>)[STORE_KEY_OF];
  return typeof keyOf === 'function' ? String(keyOf.call(store, sessionId)) : undefined;
}

/**
 * A store that sets this property to `true` makes every write conditional in the store itself: it
 * refuses to write a tracked session marked ended in {@link SharedEndings}, and never moves a stored
 * last-activity backwards. The adapter then skips its own read of the store before a write, so a
 * write costs one round trip and there is no gap between the check and the write.
 */
export const CONDITIONAL_WRITES = 'idleSessionConditionalWrites';

/** Whether a session store writes conditionally (it sets {@link CONDITIONAL_WRITES} to `true`). */
export function writesConditionally(store: unknown): boolean {
  return typeof store === 'object' && store !== null && (store as Record<string, unknown>)[CONDITIONAL_WRITES] === true;
}

/**
 * Set to `true` on a request (Koa's `ctx`) by an adapter that is about to make the session middleware
 * save a new session at once and then again at the end of the request (koa-session's `regenerate()`
 * does both): a store that writes conditionally skips that first, forced save (koa-session passes
 * `changed: false`) and clears the flag, so the new session is written once, with its final data.
 */
export const SKIP_FORCED_SAVE: unique symbol = Symbol.for('idle-session.skipForcedSave');

/**
 * How long a session store should keep a session, in milliseconds from `now`, so that the store's
 * clock follows the policy (a fixed one-day TTL is how expired sessions linger in stores):
 *
 * - a tracked session: until its idle deadline plus `touchInterval` (last-activity is written at most
 *   once per `touchInterval`), and never past its absolute deadline, by the session's own timeouts when
 *   its record has them (see `sessionPolicy`), else the policy's;
 * - an anonymous session that only remembers why the last one ended: {@link ENDED_REASON_MEMORY_MS};
 * - any other session (anonymous), and a tracked one whose timestamps or own timeouts are malformed (kept so that the
 *   next request finds it and fails closed, saying why): the idle timeout plus `touchInterval`.
 *
 * Rounded up to whole milliseconds; at least 1 while the session may live, `0` when it must already
 * be gone (the store should delete it instead of writing it). Correct for timeouts of any length
 * (30 days is 2 592 000 000 ms, beyond 32-bit integers; Redis `PX` takes 64-bit values).
 *
 * @param record - the untrusted value stored under `SESSION_KEY` (malformed timestamps count as expired).
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 */
export function storeTtlMs(record: unknown, policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval'>, now: number): number {
  if (!isTracked(record)) return readEndedReason(record) ? ENDED_REASON_MEMORY_MS : policy.idleTimeout + policy.touchInterval;
  const { createdAt, lastActivity } = record as SessionRecord;
  const own = sessionPolicy(record, policy as PolicyTimes);
  if (!isFiniteNumber(createdAt) || !isFiniteNumber(lastActivity) || own === null) return policy.idleTimeout + policy.touchInterval;
  let until = lastActivity + own.idleTimeout + own.touchInterval;
  if (own.absoluteTimeout !== null) until = Math.min(until, createdAt + own.absoluteTimeout);
  return Math.max(0, Math.ceil(until - now));
}

/**
 * Which timeout will end a tracked session if nothing else happens: `'absolute'` when its absolute
 * deadline comes no later than its idle deadline, else `'idle'` (by the session's own timeouts when its
 * record has them); `null` for a record that is not tracked or has malformed timestamps or timeouts. A store that lets keys expire by themselves writes it beside the session
 * (see {@link ENDED_REASON_MEMORY_MS}), so the reason survives the session.
 */
export function expiryReasonAhead(record: unknown, policy: Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout'>): ExpiryReason | null {
  if (!isTracked(record)) return null;
  const { createdAt, lastActivity } = record as SessionRecord;
  const own = sessionPolicy(record, { touchInterval: 0, ...policy });
  if (!isFiniteNumber(createdAt) || !isFiniteNumber(lastActivity) || own === null) return null;
  return own.absoluteTimeout !== null && createdAt + own.absoluteTimeout <= lastActivity + own.idleTimeout ? 'absolute' : 'idle';
}

/**
 * How long a mark of an ended session must be kept, in milliseconds: as long as a copy of the session
 * (a copied cookie-only cookie, or a request still in flight) could otherwise still be used, which is
 * until the copy's own idle deadline: the idle timeout plus `touchInterval` from the end at most.
 * Pass the session's policy (`sessionPolicy(record, policy)`) for a session with its own timeouts.
 */
export function endedTtlMs(policy: Pick<IdlePolicy, 'idleTimeout' | 'touchInterval'>): number {
  return policy.idleTimeout + policy.touchInterval;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
