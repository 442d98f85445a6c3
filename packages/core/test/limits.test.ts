import { describe, expect, it } from 'vitest';
import {
  changeLimits,
  createPolicy,
  evaluateRecord,
  expiryReasonAhead,
  IdlePolicyError,
  planRequest,
  planRequestEnd,
  sessionPolicy,
  SessionLedger,
  settleBeforeSave,
  signInRecord,
  storeTtlMs,
  toStatusBody,
  withLaterLimits,
} from '../src/index.js';

const T = 60_000;
const t0 = 1_700_000_000_000;
const policy = createPolicy({ idleTimeout: T, warnBefore: 20_000, absoluteTimeout: 5 * T, touchInterval: 10_000 });

describe('per-session limits: signInRecord', () => {
  it('writes the record of older versions without limits, and every resolved timeout with them', () => {
    expect(signInRecord(t0, policy, undefined, 'r')).toEqual({ id: 'r', createdAt: t0, lastActivity: t0 });
    expect(signInRecord(t0, policy, {}, 'r')).toEqual({ id: 'r', createdAt: t0, lastActivity: t0 });
    expect(signInRecord(t0, policy, { idleTimeout: 30_000 }, 'r')).toEqual({
      id: 'r',
      createdAt: t0,
      lastActivity: t0,
      idleTimeout: 30_000,
      absoluteTimeout: 5 * T,
      warnBefore: 20_000,
    });
    // The policy's warning lead does not fit a 20 s idle timeout: the default for it (half).
    expect(signInRecord(t0, policy, { idleTimeout: 20_000 }, 'r')).toMatchObject({ warnBefore: 10_000 });
  });

  it.each<[string, unknown, string]>([
    ['a zero idle timeout', { idleTimeout: 0 }, 'idleTimeout'],
    ['a string idle timeout', { idleTimeout: '300000' }, 'idleTimeout'],
    ['NaN', { idleTimeout: Number.NaN }, 'idleTimeout'],
    ['Infinity', { absoluteTimeout: Number.POSITIVE_INFINITY }, 'absoluteTimeout'],
    ['a warning lead not under the idle timeout', { idleTimeout: 30_000, warnBefore: 30_000 }, 'warnBefore'],
    ['an absolute timeout under the idle timeout', { absoluteTimeout: 1_000 }, 'absoluteTimeout'],
    ['an idle timeout past the policy’s absolute timeout', { idleTimeout: 10 * T }, 'absoluteTimeout'],
    ['a null absolute timeout', { absoluteTimeout: null }, 'absoluteTimeout'],
    ['an unknown field', { idleTimeOut: 1_000 }, 'idleTimeOut'],
    ['not an object', 300_000, 'limits'],
  ])('refuses %s with an IdlePolicyError naming the value', (_name, limits, option) => {
    let caught: unknown;
    try {
      signInRecord(t0, policy, limits as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IdlePolicyError);
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as IdlePolicyError).option).toBe(option);
    expect((caught as Error).message).toContain(`"${option}"`);
  });
});

describe('per-session limits: evaluation, status body, store TTL', () => {
  const record = signInRecord(t0, policy, { idleTimeout: 30_000, warnBefore: 5_000, absoluteTimeout: 2 * T }, 'r');

  it('evaluates with the session’s own timeouts and reports them in the status body', () => {
    const evaluation = evaluateRecord(record, policy, t0 + 10_000);
    expect(evaluation).toMatchObject({ state: 'active', idleRemainingMs: 20_000, absoluteRemainingMs: 2 * T - 10_000, idleTimeout: 30_000, warnBefore: 5_000 });
    expect(toStatusBody(evaluation, policy)).toMatchObject({ idleTimeoutMs: 30_000, warnBeforeMs: 5_000 });
    expect(evaluateRecord(record, policy, t0 + 30_000)).toEqual({ state: 'expired', reason: 'idle', invalid: false });
  });

  it('keeps the store’s clock on the session’s own deadlines, with a touchInterval in proportion', () => {
    expect(sessionPolicy(record, policy)).toMatchObject({ idleTimeout: 30_000, touchInterval: 5_000, absoluteTimeout: 2 * T });
    expect(storeTtlMs(record, policy, t0)).toBe(35_000);
    expect(expiryReasonAhead({ ...record, lastActivity: t0 + 100_000 }, policy)).toBe('absolute');
    expect(sessionPolicy({ createdAt: t0, lastActivity: t0 }, policy)).toBe(policy); // older records: the policy itself
  });

  it.each<[string, Record<string, unknown>]>([
    ['a string idle timeout', { idleTimeout: 'long' }],
    ['a negative idle timeout', { idleTimeout: -1 }],
    ['a warning lead not under the idle timeout', { idleTimeout: 30_000, warnBefore: 30_000 }],
    ['an absolute timeout under the idle timeout', { idleTimeout: 30_000, absoluteTimeout: 1_000 }],
    ['a malformed ceiling', { idleTimeout: 30_000, idleTimeoutAtSignIn: 'x' }],
  ])('fails closed on %s: expired, invalid, never a crash', (_name, fields) => {
    const tampered = { id: 'r', createdAt: t0, lastActivity: t0, ...fields };
    expect(evaluateRecord(tampered, policy, t0 + 1)).toEqual({ state: 'expired', reason: 'idle', invalid: true });
    expect(planRequest(tampered, policy, t0 + 1, 'activity')).toMatchObject({ write: null, expire: { invalid: true } });
    expect(storeTtlMs(tampered, policy, t0)).toBe(T + policy.touchInterval);
    expect(expiryReasonAhead(tampered, policy)).toBeNull();
  });

  it('keeps the limits in every write of last-activity', () => {
    const ledger = SessionLedger.forPolicy(policy);
    const plan = planRequest(record, policy, t0 + 5_000, 'activity', ledger);
    expect(plan.write).toEqual({ ...record, lastActivity: t0 + 5_000 });
    expect(planRequestEnd({ ...record, lastActivity: t0 + 5_000 }, policy, t0 + 20_000, ledger)).toEqual({ ...record, lastActivity: t0 + 20_000 });
  });
});

