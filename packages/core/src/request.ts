import { evaluateRecord, type ExpiredSession, type SessionEvaluation } from './evaluate.js';
import { withLaterActivity, type SessionLedger } from './ledger.js';
import type { IdlePolicy } from './policy.js';
import { heartbeatMs } from './shared.js';
import { isTracked, recordId, type SessionRecord } from './record.js';
import { limitFieldsOf, sessionPolicy } from './limits.js';

/**
 * How a request counts for the idle timeout.
 * - `passive`: not activity (the status endpoint, or a request excluded by `isActivity`).
 * - `activity`: an ordinary request that counts as activity.
 * - `keepalive`: an explicit keep-alive: activity whatever the app's `isActivity` says.
 *
 * Either way last-activity is written at most once per `touchInterval`.
 */
export type RequestActivity = 'passive' | 'activity' | 'keepalive';

/**
 * How a request counts once the session it is for is known: a keep-alive that names a session
 * (`SESSION_ID_HEADER`) other than the one `record` holds counts as nothing (`passive`), like
 * `GET {prefix}/status`, so a tab built for one session never extends another session of the same browser.
 * Every other request counts as `activity` says.
 *
 * Pure. The comparison is with the `sessionId` the status endpoint reports for `record` (its record id),
 * so a record without a valid id matches no named session. A session that is not active is unaffected:
 * nothing would be extended anyway, and the keep-alive's answer stays the same.
 *
 * @param activity - how the request counts by its route (see `routeRequest`).
 * @param record - the untrusted value stored under `SESSION_KEY` in the request's session.
 * @param forSession - the session the keep-alive names (see `namedSessionId`), or `null` when it names none.
 */
export function activityForSession(activity: RequestActivity, record: unknown, forSession: string | null): RequestActivity {
  return activity === 'keepalive' && forSession !== null && forSession !== recordId(record) ? 'passive' : activity;
}

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
   * having no session. When a timeout ended it, `evaluation` is that expiry (`{ state: 'expired', reason }`),
   * and the adapter gives the request a fresh anonymous session holding `endedRecord(reason)`, as for
   * `expire`: every request that was sent with the session learns why it ended, not only the first.
   */
  readonly discard: boolean;
  /**
   * `true` when the request was a keep-alive that named another session than this one (see
   * {@link activityForSession}): it was planned like the status endpoint and extended nothing. Absent
   * otherwise; `planRequest` never sets it (`AdapterSetup.plan` does).
   */
  readonly otherSession?: true;
}

/**
 * The timeout that ended the plan's session, when one did: found by this request (`expire`), or a moment
 * ago by another request of the same session (`discard` with an expired evaluation). The adapter then
 * keeps only why it ended under the session's key (so every request still carrying it learns the reason),
 * instead of dropping it as after a sign-out. `null` when no timeout ended it.
 */
export function timedOutBy(plan: RequestPlan): ExpiredSession | null {
  return plan.expire ?? (plan.discard && plan.evaluation.state === 'expired' ? plan.evaluation : null);
}

/**
 * Decides, for one request, whether the session is alive, whether to write last-activity, and
 * whether to end the session. Pure: the adapter supplies `now` from the policy's clock.
 *
 * Sliding expiration with a write budget: a request that counts as activity writes `lastActivity = now`
 * only when the last write (in the record, or noted in the ledger by a concurrent request) is at least
 * `touchInterval` old (the session's, see `sessionPolicy`: every timeout is the session's own when its
 * record has them; a write keeps them), so the idle deadline may come early by at most `touchInterval`, never late, and
 * parallel requests of one session write once. Activity only moves forward: a write never sets an earlier
 * `lastActivity` than the stored one. An expired session is never revived (OWASP Session Management
 * Cheat Sheet, "Session Expiration").
 *
 * @param carried - the untrusted value stored under `SESSION_KEY`, as the request carries it (the ledger's
 *   later limits of its session, see `SessionLedger.noteLimits`, apply to it).
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 * @param activity - how this request counts, see {@link RequestActivity}.
 * @param ledger - this process's {@link SessionLedger}: a session it ended is discarded, and every write
 *   is noted in it. Optional; without it there is no discard.
 */
