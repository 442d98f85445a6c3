import { sessionPolicy } from './limits.js';
import type { IdlePolicy } from './policy.js';
import { isTracked, readEndedReason, recordId, type ExpiryReason } from './record.js';

/** A tracked session that is still alive at the evaluation time. All durations in milliseconds. */
export interface ActiveSession {
  readonly state: 'active';
  /** Milliseconds until the session ends, whichever timeout comes first. */
  readonly remainingMs: number;
  /** Milliseconds until the idle deadline if there is no more activity. */
  readonly idleRemainingMs: number;
  /** Milliseconds until the absolute deadline, or `null` without an absolute timeout. */
  readonly absoluteRemainingMs: number | null;
  /** Epoch milliseconds of the recorded last activity. */
  readonly lastActivity: number;
  /** The record's random, non-secret identifier (see `SessionRecord.id`), or `null` for a record without one. */
  readonly sessionId: string | null;
  /**
   * The session's own idle timeout in milliseconds (its record's, else the policy's: see `sessionPolicy`).
   * Always set by `evaluateRecord`; optional only so that hand-made evaluations stay valid.
   */
  readonly idleTimeout?: number;
  /** The session's own warning lead in milliseconds (its record's, else the policy's). Always set by `evaluateRecord`. */
  readonly warnBefore?: number;
}

/** A tracked session whose deadline has passed (or whose record is not valid: fail closed). */
export interface ExpiredSession {
  readonly state: 'expired';
  /** Which timeout ended it. A malformed record reports `idle`. */
  readonly reason: ExpiryReason;
  /**
   * `true` when the record was missing a timestamp, non-numeric, non-finite or in the future, or its own
   * timeouts are malformed (see `sessionPolicy`): tampered or corrupt data, treated as expired (OWASP: fail closed).
   */
  readonly invalid: boolean;
}

/** No tracked session: never signed in, or signed out. */
export interface UntrackedSession {
  readonly state: 'none';
}

/** The state of a session at one instant. */
export type SessionEvaluation = ActiveSession | ExpiredSession | UntrackedSession;

function isTimestamp(value: unknown, now: number): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= now;
}

/**
 * Evaluates a stored record at time `now`. Pure; reads no clock.
 *
 * - No record, or one without timestamps: `{ state: 'none' }`. An anonymous session that remembers
 *   an expiry (`endedReason`) is reported as `{ state: 'expired', reason }` so every later request can
 *   still say why, until the next sign-in.
 * - `createdAt` or `lastActivity` missing, not a finite number, negative, in the future, or
 *   `lastActivity < createdAt`: expired, `invalid: true` (fail closed, never an exception).
 * - Idle deadline `lastActivity + idleTimeout`; absolute deadline `createdAt + absoluteTimeout`, with the
 *   session's own timeouts when its record has them (see `sessionPolicy`), else the policy's. At or
 *   after the earlier deadline the session is expired with that deadline's reason.
 * - Own timeouts that are malformed: expired, `invalid: true` (fail closed).
 *
 * @param record - the untrusted value stored under `SESSION_KEY`.
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 */
export function evaluateRecord(record: unknown, policy: IdlePolicy, now: number): SessionEvaluation {
  if (!isTracked(record)) {
    const reason = readEndedReason(record);
    return reason ? { state: 'expired', reason, invalid: false } : { state: 'none' };
  }
  const { createdAt, lastActivity } = record as { createdAt?: unknown; lastActivity?: unknown };
  if (!isTimestamp(createdAt, now) || !isTimestamp(lastActivity, now) || lastActivity < createdAt) {
    return { state: 'expired', reason: 'idle', invalid: true };
  }
  const own = sessionPolicy(record, policy);
  if (own === null) return { state: 'expired', reason: 'idle', invalid: true };
  const idleRemainingMs = lastActivity + own.idleTimeout - now;
  const absoluteRemainingMs = own.absoluteTimeout === null ? null : createdAt + own.absoluteTimeout - now;
  if (absoluteRemainingMs !== null && absoluteRemainingMs <= 0 && absoluteRemainingMs <= idleRemainingMs) {
    return { state: 'expired', reason: 'absolute', invalid: false };
  }
  if (idleRemainingMs <= 0) return { state: 'expired', reason: 'idle', invalid: false };
  const remainingMs = absoluteRemainingMs === null ? idleRemainingMs : Math.min(idleRemainingMs, absoluteRemainingMs);
  return {
    state: 'active',
    remainingMs,
    idleRemainingMs,
    absoluteRemainingMs,
    lastActivity,
    sessionId: recordId(record),
    idleTimeout: own.idleTimeout,
    warnBefore: own.warnBefore,
  };
}
