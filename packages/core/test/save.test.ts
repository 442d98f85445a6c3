import { describe, expect, it } from 'vitest';
import { SessionLedger, settleBeforeSave } from '../src/index.js';

const t0 = 1_700_000_000_000;
const ledger = () => new SessionLedger(60_000);

describe('settleBeforeSave', () => {
  it('never puts back a session the store no longer holds (signed out or expired meanwhile)', () => {
    const ours = { id: 'a', createdAt: t0, lastActivity: t0 + 45_000 };
    expect(settleBeforeSave(ours, { stored: { exists: false, record: undefined }, ledger: ledger(), now: t0 })).toEqual({ save: false });
  });

  it('never puts back a session this process ended, with or without a store', () => {
    const known = ledger();
    known.end('a', t0);
    const ours = { id: 'a', createdAt: t0, lastActivity: t0 };
    expect(settleBeforeSave(ours, { ledger: known, now: t0 + 1 })).toEqual({ save: false });
    expect(settleBeforeSave(ours, { stored: { exists: true, record: ours }, ledger: known, now: t0 + 1 })).toEqual({ save: false });
  });

  it('keeps the later last-activity from the store: a slow request cannot write back a stale one', () => {
    const stale = { id: 'a', createdAt: t0, lastActivity: t0 };
    const fresh = { id: 'a', createdAt: t0, lastActivity: t0 + 40_000 };
    expect(settleBeforeSave(stale, { stored: { exists: true, record: fresh }, ledger: ledger(), now: t0 })).toEqual({ save: true, record: fresh });
    expect(settleBeforeSave(fresh, { stored: { exists: true, record: stale }, ledger: ledger(), now: t0 })).toEqual({ save: true, record: fresh });
  });

  it('keeps the later last-activity from the ledger (cookie-only sessions)', () => {
    const known = ledger();
    known.noteActivity('a', t0 + 40_000, t0 + 40_000);
    const stale = { id: 'a', createdAt: t0, lastActivity: t0 + 15_000 };
    expect(settleBeforeSave(stale, { ledger: known, now: t0 + 45_000 })).toEqual({ save: true, record: { ...stale, lastActivity: t0 + 40_000 } });
  });

  it('leaves other records as they are', () => {
    const ours = { id: 'b', createdAt: t0 + 1, lastActivity: t0 + 1 };
    const other = { id: 'a', createdAt: t0, lastActivity: t0 + 50_000 };
    expect(settleBeforeSave(ours, { stored: { exists: true, record: other }, ledger: ledger(), now: t0 })).toEqual({ save: true, record: ours });
    expect(settleBeforeSave(undefined, { stored: { exists: true, record: { endedReason: 'idle' } }, ledger: ledger(), now: t0 })).toEqual({
      save: true,
      record: undefined,
    });
  });
});

describe('SessionLedger', () => {
  it('remembers ended ids and the latest activity for ttlMs', () => {
    const known = new SessionLedger(1000, 10);
    known.noteActivity('a', t0 + 5, t0);
    known.noteActivity('a', t0 + 3, t0);
    expect(known.latestActivity('a', t0 + 999)).toBe(t0 + 5);
    known.end('a', t0);
    expect(known.hasEnded('a', t0 + 999)).toBe(true);
    expect(known.latestActivity('a', t0)).toBeNull();
    known.noteActivity('a', t0 + 9, t0);
    expect(known.hasEnded('a', t0 + 1)).toBe(true);
    expect(known.hasEnded('a', t0 + 1000)).toBe(false);
    expect(known.hasEnded('b', t0)).toBe(false);
  });

  it('never forgets an ended session because of activity: the two tables are bounded apart', () => {
    const known = new SessionLedger(60_000, 100);
    known.end('ended', t0);
    for (let i = 0; i < 1_000; i++) known.noteActivity(`busy${i}`, t0 + i, t0 + i);
    expect(known.hasEnded('ended', t0 + 1_000)).toBe(true);
    expect(known.size).toBe(101);
  });

  it('forgets stale entries a generation at a time, not by walking them under a request', () => {
    const known = new SessionLedger(1_000, 100_000);
    for (let i = 0; i < 10_000; i++) known.noteActivity(`id${i}`, t0, t0);
    known.noteActivity('soon', t0 + 600, t0 + 600);
    expect(known.size).toBe(10_001); // not stale yet
    expect(known.latestActivity('id1', t0 + 999)).toBe(t0);
    expect(known.latestActivity('id1', t0 + 1_000)).toBeNull();
    known.noteActivity('later', t0 + 1_250, t0 + 1_250); // the first generation is all stale: dropped whole
    expect(known.size).toBe(2);
    expect(known.latestActivity('soon', t0 + 1_250)).toBe(t0 + 600);
  });

  it('stays bounded: drops expired entries and the oldest beyond max', () => {
    const known = new SessionLedger(1000, 3);
    for (let i = 0; i < 5; i++) known.end(`id${i}`, t0 + i);
    expect(known.size).toBe(3);
    expect(known.hasEnded('id0', t0 + 5)).toBe(false);
    expect(known.hasEnded('id4', t0 + 5)).toBe(true);
    known.end('late', t0 + 2000);
    expect(known.size).toBe(1);
  });
});