export function planRequest(
  carried: unknown,
  policy: IdlePolicy,
  now: number,
  activity: RequestActivity,
  ledger?: SessionLedger,
): RequestPlan {
  // Limits changed here since this copy was taken (`setLimits`) hold for it too.
  const record = ledger ? ledger.withKnownLimits(carried, now) : carried;
  const id = recordId(record);
  const ending = ledger && id !== null && isTracked(record) ? ledger.ending(id, now) : null;
  if (ending !== null) {
    // Ended by this process meanwhile. After a timeout this request (sent before the browser learned of
    // it) is told why, as the request that ended it was; after a sign-out it has no session.
    const evaluation: SessionEvaluation = ending === 'signed-out' ? { state: 'none' } : { state: 'expired', reason: ending, invalid: false };
    return { evaluation, write: null, expire: null, discard: true };
  }
  // What this process wrote for the session (possibly not saved yet by a request still running) counts too,
  // for a session alive by it, or expired only by idleness; a request of it still running here holds it active now.
  const written = ledger && id !== null ? ledger.latestActivity(id, now) : null;
  const known = ledger && id !== null ? ledger.knownActivity(id, now) : null;
  const stored = evaluateRecord(record, policy, now);
  const merged = withLaterActivity(record, known, now);
  const before =
    (stored.state === 'active' || (stored.state === 'expired' && stored.reason === 'idle' && !stored.invalid)) && merged !== record
      ? evaluateRecord(merged, policy, now)
      : stored;
  if (before.state === 'expired') {
    // A record that is tracked and expired must be destroyed; an anonymous one that only remembers
    // an earlier expiry is already the replacement and stays as it is.
    return { evaluation: before, write: null, expire: isTracked(record) ? before : null, discard: false };
  }
  if (before.state === 'none' || activity === 'passive') return { evaluation: before, write: null, expire: null, discard: false };
  // The write budget counts what was written, not a request held in flight (it writes when it ends).
  const lastWrite = (withLaterActivity(record, written, now) as SessionRecord).lastActivity as number;
  if (now - lastWrite < (sessionPolicy(record, policy) ?? policy).touchInterval) {
    return { evaluation: before, write: null, expire: null, discard: false };
  }
  const createdAt = (record as SessionRecord).createdAt as number;
  const lastActivity = now;
  const base: SessionRecord = id === null ? { createdAt, lastActivity } : { id, createdAt, lastActivity };
  const write: SessionRecord = { ...base, ...limitFieldsOf(record) };
  if (ledger && id !== null) ledger.noteActivity(id, lastActivity, now);
  return { evaluation: evaluateRecord(write, policy, now), write, expire: null, discard: false };
}

/**
 * Whether an adapter whose `shared` option knows about requests running on other instances
 * (`SharedEndings.isHeldActive`) should ask before acting on `plan`: when the plan would end the session
 * for idleness, or when a request that is not activity (the status endpoint) would report a last
 * activity older than one heartbeat. Other requests need not ask: they are activity themselves.
 */
export function mayBeHeldElsewhere(plan: RequestPlan, activity: RequestActivity, policy: IdlePolicy): boolean {
  if (plan.expire) return plan.expire.reason === 'idle' && !plan.expire.invalid;
  const { evaluation } = plan;
  return (
    activity === 'passive' &&
    evaluation.state === 'active' &&
    (evaluation.idleTimeout ?? policy.idleTimeout) - evaluation.idleRemainingMs > heartbeatMs(policy)
  );
}

/**
 * The last-activity write when a request that counted as activity ends (see `SessionLedger.beginRequest`):
 * the session was in use until `now`, so its idle clock restarts now. Returns the record to store, or
 * `null` to write nothing: the session ended (in the ledger, or by a deadline), another request of it
 * is still running here (it writes when it ends), or the record's last-activity is less than
 * `touchInterval` old (the write budget). Notes the write in the ledger.
 *
 * @param record - the untrusted value under `SESSION_KEY` in the request's session when it ends.
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 * @param ledger - this process's ledger; call `endRequest` on it first.
 */
export function planRequestEnd(carried: unknown, policy: IdlePolicy, now: number, ledger: SessionLedger): SessionRecord | null {
  // The common case first, without a look at the ledger: a request shorter than the write budget.
  const lastActivity = (carried as SessionRecord | undefined)?.lastActivity;
  if (typeof lastActivity !== 'number' || now - lastActivity < (sessionPolicy(carried, policy) ?? policy).touchInterval) return null;
  const id = recordId(carried);
  if (id === null || !isTracked(carried) || ledger.hasEnded(id, now) || ledger.hasRequestInFlight(id)) return null;
  const record = ledger.withKnownLimits(carried, now);
  const { createdAt } = record as SessionRecord;
  const lastWrite = Math.max(lastActivity, ledger.latestActivity(id, now) ?? lastActivity);
  if (now - lastWrite < (sessionPolicy(record, policy) ?? policy).touchInterval) return null;
  const write: SessionRecord = { id, createdAt: createdAt as number, lastActivity: now, ...limitFieldsOf(record) };
  if (evaluateRecord(write, policy, now).state !== 'active') return null;
  ledger.noteActivity(id, now, now);
  return write;
}

/**
 * Whether a request carries a body (an upload, a form post), from its headers: a `Content-Length` above
 * zero, or a `Transfer-Encoding`. Such a request may run long while the body arrives.
 *
 * @param headers - the request's headers by lower-case name (Node's `IncomingMessage.headers`).
 */
export function hasBody(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const length = Number(headers['content-length']);
  return (Number.isFinite(length) && length > 0) || headers['transfer-encoding'] !== undefined;
}
