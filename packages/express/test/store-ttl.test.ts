import { SESSION_KEY } from '@idle-session/core';
import { describe, expect, it } from 'vitest';
import { idleSession, sessionTtl } from '../src/index.js';

describe('sessionTtl (a per-session TTL for memorystore and the like)', () => {
  const now = 1_700_000_000_000;
  const idle = idleSession({ idleTimeout: 60_000, absoluteTimeout: 300_000, touchInterval: 5_000 });
  const ttl = sessionTtl(idle.policy, () => now);

  it('keeps a tracked session until its idle deadline plus touchInterval', () => {
    expect(ttl({}, { [SESSION_KEY]: { id: 'a', createdAt: now - 10_000, lastActivity: now - 20_000 } })).toBe(45_000);
  });

  it('never past the absolute deadline', () => {
    expect(ttl({}, { [SESSION_KEY]: { id: 'a', createdAt: now - 290_000, lastActivity: now } })).toBe(10_000);
  });

  it('at least 1 ms for a session already past its deadline, and the idle timeout plus touchInterval for anonymous or malformed data', () => {
    expect(ttl({}, { [SESSION_KEY]: { id: 'a', createdAt: now - 400_000, lastActivity: now - 400_000 } })).toBe(1);
    expect(ttl({}, { cookie: {} })).toBe(65_000);
    expect(ttl({}, null)).toBe(65_000);
    expect(ttl({}, { [SESSION_KEY]: { id: 'a', createdAt: 'x', lastActivity: now } })).toBe(65_000);
  });
});
