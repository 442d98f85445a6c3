/**
 * A source of the current time.
 *
 * Inject one into the policy to test expiry without waiting: every decision in this
 * package asks the clock, never `Date.now()` directly.
 */
export interface Clock {
  /** The current time as milliseconds since the Unix epoch (like `Date.now()`). */
  now(): number;
}

/** The real wall clock: `Date.now()`. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });
