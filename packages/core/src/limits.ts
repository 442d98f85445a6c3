import { DEFAULT_WARN_BEFORE_MS, IdlePolicyError, requireDuration, type IdlePolicy } from './policy.js';
import { newRecordId, type SessionRecord } from './record.js';

/**
 * The timeouts of one session, as an application chooses them at sign-in (`signIn(request, limits)`)
 * or changes them while the session lives (`setLimits(request, limits)`). All durations in
 * **milliseconds**; each one left out keeps the session's current value (at sign-in: the policy's).
 * Validated as the policy's options are (see `createPolicy`): an invalid value throws an
 * `IdlePolicyError` naming it, and nothing is stored.
 *
 * OWASP Session Management Cheat Sheet, "Session Expiration": the timeouts depend on how sensitive the
 * session is, so an administrator's session may get 5 minutes where a clerk's gets 30, and a session
 * may be shortened after a step-up sign-in.
 */
export interface SessionLimits {
  /** The session's idle timeout: greater than zero. */
  idleTimeout?: number | undefined;
  /** The session's absolute timeout, measured from sign-in (`createdAt`): at least the idle timeout. */
  absoluteTimeout?: number | undefined;
  /**
   * How long before the idle deadline the browser warns: less than the idle timeout. Left out, the
   * current value is kept while it is less than the (new) idle timeout, else the default of
   * `createPolicy` is used (2 minutes, at most half the idle timeout).
   */
  warnBefore?: number | undefined;
}

/** Options of an adapter's `setLimits()`. */
export interface SetLimitsOptions {
  /**
   * Allow the new limits to be longer than what the session's sign-in allowed (its idle or absolute
   * timeout at sign-in). Default `false`: a loosening past them throws an `IdlePolicyError` naming the
   * value, so that no code path loosens a session by accident.
   */
  allowLonger?: boolean | undefined;
}

/** The effective timeouts of a session, every default filled in (milliseconds). */
export interface ResolvedSessionLimits {
  readonly idleTimeout: number;
  readonly absoluteTimeout: number | null;
  readonly warnBefore: number;
}

/** The parts of a policy that the timeouts of a session derive from. */
export type PolicyTimes = Pick<IdlePolicy, 'idleTimeout' | 'absoluteTimeout' | 'touchInterval'> & { readonly warnBefore?: number };

/**
 * The fields of a {@link SessionRecord} that hold a session's own timeouts (see {@link sessionPolicy}).
 * Copied along with every write of the record.
 */
export const LIMIT_FIELDS = Object.freeze([
  'idleTimeout',
  'absoluteTimeout',
  'warnBefore',
  'idleTimeoutAtSignIn',
  'absoluteTimeoutAtSignIn',
  'limitsSetAt',
] as const);

const KNOWN_LIMITS = new Set(['idleTimeout', 'absoluteTimeout', 'warnBefore']);

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Whether a record holds timeouts of its own (any of the fields of {@link LIMIT_FIELDS} but the bookkeeping ones). */
export function hasOwnLimits(record: unknown): boolean {
  if (record === null || typeof record !== 'object') return false;
  const fields = record as SessionRecord;
  return fields.idleTimeout !== undefined || fields.absoluteTimeout !== undefined || fields.warnBefore !== undefined;
}

/** The default warning lead for an idle timeout, as `createPolicy` computes it. */
function defaultWarnBefore(idleTimeout: number): number {
  return Math.min(DEFAULT_WARN_BEFORE_MS, idleTimeout / 2);
}

/**
 * The policy that applies to the session holding `record`: `policy` itself for a record without timeouts
 * of its own (records of older versions, and sessions signed in without limits), else `policy` with the
 * record's `idleTimeout`, `absoluteTimeout` and `warnBefore`. Its `touchInterval` keeps its ratio to the
 * idle timeout for a session with a shorter idle timeout than the policy's (so its deadline may come early
 * by the same fraction at most), and is the policy's otherwise. Pure; never throws.
 *
 * @param record - the untrusted value stored under `SESSION_KEY`.
 * @param policy - a validated policy (or the parts of one a store is given).
 * @returns the session's policy, or `null` when the record's own timeouts are malformed (not finite, not
 *   positive, `warnBefore` not under the idle timeout, `absoluteTimeout` under it): tampered or corrupt
 *   data, which the evaluation treats as expired (OWASP: fail closed).
 */
