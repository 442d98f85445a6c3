import { evaluateRecord } from './evaluate.js';
import { withLaterActivity, type SessionLedger } from './ledger.js';
import type { IdlePolicy } from './policy.js';
import { isTracked, readEndedReason, recordId, type ExpiryReason } from './record.js';

/**
 * Why a request's session is not active any more, as {@link SessionEndedError} says:
 * - `idle` or `absolute`: its idle or absolute deadline passed;
 * - `signed-out`: it was ended by something else while the request ran (a sign-out in another tab,
 *   or on another instance);
 * - `none`: the request carries no tracked session (never signed in, or signed out by this request).
 */
export type SessionEndedReason = ExpiryReason | 'signed-out' | 'none';

/**
 * Thrown by an adapter's `confirmActive()` when the request's session ended while the request ran:
 * whatever the request changed in the session is not written (an ended session is never put back,
 * OWASP Session Management Cheat Sheet), so the app must not answer "saved". `status` is 401 and
 * `expose` true, so the frameworks' error handlers answer 401 if the app does not catch it.
 */
export class SessionEndedError extends Error {
  /** HTTP status for an answer: 401 Unauthorized. */
  readonly status = 401;
  readonly statusCode = 401;
  readonly expose = true;
  constructor(
    /** Why the session is not active, see {@link SessionEndedReason}. */
    readonly reason: SessionEndedReason,
  ) {
    super(
      reason === 'none'
        ? 'The request has no active session.'
        : reason === 'signed-out'
          ? 'The session was signed out while the request ran; nothing was saved.'
          : `The session expired (${reason} timeout) while the request ran; nothing was saved.`,
    );
    this.name = 'SessionEndedError';
  }
}

/**
 * Whether the session holding `record` is still active at `now`, as far as this process knows: `null`
 * when it is, else why not. Requests of the session in flight here count as activity (see
 * `SessionLedger.beginRequest`). Pure; the adapters add what other instances know (`SharedEndings`).
 *
 * @param carried - the untrusted value stored under `SESSION_KEY` in the request's session now (limits
 *   changed since by `setLimits` on this process apply to it).
 * @param policy - a validated policy.
 * @param now - epoch milliseconds.
 * @param ledger - this process's ledger.
 */
export function endedReasonNow(carried: unknown, policy: IdlePolicy, now: number, ledger: SessionLedger): SessionEndedReason | null {
  const id = recordId(carried);
  if (id === null || !isTracked(carried)) return readEndedReason(carried) ?? 'none';
  const record = ledger.withKnownLimits(carried, now);
  const evaluation = evaluateRecord(withLaterActivity(record, ledger.knownActivity(id, now), now), policy, now);
  if (evaluation.state === 'expired') return evaluation.reason;
  if (evaluation.state === 'none') return 'none';
  return ledger.hasEnded(id, now) ? 'signed-out' : null;
}
