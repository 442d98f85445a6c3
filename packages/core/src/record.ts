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
 * - A signed-in, tracked session: `{ createdAt, lastActivity }`, epoch milliseconds.
 * - A fresh anonymous session that replaced an expired one: `{ endedReason }`, so the next page can
 *   say why the user was signed out; it is dropped at the next sign-in.
 */
export interface SessionRecord {
  /** When tracking started (sign-in), epoch milliseconds. */
  createdAt?: number;
  /** The last recorded activity, epoch milliseconds. */
  lastActivity?: number;
  /** Set only on the anonymous session that replaced an expired one. */
  endedReason?: ExpiryReason;
}

/** The key under which {@link SessionRecord} is stored in the framework's session object. */
export const SESSION_KEY = 'idleSession';

/**
 * Starts tracking: the record a session gets at sign-in.
 * @param now - epoch milliseconds.
 */
export function startRecord(now: number): SessionRecord {
  return { createdAt: now, lastActivity: now };
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
