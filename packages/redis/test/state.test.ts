import { createClient } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { changeLimits, createPolicy, ENDED_REASON_MEMORY_MS, SESSION_KEY, signInRecord, startRecord, type AuditEvent } from '@idle-session/core';
import { startRedisServer, type RedisServer } from '../../../scripts/redis-server.mjs';
import { RedisSessionState } from '../src/index.js';

const START = Date.UTC(2026, 0, 1);
const clock = { current: START, now: () => clock.current };
const DAY = 24 * 60 * 60_000;

let server: RedisServer;
let redis: ReturnType<typeof createClient>;
let state: RedisSessionState;

beforeAll(async () => {
  server = await startRedisServer('The @idle-session/redis tests');
  redis = createClient({ url: server.url });
  await redis.connect();
  state = new RedisSessionState({ client: redis });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});
beforeEach(async () => {
  await redis.flushDb();
  clock.current = START;
});

const json = (value: Record<string, unknown>) => JSON.stringify(value);

describe('RedisSessionState: ended marks', () => {
  it('marks a record id ended for the given time, shared by every client of the Redis', async () => {
    expect(await state.hasEnded('r1')).toBe(false);
    await state.markEnded('r1', 90_000);
    const other = new RedisSessionState({ client: redis });
    expect(await other.hasEnded('r1')).toBe(true);
    expect(await redis.pTTL(state.endedKey('r1'))).toBeGreaterThan(89_000);
    expect(await redis.pTTL(state.endedKey('r1'))).toBeLessThanOrEqual(90_000);
  });

  it('fails at construction with a message naming the option', () => {
    expect(() => new RedisSessionState({} as never)).toThrow(/option "client"/);
    expect(() => new RedisSessionState({ client: redis, prefix: 5 as never })).toThrow(/option "prefix"/);
  });
});

