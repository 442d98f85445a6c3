import { describe, expect, it } from 'vitest';
import { DestroyedSessions, reconcileBeforeSave } from '../src/index.js';

const t0 = 1_700_000_000_000;

describe('reconcileBeforeSave', () => {
  it('never puts back a session the store no longer holds (signed out or expired meanwhile)', () => {
    expect(reconcileBeforeSave({ createdAt: t0, lastActivity: t0 + 45_000 }, undefined, false)).toEqual({ save: false });
    expect(reconcileBeforeSave(undefined, undefined, false)).toEqual({ save: false });
  });

  it('keeps the later last-activity: a slow request cannot write back a stale one', () => {
    const stale = { createdAt: t0, lastActivity: t0 };
    const fresh = { createdAt: t0, lastActivity: t0 + 40_000 };
    expect(reconcileBeforeSave(stale, fresh, true)).toEqual({ save: true, record: fresh });
    expect(reconcileBeforeSave(fresh, stale, true)).toEqual({ save: true, record: fresh });
  });

  it('saves the request\'s record as it is when the copies are not the same tracked session', () => {
    const ours = { createdAt: t0 + 1, lastActivity: t0 + 1 };
    expect(reconcileBeforeSave(ours, { createdAt: t0, lastActivity: t0 + 50_000 }, true)).toEqual({ save: true, record: ours });
    expect(reconcileBeforeSave(undefined, { endedReason: 'idle' }, true)).toEqual({ save: true, record: undefined });
    expect(reconcileBeforeSave(ours, { createdAt: 'x', lastActivity: t0 + 50_000 }, true)).toEqual({ save: true, record: ours });
  });
});

describe('DestroyedSessions', () => {
  it('remembers destroyed ids for ttlMs', () => {
    const destroyed = new DestroyedSessions(1000, 10);
    destroyed.add('a', t0);
    expect(destroyed.has('a', t0 + 999)).toBe(true);
    expect(destroyed.has('a', t0 + 1000)).toBe(false);
    expect(destroyed.has('b', t0)).toBe(false);
  });

  it('stays bounded: drops expired entries and the oldest beyond max', () => {
    const destroyed = new DestroyedSessions(1000, 3);
    for (let i = 0; i < 5; i++) destroyed.add(`id${i}`, t0 + i);
    expect(destroyed.size).toBe(3);
    expect(destroyed.has('id0', t0 + 5)).toBe(false);
    expect(destroyed.has('id4', t0 + 5)).toBe(true);
    destroyed.add('late', t0 + 2000);
    expect(destroyed.size).toBe(1);
  });
});
