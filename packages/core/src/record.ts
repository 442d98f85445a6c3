/**
 * Why a tracked session ended without a sign-out.
 * - `idle`: no activity for longer than the idle timeout.
 * - `absolute`: the session reached the absolute timeout (its maximum length).
 */
export type ExpiryReason = 'idle' | 'absolute';

/** The expiry reasons, for validation. */
export const EXPIRY_REASONS: readonly ExpiryReason[] = Object.freeze(['idle', 'absolute']);

/**
 * What idle-session keeps inside the framework's session (express-session's `req.session`,
 * koa-session's `ctx.session`) under {@link SESSION_KEY}. Plain JSON, so every session store can
 * hold it.
 *
 * - A signed-in, tracked session: `{ id, createdAt, lastActivity }`: a random identifier (not secret,
 *   never the cookie value) and two epoch-millisecond timestamps; with the session's own timeouts when
 *   it has them (`idleTimeout`, `absoluteTimeout`, `warnBefore`, in milliseconds, chosen at sign-in), and
 *   after a `setLimits` also `idleTimeoutAtSignIn`, `absoluteTimeoutAtSignIn` and `limitsSetAt`.
 * - A fresh anonymous session that replaced an expired one: `{ endedReason }`, so the next page can
 *   say why the user was signed out; it is dropped at the next sign-in.
 */
export interface SessionRecord {
  /**
   * A random, non-secret identifier of the tracked session, made at sign-in. Lets a server remember
   * sessions it ended (see `SessionLedger`) even where there is no session id, as with cookie-only
   * sessions. Never the cookie value.
   */
  id?: string;
  /** When tracking started (sign-in), epoch milliseconds. */
  createdAt?: number;
  /** The last recorded activity, epoch milliseconds. */
  lastActivity?: number;
  /** Set only on the anonymous session that replaced an expired one. */
  endedReason?: ExpiryReason;
  /**
   * The session's own idle timeout, in milliseconds, chosen at sign-in or changed by `setLimits`
   * (see `SessionLimits`). Absent: the policy's (records of older versions, sign-ins without limits).
   */
  idleTimeout?: number;
  /** The session's own absolute timeout, in milliseconds from `createdAt`. Absent: the policy's. */
  absoluteTimeout?: number;
  /** The session's own warning lead, in milliseconds before the idle deadline. Absent: the policy's (or its default for the session's idle timeout). */
  warnBefore?: number;
  /** Set by the first `setLimits`: the idle timeout the session's sign-in allowed, in milliseconds (loosening past it needs `allowLonger`). */
  idleTimeoutAtSignIn?: number;
  /** Set by the first `setLimits`: the absolute timeout the session's sign-in allowed, in milliseconds, or `null` for none. */
  absoluteTimeoutAtSignIn?: number | null;
  /** Set by `setLimits`: when the limits were last changed, epoch milliseconds (orders copies of the session, see `withLaterLimits`). */
  limitsSetAt?: number;
}

/** The key under which {@link SessionRecord} is stored in the framework's session object. */
export const SESSION_KEY = 'idleSession';

/** A fresh random identifier for a tracked session (a UUID from the platform's crypto). */
export function newRecordId(): string {
  return (globalThis as unknown as { crypto: { randomUUID(): string } }).crypto.randomUUID();
}

/**
 * Starts tracking: the record a session gets at sign-in.
 * @param now - epoch milliseconds.
 * @param id - the record's identifier; a fresh random one by default.
 */
export function startRecord(now: number, id: string = newRecordId()): SessionRecord {
  return { id, createdAt: now, lastActivity: now };
}

/** The identifier of a record, or `null` when it has none (untrusted input: only a non-empty string of at most 100 characters counts). */
export function recordId(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const id = (record as { id?: unknown }).id;
  return typeof id === 'string' && id.length > 0 && id.length <= 100 ? id : null;
}

/** A record that remembers why the previous session ended (stored in the fresh anonymous session). */
export function endedRecord(reason: ExpiryReason): SessionRecord {
  return { endedReason: reason };
}

/**
 * Reads the expiry reason remembered by an anonymous session, or `null`.
 * Untrusted input: anything but a known reason gives `null`.
 */
export function readEndedReason(record: unknown): ExpiryReason | null {
  if (record === null || typeof record !== 'object') return null;
  const reason = (record as { endedReason?: unknown }).endedReason;
  return typeof reason === 'string' && (EXPIRY_REASONS as readonly string[]).includes(reason)
    ? (reason as ExpiryReason)
    : null;
}

/**
 * Whether the record says the session is tracked (signed in), whatever its timestamps.
 * A record with any of the two timestamp fields present counts as tracked, so that a tampered
 * or half-written record is evaluated (and fails closed) instead of being ignored.
 */
export function isTracked(record: unknown): boolean {
  if (record === null || typeof record !== 'object') return false;
  return 'createdAt' in record || 'lastActivity' in record;
}
