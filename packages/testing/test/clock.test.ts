import { afterEach, describe, expect, it, vi } from 'vitest';
import { isTestClock, TestClock } from '../src/index.js';

describe('TestClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts at the real time and runs with it', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const clock = new TestClock();
    expect(clock.now()).toBe(1_000_000);
    vi.advanceTimersByTime(250);
    expect(clock.now()).toBe(1_000_250);
    expect(clock.offsetMs).toBe(0);
  });

  it('advance(ms) moves it forward and keeps running from there', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const clock = new TestClock();
    expect(clock.advance(60_000)).toBe(1_060_000);
    expect(clock.offsetMs).toBe(60_000);
    vi.advanceTimersByTime(10);
    expect(clock.now()).toBe(1_060_010);
    clock.advance(0);
    expect(clock.now()).toBe(1_060_010);
  });

  it('set(epochMs) puts it at a moment, earlier or later; reset() goes back to the real time', () => {
    vi.useFakeTimers({ now: 5_000 });
    const clock = new TestClock();
    expect(clock.set(9_000)).toBe(9_000);
    expect(clock.set(1_000)).toBe(1_000);
    expect(clock.offsetMs).toBe(-4_000);
    clock.reset();
    expect(clock.now()).toBe(5_000);
    expect(clock.offsetMs).toBe(0);
  });

  it('takes a start time', () => {
    vi.useFakeTimers({ now: 5_000 });
    expect(new TestClock({ start: 42 }).now()).toBe(42);
  });

  it('refuses a negative or non-finite advance and a non-finite time, naming the call', () => {
    const clock = new TestClock();
    expect(() => clock.advance(-1)).toThrow(/advance\(ms\) must be a finite number of milliseconds, zero or more, got -1/);
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set(Number.POSITIVE_INFINITY)).toThrow(/set\(epochMs\)/);
    expect(() => new TestClock({ start: Number.NaN })).toThrow(/start/);
    expect(clock.offsetMs).toBe(0);
  });

  it('now is bound, so { now: clock.now } works', () => {
    const clock = new TestClock();
    clock.advance(1_000_000);
    const { now } = clock;
    expect(now()).toBeGreaterThanOrEqual(Date.now() + 999_000);
  });

  it('isTestClock tells a movable clock from a plain one', () => {
    expect(isTestClock(new TestClock())).toBe(true);
    expect(isTestClock({ now: () => 0 })).toBe(false);
    expect(isTestClock(null)).toBe(false);
  });
});
