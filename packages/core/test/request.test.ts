import { describe, expect, it } from 'vitest';
import { createPolicy, planRequest, SessionLedger, startRecord } from '../src/index.js';

const T = 60_000;
const policy = createPolicy({ idleTimeout: T, warnBefore: 20_000, touchInterval: 10_000 });
const t0 = 1_700_000_000_000;

describe('planRequest', () => {
  it('leaves untracked sessions alone: no write, no expiry', () => {
    expect(planRequest(undefined, policy, t0, 'activity')).toEqual({ evaluation: { state: 'none' }, write: null, expire: null, discard: false });
    expect(planRequest({ endedReason: 'idle' }, policy, t0, 'keepalive')).toMatchObject({ write: null, expire: null });
  });

  it('writes last-activity at most once per touchInterval for ordinary requests', () => {
    const record = startRecord(t0, 'r1');
    expect(planRequest(record, policy, t0 + 9_999, 'activity')).toMatchObject({ write: null, evaluation: { idleRemainingMs: T - 9_999 } });
    const plan = planRequest(record, policy, t0 + 10_000, 'activity');
    expect(plan.write).toEqual({ id: 'r1', createdAt: t0, lastActivity: t0 + 10_000 });
    expect(plan.evaluation).toMatchObject({ state: 'active', idleRemainingMs: T });
  });

  it('writes on a keep-alive within the same write budget, and never on a passive request', () => {
    const record = startRecord(t0, 'r2');
    expect(planRequest(record, policy, t0 + 1, 'keepalive').write).toBeNull();
    expect(planRequest(record, policy, t0 + 10_000, 'keepalive').write).toEqual({ id: 'r2', createdAt: t0, lastActivity: t0 + 10_000 });
    expect(planRequest(record, policy, t0 + 50_000, 'passive').write).toBeNull();
  });

  it('writes once for parallel requests of one session: the ledger sees the first write', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r4');
    const plans = Array.from({ length: 20 }, () => planRequest(record, policy, t0 + 10_000, 'keepalive', ledger));
    expect(plans.filter((plan) => plan.write !== null)).toHaveLength(1);
    for (const plan of plans) expect(plan.evaluation).toMatchObject({ state: 'active', idleRemainingMs: T });
  });

  it('gives every new record a random id', () => {
    const a = startRecord(t0);
    const b = startRecord(t0);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('keeps createdAt, so sliding expiration never moves the absolute deadline', () => {
    const plan = planRequest({ createdAt: t0, lastActivity: t0 + 30_000 }, policy, t0 + 50_000, 'keepalive');
    expect(plan.evaluation).toMatchObject({ state: 'active', absoluteRemainingMs: null });
    expect(plan.write).toEqual({ createdAt: t0, lastActivity: t0 + 50_000 });
  });

  it('asks to destroy an expired tracked session and never revives it', () => {
    const plan = planRequest(startRecord(t0), policy, t0 + T, 'keepalive');
    expect(plan.write).toBeNull();
    expect(plan).toEqual({
      evaluation: { state: 'expired', reason: 'idle', invalid: false },
      write: null,
      expire: { state: 'expired', reason: 'idle', invalid: false },
      discard: false,
    });
  });

  it('discards a session the ledger says was ended, and notes every write in the ledger', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r3');
    expect(planRequest(record, policy, t0 + 20_000, 'keepalive', ledger).write).toMatchObject({ lastActivity: t0 + 20_000 });
    expect(ledger.latestActivity('r3', t0 + 20_000)).toBe(t0 + 20_000);
    ledger.end('r3', t0 + 25_000);
    expect(planRequest(record, policy, t0 + 30_000, 'keepalive', ledger)).toEqual({
      evaluation: { state: 'none' },
      write: null,
      expire: null,
      discard: true,
    });
  });

  it('a request still carrying a session another request expired learns the reason too (issue 11: 1 of 10 parallel requests did)', () => {
    const ledger = new SessionLedger(T);
    const record = startRecord(t0, 'r4');
    // Ten requests were sent with the session; the first finds it idle for T and ends it.
    const first = planRequest(record, policy, t0 + T + 200, 'activity', ledger);
    expect(first.expire).toMatchObject({ state: 'expired', reason: 'idle' });
    ledger.end('r4', t0 + T + 200, 'idle');
    for (let i = 1; i < 10; i++) {
      expect(planRequest(record, policy, t0 + T + 200 + i, i % 2 ? 'passive' : 'activity', ledger)).toEqual({
        evaluation: { state: 'expired', reason: 'idle', invalid: false },
        write: null,
        expire: null,
        discard: true,
      });
    }
    // A sign-out recorded after the expiry does not hide the reason; a session signed out has none.
    ledger.end('r4', t0 + T + 300);
    expect(ledger.ending('r4', t0 + T + 300)).toBe('idle');
    ledger.end('r5', t0);
    expect(planRequest(startRecord(t0, 'r5'), policy, t0 + 1, 'passive', ledger).evaluation).toEqual({ state: 'none' });
    ledger.end('r6', t0, 'absolute');
    expect(planRequest(startRecord(t0, 'r6'), policy, t0 + 1, 'passive', ledger).evaluation).toMatchObject({ state: 'expired', reason: 'absolute' });
  });

  it('asks to destroy a tampered record', () => {
    expect(planRequest({ createdAt: 'x', lastActivity: t0 }, policy, t0, 'activity').expire).toMatchObject({ invalid: true });
  });
});
