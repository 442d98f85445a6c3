import { describe, expect, it } from 'vitest';
import { createPolicy, IdlePolicyError, resolveOptions, systemClock } from '../src/index.js';

describe('createPolicy', () => {
  it('fills in defaults: warnBefore 2 min, touchInterval idleTimeout/20 capped at 60 s, no absolute timeout', () => {
    const policy = createPolicy({ idleTimeout: 15 * 60_000 });
    expect(policy).toMatchObject({ idleTimeout: 900_000, warnBefore: 120_000, touchInterval: 45_000, absoluteTimeout: null });
    expect(policy.clock).toBe(systemClock);
    expect(createPolicy({ idleTimeout: 8 * 3_600_000 }).touchInterval).toBe(60_000);
    expect(Object.isFrozen(policy)).toBe(true);
  });

  it('defaults warnBefore to half the idle timeout when the idle timeout is under 4 minutes', () => {
    expect(createPolicy({ idleTimeout: 60_000 }).warnBefore).toBe(30_000);
  });

  it('accepts explicit values', () => {
    const clock = { now: () => 42 };
    const policy = createPolicy({ idleTimeout: 6000, warnBefore: 3000, absoluteTimeout: 60_000, touchInterval: 0, clock });
    expect(policy).toMatchObject({ idleTimeout: 6000, warnBefore: 3000, absoluteTimeout: 60_000, touchInterval: 0 });
    expect(policy.clock.now()).toBe(42);
  });

  it.each([
    [{}, 'idleTimeout', /is required/],
    [{ idleTimeout: '900' }, 'idleTimeout', /finite number.*"900"/],
    [{ idleTimeout: Number.NaN }, 'idleTimeout', /finite number.*NaN/],
    [{ idleTimeout: Number.POSITIVE_INFINITY }, 'idleTimeout', /finite number.*Infinity/],
    [{ idleTimeout: 0 }, 'idleTimeout', /greater than zero.*got 0/],
    [{ idleTimeout: -5 }, 'idleTimeout', /greater than zero.*got -5/],
    [{ idleTimeout: 1000, warnBefore: 1000 }, 'warnBefore', /less than idleTimeout \(1000 ms\), got 1000/],
    [{ idleTimeout: 1000, warnBefore: 0 }, 'warnBefore', /greater than zero/],
    [{ idleTimeout: 1000, absoluteTimeout: 999 }, 'absoluteTimeout', /at least idleTimeout \(1000 ms\), got 999/],
    [{ idleTimeout: 1000, absoluteTimeout: Number.NaN }, 'absoluteTimeout', /finite number/],
    [{ idleTimeout: 1000, touchInterval: 1000 }, 'touchInterval', /less than idleTimeout/],
    [{ idleTimeout: 1000, touchInterval: -1 }, 'touchInterval', /zero or more/],
    [{ idleTimeout: 1000, clock: {} }, 'clock', /now\(\) method/],
  ])('rejects %j naming %s', (options, option, message) => {
    let error: unknown;
    try {
      createPolicy(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(IdlePolicyError);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as IdlePolicyError).option).toBe(option);
    expect((error as Error).message).toContain(`"${option}"`);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects a missing options object', () => {
    expect(() => createPolicy(undefined as never)).toThrow(/option "options" must be an object/);
  });
});

describe('resolveOptions', () => {
  it('defaults the prefix and counts every request as activity', () => {
    const resolved = resolveOptions({ idleTimeout: 60_000, warnBefore: 30_000 });
    expect(resolved.prefix).toBe('/idle-session');
    expect(resolved.isActivity({})).toBe(true);
    expect(resolved.warnings).toEqual([]);
  });

  it.each(['idle-session', '/idle-session/', '', '/a b', 42])('rejects the prefix %j', (prefix) => {
    expect(() => resolveOptions({ idleTimeout: 60_000, prefix: prefix as never })).toThrow(/option "prefix"/);
  });

  it('rejects an isActivity that is not a function', () => {
    expect(() => resolveOptions({ idleTimeout: 60_000, isActivity: true as never })).toThrow(/option "isActivity" must be a function/);
  });

  it('warns when warnBefore gives less than the 20 s of WCAG 2.2 SC 2.2.1', () => {
    const { warnings } = resolveOptions({ idleTimeout: 6000, warnBefore: 3000 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/WCAG 2\.2 SC 2\.2\.1/);
  });
});