describe('per-session limits: changeLimits', () => {
  const signedIn = signInRecord(t0, policy, { idleTimeout: 30_000, absoluteTimeout: 2 * T }, 'r');

  it('tightens from now, keeps what the sign-in allowed, and orders the change', () => {
    const changed = changeLimits(signedIn, policy, { idleTimeout: 10_000 }, undefined, t0 + 5_000);
    expect(changed).toMatchObject({
      idleTimeout: 10_000,
      warnBefore: 5_000,
      lastActivity: t0 + 5_000,
      idleTimeoutAtSignIn: 30_000,
      absoluteTimeoutAtSignIn: 2 * T,
      limitsSetAt: t0 + 5_000,
    });
    expect(evaluateRecord(changed, policy, t0 + 15_000)).toMatchObject({ state: 'expired', reason: 'idle' });
    // Back up to the sign-in's limits is allowed; past them only with allowLonger.
    expect(changeLimits(changed, policy, { idleTimeout: 30_000 }, undefined, t0 + 6_000)).toMatchObject({ idleTimeout: 30_000, limitsSetAt: t0 + 6_000 });
    expect(() => changeLimits(changed, policy, { idleTimeout: 40_000 }, undefined, t0 + 6_000)).toThrow(expect.objectContaining({ option: 'idleTimeout' }));
    expect(() => changeLimits(changed, policy, { absoluteTimeout: 3 * T }, {}, t0 + 6_000)).toThrow(expect.objectContaining({ option: 'absoluteTimeout' }));
    expect(changeLimits(changed, policy, { idleTimeout: 40_000, absoluteTimeout: 3 * T }, { allowLonger: true }, t0 + 6_000)).toMatchObject({
      idleTimeout: 40_000,
      absoluteTimeout: 3 * T,
      idleTimeoutAtSignIn: 30_000,
    });
    expect(() => changeLimits(changed, policy, {}, { allowLonger: 'yes' } as never, t0)).toThrow(expect.objectContaining({ option: 'allowLonger' }));
  });

  it('a shorter absolute timeout is measured from sign-in, and may end the session at once', () => {
    const changed = changeLimits(signedIn, policy, { idleTimeout: 10_000, absoluteTimeout: 20_000 }, undefined, t0 + 25_000);
    expect(evaluateRecord(changed, policy, t0 + 25_000)).toEqual({ state: 'expired', reason: 'absolute', invalid: false });
  });

  it('is never undone by writing back an older copy: the store’s copy or the ledger wins when changed later', () => {
    const changed = changeLimits(signedIn, policy, { idleTimeout: 10_000 }, undefined, t0 + 5_000);
    expect(withLaterLimits({ ...signedIn, lastActivity: t0 + 9_000 }, changed)).toEqual({ ...changed, lastActivity: t0 + 9_000 });
    expect(withLaterLimits(changed, signedIn)).toBe(changed);
    const ledger = SessionLedger.forPolicy(policy);
    const stored = { exists: true, record: changed };
    expect(settleBeforeSave(signedIn, { stored, ledger, now: t0 + 9_000 })).toEqual({ save: true, record: { ...changed } });
    ledger.noteLimits(changed, t0 + 5_000);
    const decision = settleBeforeSave(signedIn, { ledger, now: t0 + 9_000 });
    expect(decision).toMatchObject({ save: true, record: { idleTimeout: 10_000, limitsSetAt: t0 + 5_000 } });
    // A copy of a cookie-only session from before is evaluated with the limits noted here.
    expect(planRequest(signedIn, policy, t0 + 16_000, 'passive', ledger).evaluation).toMatchObject({ state: 'expired', reason: 'idle' });
  });
});

describe('SessionLedger: endings of sessions longer than the policy', () => {
  it('remembers an ending as long as the session’s own idle timeout asks', () => {
    const ledger = new SessionLedger(T);
    ledger.end('short', t0);
    ledger.end('long', t0, 'idle', 10 * T);
    expect(ledger.ending('short', t0 + 2 * T)).toBeNull();
    expect(ledger.ending('long', t0 + 2 * T)).toBe('idle');
    expect(ledger.hasEnded('long', t0 + 10 * T)).toBe(false);
  });
});