export function sessionPolicy<P extends PolicyTimes>(record: unknown, policy: P): P | null {
  if (!hasOwnLimits(record)) return policy;
  const fields = record as Record<string, unknown>;
  const idleTimeout = fields.idleTimeout === undefined ? policy.idleTimeout : fields.idleTimeout;
  if (!isPositive(idleTimeout)) return null;
  const absoluteTimeout = fields.absoluteTimeout === undefined ? policy.absoluteTimeout : fields.absoluteTimeout;
  if (absoluteTimeout !== null && (!isPositive(absoluteTimeout) || absoluteTimeout < idleTimeout)) return null;
  let warnBefore = fields.warnBefore;
  if (warnBefore === undefined) {
    warnBefore = policy.warnBefore !== undefined && policy.warnBefore < idleTimeout ? policy.warnBefore : defaultWarnBefore(idleTimeout);
  }
  if (!isPositive(warnBefore) || warnBefore >= idleTimeout) return null;
  for (const ceiling of [fields.idleTimeoutAtSignIn, fields.absoluteTimeoutAtSignIn, fields.limitsSetAt]) {
    if (ceiling !== undefined && ceiling !== null && !isPositive(ceiling)) return null;
  }
  const touchInterval =
    idleTimeout >= policy.idleTimeout ? policy.touchInterval : Math.floor((policy.touchInterval * idleTimeout) / policy.idleTimeout);
  return { ...policy, idleTimeout, absoluteTimeout, warnBefore, touchInterval };
}

/**
 * Validates limits an application gives (untrusted as to their shape) against the session's current
 * timeouts, the way `createPolicy` validates options, and fills in what is left out.
 *
 * @param limits - see {@link SessionLimits}; `undefined` keeps everything.
 * @param current - the session's current timeouts (at sign-in: the policy's).
 * @throws {@link IdlePolicyError} naming the value: `limits` not an object, an unknown field, a duration
 *   that is not a finite number greater than zero, a `warnBefore` not less than the idle timeout, or an
 *   absolute timeout less than the idle timeout.
 */
export function resolveSessionLimits(limits: unknown, current: ResolvedSessionLimits): ResolvedSessionLimits {
  if (limits === undefined) return current;
  if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
    throw new IdlePolicyError('limits', `must be an object such as { idleTimeout: 300000 }, got ${describe(limits)}.`);
  }
  for (const name of Object.keys(limits)) {
    if (!KNOWN_LIMITS.has(name)) throw new IdlePolicyError(name, 'is not a per-session limit; use idleTimeout, absoluteTimeout or warnBefore (milliseconds).');
  }
  const given = limits as SessionLimits;
  const idleTimeout = given.idleTimeout === undefined ? current.idleTimeout : requireDuration('idleTimeout', given.idleTimeout);
  let absoluteTimeout = current.absoluteTimeout;
  if (given.absoluteTimeout !== undefined) absoluteTimeout = requireDuration('absoluteTimeout', given.absoluteTimeout);
  if (absoluteTimeout !== null && absoluteTimeout < idleTimeout) {
    throw new IdlePolicyError(
      'absoluteTimeout',
      `must be at least idleTimeout (${idleTimeout} ms), got ${absoluteTimeout} ms${given.absoluteTimeout === undefined ? " (the session's current absolute timeout)" : ''}.`,
    );
  }
  let warnBefore: number;
  if (given.warnBefore === undefined) {
    warnBefore = current.warnBefore < idleTimeout ? current.warnBefore : defaultWarnBefore(idleTimeout);
  } else {
    warnBefore = requireDuration('warnBefore', given.warnBefore);
    if (warnBefore >= idleTimeout) {
      throw new IdlePolicyError('warnBefore', `must be less than idleTimeout (${idleTimeout} ms), got ${warnBefore} ms.`);
    }
  }
  return { idleTimeout, absoluteTimeout, warnBefore };
}

/** The policy's timeouts as {@link ResolvedSessionLimits}. */
function policyLimits(policy: IdlePolicy): ResolvedSessionLimits {
  return { idleTimeout: policy.idleTimeout, absoluteTimeout: policy.absoluteTimeout, warnBefore: policy.warnBefore };
}

/**
 * The record a session gets at sign-in: as `startRecord`, with the session's own timeouts when `limits`
 * are given (all three stored, resolved: `idleTimeout`, `warnBefore`, and `absoluteTimeout` unless the
 * session has none), so that every instance and every later request uses the same values.
 *
 * @param now - epoch milliseconds.
 * @param policy - the adapter's validated policy (the defaults).
 * @param limits - see {@link SessionLimits}; `undefined` (or `{}`) for the policy's timeouts: the record is then
 *   exactly what older versions wrote.
 * @throws {@link IdlePolicyError} naming the value (see {@link resolveSessionLimits}).
 */
export function signInRecord(now: number, policy: IdlePolicy, limits?: SessionLimits, id: string = newRecordId()): SessionRecord {
  const resolved = resolveSessionLimits(limits, policyLimits(policy));
  const record: SessionRecord = { id, createdAt: now, lastActivity: now };
  if (limits === undefined || Object.keys(limits).length === 0) return record;
  record.idleTimeout = resolved.idleTimeout;
  if (resolved.absoluteTimeout !== null) record.absoluteTimeout = resolved.absoluteTimeout;
  record.warnBefore = resolved.warnBefore;
  return record;
}