describe('RedisSessionState: conditional writes whose TTL follows the policy', () => {
  const policy = createPolicy({ idleTimeout: 60_000, absoluteTimeout: 300_000, touchInterval: 10_000, clock });

  it('writes a tracked session with a TTL of its idle deadline plus touchInterval', async () => {
    const session = { user: 'u', [SESSION_KEY]: startRecord(clock.now(), 'r1') };
    expect(await state.writeSession('s:1', session, json, policy)).toBe('written');
    expect(JSON.parse((await redis.get('s:1'))!)).toEqual(session);
    const ttl = await redis.pTTL('s:1');
    expect(ttl).toBeGreaterThan(69_000);
    expect(ttl).toBeLessThanOrEqual(70_000);
  });

  it("follows a session's own timeouts, and never writes back limits older than the stored ones", async () => {
    const own = signInRecord(clock.now(), policy, { idleTimeout: 30_000 }, 'r9');
    expect(await state.writeSession('s:9', { [SESSION_KEY]: own }, json, policy)).toBe('written');
    const ttl = await redis.pTTL('s:9');
    expect(ttl).toBeGreaterThan(34_000); // its own idle timeout plus its touchInterval (in proportion: 5 s)
    expect(ttl).toBeLessThanOrEqual(35_000);
    clock.current = START + 5_000;
    const tightened = changeLimits(own, policy, { idleTimeout: 10_000 }, undefined, clock.now());
    expect(await state.writeSession('s:9', { [SESSION_KEY]: tightened }, json, policy)).toBe('written');
    // A request that loaded the session before the change writes its copy back later, with a later activity.
    clock.current = START + 9_000;
    const stale = { user: 'u', [SESSION_KEY]: { ...own, lastActivity: clock.now() } };
    expect(await state.writeSession('s:9', stale, json, policy)).toBe('written');
    expect(JSON.parse((await redis.get('s:9'))!)).toEqual({ user: 'u', [SESSION_KEY]: { ...tightened, lastActivity: clock.now() } });
  });

  it('never past the absolute deadline', async () => {
    const record = { id: 'r1', createdAt: START, lastActivity: START + 280_000 };
    clock.current = START + 280_000;
    await state.writeSession('s:1', { [SESSION_KEY]: record }, json, policy);
    const ttl = await redis.pTTL('s:1');
    expect(ttl).toBeGreaterThan(19_000);
    expect(ttl).toBeLessThanOrEqual(20_000);
  });

  it('30-day idle and absolute timeouts give correct TTLs (no 32-bit overflow)', async () => {
    const long = createPolicy({ idleTimeout: 30 * DAY, absoluteTimeout: 30 * DAY, clock });
    await state.writeSession('s:1', { [SESSION_KEY]: startRecord(clock.now(), 'r1') }, json, long);
    const ttl = await redis.pTTL('s:1');
    expect(ttl).toBeGreaterThan(30 * DAY - 2_000);
    expect(ttl).toBeLessThanOrEqual(30 * DAY);
  });

  it('refuses to write a session whose record any instance marked ended, in the same command', async () => {
    await state.writeSession('s:1', { [SESSION_KEY]: startRecord(clock.now(), 'r1') }, json, policy);
    await state.markEnded('r1', 70_000);
    await redis.del('s:1'); // what the sign-out does after marking
    expect(await state.writeSession('s:1', { [SESSION_KEY]: { ...startRecord(clock.now(), 'r1'), lastActivity: START } }, json, policy)).toBe('ended');
    expect(await redis.exists('s:1')).toBe(0);
  });

  it('never moves a stored last-activity backwards (a slow request writes the later one)', async () => {
    const record = startRecord(START, 'r1');
    clock.current = START + 30_000;
    await state.writeSession('s:1', { [SESSION_KEY]: { ...record, lastActivity: START + 30_000 } }, json, policy);
    const slow = { user: 'changed by a slow request', [SESSION_KEY]: { ...record, lastActivity: START + 5_000 } };
    expect(await state.writeSession('s:1', slow, json, policy)).toBe('written');
    const stored = JSON.parse((await redis.get('s:1'))!);
    expect(stored).toEqual({ user: 'changed by a slow request', [SESSION_KEY]: { ...record, lastActivity: START + 30_000 } });
    expect(await redis.pTTL('s:1')).toBeGreaterThan(99_000 - 30_000 - 1_000);
  });

  it('writes nothing when the store already holds the very same session (a framework saving twice)', async () => {
    const session = { [SESSION_KEY]: { endedReason: 'idle' } };
    expect(await state.writeSession('s:1', session, json, policy)).toBe('written');
    expect(await state.writeSession('s:1', session, json, policy)).toBe('unchanged');
  });

  it('one write per touchInterval across instances: a copy that differs only by a recent last-activity is not written again', async () => {
    const record = startRecord(START, 'r1');
    clock.current = START + 10_000;
    expect(await state.writeSession('s:1', { user: 'u', [SESSION_KEY]: { ...record, lastActivity: START + 10_000 } }, json, policy)).toBe('written');
    clock.current = START + 15_000;
    expect(await state.writeSession('s:1', { user: 'u', [SESSION_KEY]: { ...record, lastActivity: START + 15_000 } }, json, policy)).toBe('unchanged');
    expect(await state.writeSession('s:1', { user: 'changed', [SESSION_KEY]: { ...record, lastActivity: START + 15_000 } }, json, policy)).toBe('written');
  });

  it('deletes instead of writing a session whose deadline has passed', async () => {
    await redis.set('s:1', 'old');
    clock.current = START + 71_000;
    expect(await state.writeSession('s:1', { [SESSION_KEY]: startRecord(START, 'r1') }, json, policy)).toBe('deleted');
    expect(await redis.exists('s:1')).toBe(0);
  });

  it('never deletes a session whose old copy is past its deadline while the stored copy holds a later last-activity: writes it with that', async () => {
    const record = startRecord(START, 'r1');
    clock.current = START + 60_000;
    expect(await state.writeSession('s:1', { user: 'u', [SESSION_KEY]: { ...record, lastActivity: START + 60_000 } }, json, policy)).toBe('written');
    clock.current = START + 71_000; // a request that loaded the copy of START (a long upload) writes it back now
    expect(await state.writeSession('s:1', { user: 'upload', [SESSION_KEY]: record }, json, policy)).toBe('written');
    expect(JSON.parse((await redis.get('s:1'))!)).toEqual({ user: 'upload', [SESSION_KEY]: { ...record, lastActivity: START + 60_000 } });
  });

  it('anonymous sessions live for the idle timeout plus touchInterval; one that only remembers why the last one ended, for a day', async () => {
    await state.writeSession('s:1', { csrfSecret: 'x' }, json, policy);
    expect(await redis.pTTL('s:1')).toBeGreaterThan(69_000);
    expect(await redis.pTTL('s:1')).toBeLessThanOrEqual(70_000);
    await state.writeSession('s:2', { [SESSION_KEY]: { endedReason: 'idle' } }, json, policy);
    expect(await redis.pTTL('s:2')).toBeGreaterThan(ENDED_REASON_MEMORY_MS - 1_000);
  });

  it('remembers why a session ends beyond its key: after the TTL ran out, a read learns the reason, never the data', async () => {
    await state.writeSession('s:1', { user: 'u', [SESSION_KEY]: startRecord(clock.now(), 'r1') }, json, policy);
    expect(await redis.pTTL(state.reasonKey('s:1'))).toBeGreaterThan(70_000 + ENDED_REASON_MEMORY_MS - 1_000);
    expect(await state.readSession('s:1')).toMatchObject({ endedReason: null });
    await redis.del('s:1'); // what the TTL does when nobody comes back
    expect(await state.readSession('s:1')).toEqual({ data: null, endedReason: 'idle' });
    // Near the absolute deadline the reason is the absolute timeout.
    clock.current = START + 280_000;
    await state.writeSession('s:2', { [SESSION_KEY]: { id: 'r2', createdAt: START, lastActivity: START + 280_000 } }, json, policy);
    await redis.del('s:2');
    expect(await state.readSession('s:2')).toEqual({ data: null, endedReason: 'absolute' });
    // A sign-out deletes both: nothing to report afterwards.
    await state.deleteSession('s:2');
    expect(await state.readSession('s:2')).toEqual({ data: null, endedReason: null });
  });

  it('works again after Redis forgot its scripts (SCRIPT FLUSH)', async () => {
    await redis.scriptFlush();
    expect(await state.writeSession('s:1', { [SESSION_KEY]: startRecord(clock.now(), 'r1') }, json, policy)).toBe('written');
  });
});

