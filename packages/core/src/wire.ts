import type { SessionEvaluation } from './evaluate.js';
import type { IdlePolicy } from './policy.js';
import { EXPIRY_REASONS, type ExpiryReason } from './record.js';

/**
 * Body of `GET {prefix}/status` and of a successful `POST {prefix}/keepalive` for a live session.
 * All durations in milliseconds, measured by the server at the moment it answered: a client adds
 * them to its own clock at receipt and never compares the two clocks.
 */
export interface ActiveStatusBody {
  state: 'active';
  /** Milliseconds until the session ends, whichever timeout comes first. */
  remainingMs: number;
  /** Milliseconds until the idle deadline if there is no more activity. */
  idleRemainingMs: number;
  /** Milliseconds until the absolute deadline, or `null` without an absolute timeout. */
  absoluteRemainingMs: number | null;
  /** The session's idle timeout (its own, chosen at sign-in or changed since, else the policy's), so a page can say "after 15 minutes of inactivity". */
  idleTimeoutMs: number;
  /** How long before the deadline the warning shows: the session's own, else the policy's. */
  warnBeforeMs: number;
  /**
   * A random, non-secret identifier of the tracked session (never the cookie value), or `null`. Browser
   * tabs use it to tell whether a message from another tab is about the same session.
   */
  sessionId: string | null;
}

/** Body for a session that ended through a timeout: `{"state":"expired","reason":"idle"|"absolute"}`. */
export interface ExpiredStatusBody {
  state: 'expired';
  reason: ExpiryReason;
}

/** Body when there is no tracked session (never signed in, or signed out): `{"state":"none"}`. */
export interface NoSessionStatusBody {
  state: 'none';
}

/** Every body the status and keep-alive endpoints answer with (apart from the 403 of the forgery guard). */
export type StatusBody = ActiveStatusBody | ExpiredStatusBody | NoSessionStatusBody;

/** Body of the 403 answer to a keep-alive that fails the forgery guard. */
export interface ForbiddenBody {
  state: 'forbidden';
  message: string;
}

/**
 * Turns an evaluation into the JSON body the endpoints send.
 * @param evaluation - from `evaluateRecord`.
 * @param policy - the policy the evaluation used: supplies `idleTimeoutMs` and `warnBeforeMs` when the
 *   evaluation does not carry the session's own (`ActiveSession.idleTimeout`, `warnBefore`).
 */
export function toStatusBody(evaluation: SessionEvaluation, policy: IdlePolicy): StatusBody {
  switch (evaluation.state) {
    case 'active':
      return {
        state: 'active',
        remainingMs: evaluation.remainingMs,
        idleRemainingMs: evaluation.idleRemainingMs,
        absoluteRemainingMs: evaluation.absoluteRemainingMs,
        idleTimeoutMs: evaluation.idleTimeout ?? policy.idleTimeout,
        warnBeforeMs: evaluation.warnBefore ?? policy.warnBefore,
        sessionId: evaluation.sessionId,
      };
    case 'expired':
      return { state: 'expired', reason: evaluation.reason };
    default:
      return { state: 'none' };
  }
}

function isDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Validates an untrusted value (a parsed response body, a message from another tab) as a
 * {@link StatusBody}. Never throws.
 *
 * @returns a fresh, well-formed body with only the known fields, or `null` when `value` is not one
 *   (wrong `state`, a duration that is missing, negative or not finite, an unknown reason, or a
 *   non-object such as the HTML of a login page).
 */
export function parseStatusBody(value: unknown): StatusBody | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const body = value as Record<string, unknown>;
  switch (body.state) {
    case 'none':
      return { state: 'none' };
    case 'expired':
      return typeof body.reason === 'string' && (EXPIRY_REASONS as readonly string[]).includes(body.reason)
        ? { state: 'expired', reason: body.reason as ExpiryReason }
        : null;
    case 'active': {
      const { remainingMs, idleRemainingMs, absoluteRemainingMs, idleTimeoutMs, warnBeforeMs } = body;
      if (!isDuration(remainingMs) || !isDuration(idleRemainingMs) || !isDuration(idleTimeoutMs) || !isDuration(warnBeforeMs)) {
        return null;
      }
      if (absoluteRemainingMs !== null && !isDuration(absoluteRemainingMs)) return null;
      if (idleTimeoutMs <= 0 || warnBeforeMs >= idleTimeoutMs || remainingMs > idleRemainingMs) return null;
      const sessionId = body.sessionId ?? null;
      if (sessionId !== null && (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 100)) return null;
      return { state: 'active', remainingMs, idleRemainingMs, absoluteRemainingMs, idleTimeoutMs, warnBeforeMs, sessionId };
    }
    default:
      return null;
  }
}
