import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../scripts/redis-server.mjs';
import { FRAMEWORKS } from '../src/config.js';
import { auditLines, signInWithFetch, signOutWithFetch, startDemo, type DemoServer } from './server.js';

// Issue 9, item 7: the sample app writes the session lifecycle as JSON lines to stdout.


describe.each(FRAMEWORKS)('sample app audit log (%s)', (framework) => {
  let redis: RedisServer;
  let memory: DemoServer;
  let onRedis: DemoServer;

  beforeAll(async () => {
    redis = await startRedisServer('The audit-log end-to-end tests');
    [memory, onRedis] = await Promise.all([
      startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20' }),
      startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '1', WARN_BEFORE: '0.5', REDIS_URL: redis.url, SESSION_SECRET: 'audit' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([memory?.stop(), onRedis?.stop()]);
    await redis?.stop();
  });

  it('writes one JSON line per event: signed in, extended, signed out, refused; never the cookie', async () => {
    const cookie = await signInWithFetch(memory.url);
    const status = (await (await fetch(`${memory.url}/idle-session/status`, { headers: { cookie } })).json()) as { sessionId: string };
    const keepAlive = await fetch(`${memory.url}/idle-session/keepalive`, { method: 'POST', headers: { cookie, 'x-idle-session': '1' } });
    expect(keepAlive.status).toBe(200);
    const forged = await fetch(`${memory.url}/idle-session/keepalive`, { method: 'POST', headers: { cookie } });
    expect(forged.status).toBe(403);
    const signOut = await signOutWithFetch(memory.url, cookie);
    expect(signOut.status).toBe(303);
    await expect.poll(() => auditLines(memory).map((line) => line.event)).toEqual(['signed-in', 'extended', 'refused', 'signed-out']);
    const lines = auditLines(memory);
    for (const line of lines) {
      expect(line.sessionId).toBe(status.sessionId);
      expect(Date.parse(line.time)).toBeGreaterThan(Date.now() - 60_000);
      expect(line.source).toBe('request');
    }
    expect(lines.map((line) => [line.method, line.path, line.reason])).toEqual([
      ['POST', '/login', null],
      ['POST', '/idle-session/keepalive', null],
      ['POST', '/idle-session/keepalive', 'forged-keepalive'],
      ['POST', '/logout', null],
    ]);
    expect(memory.output()).not.toContain(cookie.split('=')[1]!.slice(0, 20));
  });

  it('with Redis, a session that simply runs out, with nobody coming back, is logged too', async () => {
    await signInWithFetch(onRedis.url);
    // The session's id from its own audit line: no request may touch the session afterwards (one that came
    // after the 1 s idle deadline would find it expired itself, and the store would have nothing to report).
    await expect.poll(() => auditLines(onRedis).filter((line) => line.event === 'signed-in')).toHaveLength(1);
    const { sessionId } = auditLines(onRedis).find((line) => line.event === 'signed-in')!;
    await expect
      .poll(() => auditLines(onRedis).filter((line) => line.event === 'expired'), { timeout: 15_000, interval: 200 })
      .toEqual([expect.objectContaining({ event: 'expired', sessionId, reason: 'idle', method: null, path: null, source: 'store' })]);
  });
});