describe('RedisSessionState: sessions held active by a long request', () => {
  it('holds a record id active for the lease, until released, for every client of the Redis', async () => {
    const other = new RedisSessionState({ client: redis });
    expect(await other.isHeldActive('r1')).toBe(false);
    await state.holdActive('r1', 3_000);
    expect(await other.isHeldActive('r1')).toBe(true);
    expect(await redis.pTTL(state.activeKey('r1'))).toBeGreaterThan(2_000);
    expect(await redis.pTTL(state.activeKey('r1'))).toBeLessThanOrEqual(3_000);
    await state.releaseActive('r1');
    expect(await other.isHeldActive('r1')).toBe(false);
  });

  it("keeps the session's key and its reason marker alive while held, and never shortens them", async () => {
    await redis.set('sess:k', '{}', { expiration: { type: 'PX', value: 1_000 } });
    await redis.set(state.reasonKey('sess:k'), 'idle', { expiration: { type: 'PX', value: 1_000 } });
    await state.holdActive('r1', 3_000, { key: 'sess:k', ttlMs: 60_000 });
    expect(await redis.pTTL('sess:k')).toBeGreaterThan(59_000);
    expect(await redis.pTTL(state.reasonKey('sess:k'))).toBeGreaterThan(ENDED_REASON_MEMORY_MS);
    await state.holdActive('r1', 3_000, { key: 'sess:k', ttlMs: 10 });
    expect(await redis.pTTL('sess:k')).toBeGreaterThan(59_000);
    await state.holdActive('r1', 3_000, { key: 'sess:gone', ttlMs: 60_000 });
    expect(await redis.exists('sess:gone')).toBe(0); // a session already gone is not brought back
  });
});

describe('RedisSessionState: sessions that run out in Redis are logged (keyspace notifications)', () => {
  it('reports each expired session once, across watchers, with its reason and non-secret id; nothing for other keys', async () => {
    const policy = createPolicy({ idleTimeout: 60_000, absoluteTimeout: 300_000, touchInterval: 10_000, clock });
    const subscribers = [redis.duplicate(), redis.duplicate()];
    await Promise.all(subscribers.map((subscriber) => subscriber.connect()));
    const events: AuditEvent[] = [];
    const stops = await Promise.all(
      subscribers.map((subscriber) => state.watchExpiries({ subscriber, audit: (event) => events.push(event), clock: { now: () => 42 } })),
    );
    try {
      expect((await redis.configGet('notify-keyspace-events'))['notify-keyspace-events']).toMatch(/E/);
      const record = startRecord(START, 'r-gone');
      clock.current = START + 60_000 + 10_000 - 150; // 150 ms left of the key's TTL (idle timeout plus touchInterval)
      expect(await state.writeSession('s:gone', { [SESSION_KEY]: record }, json, policy)).toBe('written');
      await redis.set('unrelated', 'x', { expiration: { type: 'PX', value: 50 } });
      await vi.waitFor(() => expect(events).toHaveLength(1), { timeout: 5_000, interval: 50 });
      expect(events[0]).toEqual({ type: 'expired', sessionId: 'r-gone', at: 42, reason: 'idle', method: null, path: null, source: 'store' });
      expect(await redis.exists('s:gone')).toBe(0);
      const { endedReason } = await state.readSession('s:gone');
      expect(endedReason).toBe('idle'); // and the user who comes back still learns why
    } finally {
      await Promise.all(stops.map((stop) => stop()));
      await Promise.all(subscribers.map((subscriber) => subscriber.quit()));
    }
  });
});
