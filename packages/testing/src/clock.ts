import { assertNotProduction } from './guard.js';

/** What the adapters' `clock` option takes (the `Clock` of `@idle-session/core`): epoch milliseconds. */
export interface ClockLike {
  /** The current time as milliseconds since the Unix epoch (like `Date.now()`). */
  now(): number;
}

/** Options of {@link TestClock}. */
export interface TestClockOptions {
  /** Where the clock starts, in epoch milliseconds. Default: the real time (`Date.now()`). */
  start?: number | undefined;
}

function requireTime(name: string, value: unknown, { allowNegative = true } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (!allowNegative && value < 0)) {
    throw new RangeError(`@idle-session/testing: ${name} must be a finite number of milliseconds${allowNegative ? '' : ', zero or more'}, got ${String(value)}.`);
  }
  return value;
}

/**
 * A clock for the adapters' `clock` option that a test can move: it runs with the real time, shifted
 * by an offset that {@link TestClock.advance}, {@link TestClock.set} and {@link TestClock.reset} change.
 * Every session of the app instance that was given it sees the same time (and so does `@idle-session/koa`'s
 * `MemoryStore` given `idle.policy`).
 *
 * Refuses to be created when `NODE_ENV` is `production`.
 *
 * @example
 * ```ts
 * const clock = new TestClock();
 * const idle = idleSession({ idleTimeout: 15 * 60_000, clock });
 * // … sign in, then:
 * clock.advance(14 * 60_000); // the status endpoint now answers remainingMs ≈ 60 000
 * ```
 */
export class TestClock implements ClockLike {
  #offset = 0;

  /**
   * @param options - see {@link TestClockOptions}.
   * @throws Error when `NODE_ENV` is `production`; RangeError for a `start` that is not a finite number.
   */
  constructor(options: TestClockOptions = {}) {
    assertNotProduction('TestClock');
    if (options.start !== undefined) this.#offset = requireTime('start', options.start) - Date.now();
  }

  /**
   * The clock's current time, in epoch milliseconds: `Date.now()` plus the offset. A bound function,
   * so `{ now: clock.now }` works too.
   */
  readonly now = (): number => Date.now() + this.#offset;

  /** How far this clock is ahead of the real time (negative: behind), in milliseconds. */
  get offsetMs(): number {
    return this.#offset;
  }

  /**
   * Moves the clock forward.
   * @param ms - milliseconds, zero or more (time never goes back through `advance`; use {@link set}).
   * @returns the new {@link now}.
   * @throws RangeError when `ms` is negative or not a finite number.
   */
  advance(ms: number): number {
    this.#offset += requireTime('advance(ms)', ms, { allowNegative: false });
    return this.now();
  }

  /**
   * Sets the clock to a moment, from which it runs on with the real time.
   * @param epochMs - the new time, in epoch milliseconds (may be earlier than now).
   * @returns the new {@link now}.
   * @throws RangeError when `epochMs` is not a finite number.
   */
  set(epochMs: number): number {
    this.#offset = requireTime('set(epochMs)', epochMs) - Date.now();
    return this.now();
  }

  /** Back to the real time (offset 0). Sessions written while the clock was ahead then look newer than they are. */
  reset(): void {
    this.#offset = 0;
  }
}

/** Whether `value` can be moved like a {@link TestClock} (duck-typed, so two copies of this package agree). */
export function isTestClock(value: unknown): value is TestClock {
  const clock = value as Partial<TestClock> | null;
  return (
    typeof clock === 'object' &&
    clock !== null &&
    typeof clock.now === 'function' &&
    typeof clock.advance === 'function' &&
    typeof clock.set === 'function' &&
    typeof clock.reset === 'function'
  );
}
