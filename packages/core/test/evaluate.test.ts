import { describe, expect, it } from 'vitest';
import { createPolicy, endedRecord, evaluateRecord, startRecord } from '../src/index.js';

const T = 60_000;
const policy = createPolicy({ idleTimeout: T, warnBefore: 20_000, absoluteTimeout: 5 * T });
const noAbsolute = createPolicy({ idleTimeout: T, warnBefore: 20_000 });
const t0 = 1_700_000_000_000;

describe('evaluateRecord', () => {
  it('reports an active session with idle, absolute and overall remaining time', () => {
    const record = { createdAt: t0, lastActivity: t0 + 10_000 };
    expect(evaluateRecord(record, policy, t0 + 30_000)).toEqual({
      state: 'active',
      remainingMs: 40_000,
      idleRemainingMs: 40_000,
      absoluteRemainingMs: 270_000,
      lastActivity: t0 + 10_000,
      sessionId: null,
      idleTimeout: T,
      warnBefore: 20_000,
    });
    expect(evaluateRecord({ ...record, id: 'r' }, policy, t0 + 30_000)).toMatchObject({ sessionId: 'r' });
    expect(evaluateRecord(record, noAbsolute, t0 + 30_000)).toMatchObject({ remainingMs: 40_000, absoluteRemainingMs: null });
  });

  it('expires for inactivity exactly at the idle deadline', () => {
    const record = startRecord(t0);
    expect(evaluateRecord(record, policy, t0 + T - 1)).toMatchObject({ state: 'active', remainingMs: 1 });
    expect(evaluateRecord(record, policy, t0 + T)).toEqual({ state: 'expired', reason: 'idle', invalid: false });
  });

  it('caps the overall remaining time by the absolute deadline and expires with reason absolute', () => {
    const record = { createdAt: t0, lastActivity: t0 + 5 * T - 10_000 };
    expect(evaluateRecord(record, policy, t0 + 5 * T - 10_000)).toMatchObject({ state: 'active', remainingMs: 10_000, idleRemainingMs: T });
    expect(evaluateRecord(record, policy, t0 + 5 * T)).toEqual({ state: 'expired', reason: 'absolute', invalid: false });
  });

  it('names the deadline that passed first when both have passed', () => {
    const idleFirst = { createdAt: t0, lastActivity: t0 + T };
    expect(evaluateRecord(idleFirst, policy, t0 + 10 * T)).toMatchObject({ reason: 'idle' });
    const absoluteFirst = { createdAt: t0, lastActivity: t0 + 5 * T - 1000 };
    expect(evaluateRecord(absoluteFirst, policy, t0 + 10 * T)).toMatchObject({ reason: 'absolute' });
  });

  it('reports none without a tracked record', () => {
    for (const record of [undefined, null, {}, 'x', 42, [], { user: 'demo' }]) {
      expect(evaluateRecord(record, policy, t0)).toEqual({ state: 'none' });
    }
  });

  it('keeps reporting the reason on the anonymous session that replaced an expired one', () => {
    expect(evaluateRecord(endedRecord('absolute'), policy, t0)).toEqual({ state: 'expired', reason: 'absolute', invalid: false });
    expect(evaluateRecord({ endedReason: 'bogus' }, policy, t0)).toEqual({ state: 'none' });
  });

  it.each([
    ['missing createdAt', { lastActivity: t0 }],
    ['missing lastActivity', { createdAt: t0 }],
    ['string timestamps', { createdAt: String(t0), lastActivity: String(t0) }],
    ['NaN', { createdAt: t0, lastActivity: Number.NaN }],
    ['Infinity', { createdAt: t0, lastActivity: Number.POSITIVE_INFINITY }],
    ['negative', { createdAt: -1, lastActivity: t0 }],
    ['lastActivity in the future', { createdAt: t0, lastActivity: t0 + 1 }],
    ['createdAt in the future', { createdAt: t0 + 1, lastActivity: t0 + 1 }],
    ['lastActivity before createdAt', { createdAt: t0, lastActivity: t0 - 1 }],
    ['null timestamps', { createdAt: null, lastActivity: null }],
  ])('fails closed on %s', (_name, record) => {
    expect(evaluateRecord(record, policy, t0)).toEqual({ state: 'expired', reason: 'idle', invalid: true });
  });
});
