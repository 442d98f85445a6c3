import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPolicy, SessionEndedError, SessionLedger, SessionWatch, startRecord, WATCH_POLL_MS, type SharedEndings } from '../src/index.js';

const T = 60_000;
const START = 1_700_000_000_000;

describe('SessionWatch: signals for long-lived responses', () => {
  const clock = { now: () => Date.now() };
  const policy = createPolicy({ idleTimeout: T, warnBefore: 20_000, touchInterval: 10_000, absoluteTimeout: 300_000, clock });
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  const reasonOf = (signal: { reason: unknown }) => (signal.reason as SessionEndedError).reason;

  it('aborts at the idle deadline with reason idle, not before', () => {
    const watch = new SessionWatch(policy, new SessionLedger(T), null);
    const { signal } = watch.watch(startRecord(START, 'r1'));
    vi.advanceTimersByTime(T - 1);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(10);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(SessionEndedError);
    expect(reasonOf(signal)).toBe('idle');
    expect(watch.size).toBe(0);
  });

  it('activity elsewhere in this process moves the deadline; the absolute deadline does not move', () => {
    const ledger = new SessionLedger(T);
    const watch = new SessionWatch(policy, ledger, null);
    const { signal } = watch.watch(startRecord(START, 'r1'));
    while (Date.now() - START < 270_000) {
      vi.advanceTimersByTime(T / 2);
      ledger.noteActivity('r1', Date.now(), Date.now()); // a request every half idle timeout
    }
    vi.advanceTimersByTime(300_000 - (Date.now() - START) - 1);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(10);
    expect(reasonOf(signal)).toBe('absolute');
  });

  it('aborts at once when the session ends here, and is already aborted for a session that is not active', () => {
    const watch = new SessionWatch(policy, new SessionLedger(T), null);
    const first = watch.watch(startRecord(START, 'r1')).signal;
    const second = watch.watch(startRecord(START, 'r1')).signal;
    watch.ended('r1', 'signed-out');
    expect([reasonOf(first), reasonOf(second)]).toEqual(['signed-out', 'signed-out']);
    expect(reasonOf(watch.watch(undefined).signal)).toBe('none');
    expect(reasonOf(watch.watch({ endedReason: 'absolute' }).signal)).toBe('absolute');
    expect(reasonOf(watch.watch(startRecord(START - T, 'old')).signal)).toBe('idle');
  });

  it('forgets a signal whose response closed', () => {
    const watch = new SessionWatch(policy, new SessionLedger(T), null);
    const { signal, stop } = watch.watch(startRecord(START, 'r1'));
    stop();
    expect(watch.size).toBe(0);
    vi.advanceTimersByTime(2 * T);
    expect(signal.aborted).toBe(false);
  });

  it('with shared endings: an ending on another instance aborts within a poll; activity there moves the deadline', async () => {
    let endedElsewhere = false;
    let storedActivity: number | null = null;
    const shared: SharedEndings = {
      markEnded: async () => {},
      hasEnded: async () => endedElsewhere,
      latestActivity: async () => storedActivity,
    };
    const watch = new SessionWatch(policy, new SessionLedger(T), shared);
    const { signal } = watch.watch(startRecord(START, 'r1'), 'sess:1');
    storedActivity = START + 30_000; // a keep-alive answered by another instance
    await vi.advanceTimersByTimeAsync(T + 10);
    expect(signal.aborted).toBe(false);
    endedElsewhere = true;
    await vi.advanceTimersByTimeAsync(WATCH_POLL_MS);
    expect(reasonOf(signal)).toBe('signed-out');
  });
});
