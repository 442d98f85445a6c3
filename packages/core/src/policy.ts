import { systemClock, type Clock } from './clock.js';

/** Two minutes: the default warning lead, in milliseconds (GOV.UK's timeout pattern warns two minutes ahead). */
export const DEFAULT_WARN_BEFORE_MS = 2 * 60 * 1000;

/**
 * The expiry policy, as an application writes it. All durations are in **milliseconds**.
 *
 * The defaults and limits follow the OWASP Session Management Cheat Sheet ("Session Expiration":
 * idle and absolute timeouts enforced on the server) and WCAG 2.2 SC 2.2.1 Timing Adjustable
 * (warn the user and let them extend with a simple action).
 */
export interface IdlePolicyOptions {
  /**
   * Required. How long a tracked session may go without activity before the server ends it,
   * in milliseconds. OWASP suggests 2–5 minutes for high-value applications and 15–30 minutes
   * for low-risk ones.
   */
  idleTimeout: number;
  /**
   * Optional. The longest a tracked session may live from sign-in, whatever the activity,
   * in milliseconds. Must be at least `idleTimeout`. Omit (or `undefined`) for no absolute timeout.
   */
  absoluteTimeout?: number | undefined;
  /**
   * How long before the idle deadline the browser warns the user, in milliseconds.
   * Default 120 000 (2 minutes), clamped to half the idle timeout when the idle timeout is
   * 4 minutes or less and `warnBefore` was not given. Must be less than `idleTimeout`.
   */
  warnBefore?: number | undefined;
  /**
   * The minimum time between two writes of last-activity to the session store, in milliseconds.
   * Spares the store on busy pages; the idle deadline may then come early by at most this much,
   * never late. Default: `idleTimeout / 20`, at most 60 000. Must be less than `idleTimeout`.
   * `0` writes on every request that counts as activity.
   */
  touchInterval?: number | undefined;
  /** The clock every decision reads. Default: the system clock (`Date.now()`). */
  clock?: Clock | undefined;
}

/** A validated policy with every default filled in. Create one with {@link createPolicy}. */
export interface IdlePolicy {
  /** Milliseconds without activity after which a tracked session ends. */
  readonly idleTimeout: number;
  /** Milliseconds from sign-in after which a tracked session ends, or `null` for none. */
  readonly absoluteTimeout: number | null;
  /** Milliseconds before the idle deadline at which the browser warns. */
  readonly warnBefore: number;
  /** Minimum milliseconds between two writes of last-activity. */
  readonly touchInterval: number;
  /** The clock every decision reads. */
  readonly clock: Clock;
}

/**
 * Thrown by {@link createPolicy} (and so by every adapter's factory, at start-up) for an invalid
 * option. `option` names the offending option; the message says what it was and what is allowed.
 */
export class IdlePolicyError extends TypeError {
  /** The name of the invalid option, e.g. `"warnBefore"`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(`idle-session: option "${option}" ${message}`);
    this.name = 'IdlePolicyError';
    this.option = option;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** Validates one duration option (internal: used by the per-session limits too). @throws {@link IdlePolicyError} naming it. */
export function requireDuration(option: string, value: unknown, { allowZero = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new IdlePolicyError(option, `must be a finite number of milliseconds, got ${describe(value)}.`);
  }
  if (value < 0 || (!allowZero && value === 0)) {
    throw new IdlePolicyError(
      option,
      `must be ${allowZero ? 'zero or more' : 'greater than zero'} (milliseconds), got ${describe(value)}.`,
    );
  }
  return value;
}

/**
 * Validates an application's policy options once, at start-up, and fills in defaults.
 *
 * @param options - see {@link IdlePolicyOptions}; every duration in milliseconds.
 * @returns a frozen {@link IdlePolicy}.
 * @throws {@link IdlePolicyError} (a `TypeError`) naming the option, when `options` is not an object,
 *   when a duration is missing, not a finite number, zero or negative, when `warnBefore` or
 *   `touchInterval` is not less than `idleTimeout`, when `absoluteTimeout` is less than
 *   `idleTimeout`, or when `clock` has no `now()` method.
 */
export function createPolicy(options: IdlePolicyOptions): IdlePolicy {
  if (options === null || typeof options !== 'object') {
    throw new IdlePolicyError('options', `must be an object such as { idleTimeout: 900000 }, got ${describe(options)}.`);
  }
  if (options.idleTimeout === undefined) {
    throw new IdlePolicyError('idleTimeout', 'is required: the idle timeout in milliseconds, e.g. 900000 for 15 minutes.');
  }
  const idleTimeout = requireDuration('idleTimeout', options.idleTimeout);

  let warnBefore: number;
  if (options.warnBefore === undefined) {
    warnBefore = Math.min(DEFAULT_WARN_BEFORE_MS, idleTimeout / 2);
  } else {
    warnBefore = requireDuration('warnBefore', options.warnBefore);
    if (warnBefore >= idleTimeout) {
      throw new IdlePolicyError(
        'warnBefore',
        `must be less than idleTimeout (${idleTimeout} ms), got ${warnBefore} ms: the warning would show before any inactivity.`,
      );
    }
  }

  let absoluteTimeout: number | null = null;
  if (options.absoluteTimeout !== undefined && options.absoluteTimeout !== null) {
    absoluteTimeout = requireDuration('absoluteTimeout', options.absoluteTimeout);
    if (absoluteTimeout < idleTimeout) {
      throw new IdlePolicyError(
        'absoluteTimeout',
        `must be at least idleTimeout (${idleTimeout} ms), got ${absoluteTimeout} ms; omit it for no absolute timeout.`,
      );
    }
  }

  let touchInterval: number;
  if (options.touchInterval === undefined) {
    touchInterval = Math.min(60_000, Math.floor(idleTimeout / 20));
  } else {
    touchInterval = requireDuration('touchInterval', options.touchInterval, { allowZero: true });
    if (touchInterval >= idleTimeout) {
      throw new IdlePolicyError(
        'touchInterval',
        `must be less than idleTimeout (${idleTimeout} ms), got ${touchInterval} ms; a small fraction such as idleTimeout / 20 is usual.`,
      );
    }
  }

  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new IdlePolicyError('clock', `must be an object with a now() method returning epoch milliseconds, got ${describe(clock)}.`);
  }

  return Object.freeze({ idleTimeout, absoluteTimeout, warnBefore, touchInterval, clock });
}
