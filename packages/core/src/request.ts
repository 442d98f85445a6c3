import { evaluateRecord, type ExpiredSession, type SessionEvaluation } from './evaluate.js';
import type { SessionLedger } from './ledger.js';
import type { IdlePolicy } from './policy.js';
import { isTracked, recordId, type SessionRecord } from './record.js';

/**
 * How a request counts for the idle timeout.
 * - `passive`: not activity (the status endpoint, or a request excluded by `isActivity`).
 * - `activity`: an ordinary request that counts as activity.
 * - `keepalive`: an explicit keep-alive: activity whatever the app's `isActivity` says.
 *
 * Either way last-activity is written at most once per `touchInterval`.
 */
export type RequestActivity = 'passive' | 'activity' | 'keepalive';

/** What an adapter must do for one request, decided by {@link planRequest}. */
export interface RequestPlan {
  /** The session's state once this request is taken into account. */
  readonly evaluation: SessionEvaluation;
  /**
   * A new record to store in the session (the adapter assigns it, so the framework saves the
   * session), or `null` to leave the session untouched (no store write).
   */
  readonly write: SessionRecord | null;
  /**
   * Set when a tracked session has just been found expired: the adapter must destroy it in the
   * store (so a replayed cookie cannot use it again) and give the request a fresh anonymous session
   * holding `endedRecord(expire.reason)`. `null` otherwise.
   */
  readonly expire: ExpiredSession | null;
  /**
   * `true` when the session was already ended by this process (signed out or expired by another request,
   * see `SessionLedger`) but the request still carries it (a copied cookie-only session, or a request
   * that loaded it just before): the adapter must drop it (store and cookie) and treat the request as
   * having no session.
   */
  readonly discard: boolean;
}

/**
 * Decides, for one request, whether the session is alive, whether to write last-activity, and
 * whether to end the session. Pure: the adapter supplies `now` from the policy's clock.
 *
 * Sliding expiration with a write budget: a request that counts as activity writes `lastActivity = now`
 * only when the last write (in the record, or noted in the ledger by a concurrent request) is at least
 * `touchInterval` old, so the idle deadline may come early by at most `touchInterval`, never late, and
 * parallel requests of one session write once. Activity only moves forward: a write never sets an earlier
 * `lastActivity` than the stored one. An expired session is never revived (OWASP Session Management
 * Cheat Sheet, "Session Expiration").
 *
 * @param record - the untrusted value stored under `SESSION_KEY`.
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 * @param activity - how this request counts, see {@link RequestActivity}.
 * @param ledger - this process's {@link SessionLedger}: a session it ended is discarded, and every write
 *   is noted in it. Optional; without it there is no discard.
 */
export function planRequest(
  record: unknown,
  policy: IdlePolicy,
  now: number,
  activity: RequestActivity,
  ledger?: SessionLedger,
): RequestPlan {
  const id = recordId(record);
  if (ledger && id !== null && isTracked(record) && ledger.hasEnded(id, now)) {
    return { evaluation: { state: 'none' }, write: null, expire: null, discard: true };
  }
  // What this process wrote for the session (possibly not saved yet by a request still running) counts too.
  const known = ledger && id !== null ? ledger.latestActivity(id, now) : null;
  const stored = evaluateRecord(record, policy, now);
  const before =
    stored.state === 'active' && known !== null && known > stored.lastActivity && known <= now
      ? evaluateRecord({ ...(record as SessionRecord), lastActivity: known }, policy, now)
      : stored;
  if (before.state === 'expired') {
    // A record that is tracked and expired must be destroyed; an anonymous one that only remembers
    // an earlier expiry is already the replacement and stays as it is.
    return { evaluation: before, write: null, expire: isTracked(record) ? before : null, discard: false };
  }
  if (before.state === 'none' || activity === 'passive') return { evaluation: before, write: null, expire: null, discard: false };
  if (now - before.lastActivity < policy.touchInterval) {
    return { evaluation: before, write: null, expire: null, discard: false };
  }
  const createdAt = (record as SessionRecord).createdAt as number;
  const lastActivity = Math.max(now, before.lastActivity);
  const write: SessionRecord = id === null ? { createdAt, lastActivity } : { id, createdAt, lastActivity };
  if (ledger && id !== null) ledger.noteActivity(id, lastActivity, now);
  return { evaluation: evaluateRecord(write, policy, now), write, expire: null, discard: false };
}