/**
 * A tracked record with its timeouts changed (`setLimits`): the new limits apply from `now`, which
 * counts as activity (the call runs in a request of the user's); the absolute deadline stays measured
 * from sign-in (`createdAt`), so a shorter absolute timeout may end the session at once. A tightening is
 * always allowed. A loosening past what the sign-in allowed (its idle or absolute timeout) needs
 * `allowLonger: true`; within it (undoing an earlier tightening) it is allowed. The sign-in's timeouts are
 * kept in the record (`idleTimeoutAtSignIn`, `absoluteTimeoutAtSignIn`), and `limitsSetAt` orders the
 * changes, so that a copy of the session from before (a request still in flight) never writes the old
 * limits back.
 *
 * @param record - the session's current tracked record (the caller made sure it is active).
 * @param policy - the adapter's validated policy.
 * @param limits - the new limits; see {@link SessionLimits}.
 * @param options - see {@link SetLimitsOptions}.
 * @param now - epoch milliseconds.
 * @throws {@link IdlePolicyError} naming the value: see {@link resolveSessionLimits}; a loosening past the
 *   sign-in's limits without `allowLonger`; an `allowLonger` that is not a boolean; a malformed record.
 */
export function changeLimits(record: unknown, policy: IdlePolicy, limits: unknown, options: SetLimitsOptions | undefined, now: number): SessionRecord {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new IdlePolicyError('options', `must be an object such as { allowLonger: true }, got ${describe(options)}.`);
  }
  const allowLonger = options?.allowLonger ?? false;
  if (typeof allowLonger !== 'boolean') throw new IdlePolicyError('allowLonger', `must be true or false, got ${describe(allowLonger)}.`);
  const current = sessionPolicy(record, policy);
  if (current === null) throw new IdlePolicyError('limits', "cannot be changed: the session's stored limits are malformed.");
  const fields = record as SessionRecord;
  const next = resolveSessionLimits(limits, current);
  const idleAtSignIn = fields.idleTimeoutAtSignIn ?? current.idleTimeout;
  const absoluteAtSignIn = fields.absoluteTimeoutAtSignIn !== undefined ? fields.absoluteTimeoutAtSignIn : current.absoluteTimeout;
  if (!allowLonger) {
    if (next.idleTimeout > idleAtSignIn) {
      throw new IdlePolicyError(
        'idleTimeout',
        `would be ${next.idleTimeout} ms, longer than the ${idleAtSignIn} ms the session's sign-in allowed; pass { allowLonger: true } to loosen it on purpose.`,
      );
    }
    if (absoluteAtSignIn !== null && (next.absoluteTimeout === null || next.absoluteTimeout > absoluteAtSignIn)) {
      throw new IdlePolicyError(
        'absoluteTimeout',
        `would be ${next.absoluteTimeout} ms, longer than the ${absoluteAtSignIn} ms the session's sign-in allowed; pass { allowLonger: true } to loosen it on purpose.`,
      );
    }
  }
  const changed: SessionRecord = { ...fields, lastActivity: Math.max(now, fields.lastActivity ?? now) };
  changed.idleTimeout = next.idleTimeout;
  if (next.absoluteTimeout === null) delete changed.absoluteTimeout;
  else changed.absoluteTimeout = next.absoluteTimeout;
  changed.warnBefore = next.warnBefore;
  changed.idleTimeoutAtSignIn = idleAtSignIn;
  changed.absoluteTimeoutAtSignIn = absoluteAtSignIn;
  changed.limitsSetAt = Math.max(now, (fields.limitsSetAt ?? 0) + 1);
  return changed;
}

/** The fields of {@link LIMIT_FIELDS} that `record` holds (a fresh object; empty for a record without). */
export function limitFieldsOf(record: unknown): Partial<SessionRecord> {
  const fields: Record<string, unknown> = {};
  if (record === null || typeof record !== 'object') return fields;
  for (const name of LIMIT_FIELDS) if ((record as Record<string, unknown>)[name] !== undefined) fields[name] = (record as Record<string, unknown>)[name];
  return fields as Partial<SessionRecord>;
}

/** When the limits of a record were last changed (`limitsSetAt`), `0` for never. */
function limitsSetAt(record: unknown): number {
  const at = (record as SessionRecord | null | undefined)?.limitsSetAt;
  return typeof at === 'number' && Number.isFinite(at) ? at : 0;
}

/**
 * `ours` with the limits of `theirs` (another copy of the same sign-in: same `createdAt`) when they were
 * changed later (`limitsSetAt`), else `ours` itself: a change of limits is never undone by writing back
 * a copy of the session taken before it.
 */
export function withLaterLimits<T>(ours: T, theirs: unknown): T {
  if (theirs === null || typeof theirs !== 'object' || ours === null || typeof ours !== 'object') return ours;
  if (limitsSetAt(theirs) <= limitsSetAt(ours)) return ours;
  if ((theirs as SessionRecord).createdAt !== (ours as SessionRecord).createdAt) return ours;
  const merged: Record<string, unknown> = { ...(ours as Record<string, unknown>) };
  for (const name of LIMIT_FIELDS) delete merged[name];
  return { ...merged, ...limitFieldsOf(theirs) } as T;
}
