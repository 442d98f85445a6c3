import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { auditLines, signInWithFetch, signOutWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Item 8: without Redis, the Express and Fastify apps keep sessions in memorystore with idle-session's sessionTtl
// (src/memory-store.ts), not in express-session's (or @fastify/session's) MemoryStore, which never drops a session whose cookie
// has no expiry; the Koa app in @idle-session/koa's MemoryStore given the policy. A session nobody comes
// back to leaves the store at its idle deadline (plus touchInterval), by itself, and the audit log says so.
// What is kept is only why it ended, so a user who comes back is still told.
const IDLE_S = 2;
/** touchInterval for that idle timeout (idleTimeout / 20), in milliseconds. */
const TOUCH_MS = (IDLE_S * 1_000) / 20;


describe.each(FRAMEWORKS)('sample app: abandoned sessions in the memory store (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '1' });
  });
  afterAll(async () => server?.stop());

  /** Signs in and returns the cookie and the session's id from its own audit line (no request of it may follow). */
  async function abandonedSession(): Promise<{ cookie: string; sessionId: string }> {
    const before = auditLines(server).length;
    const cookie = await signInWithFetch(server.url);
    await expect.poll(() => auditLines(server).slice(before).filter((line) => line.event === 'signed-in')).toHaveLength(1);
    const { sessionId } = auditLines(server).slice(before).find((line) => line.event === 'signed-in')!;
    return { cookie, sessionId: sessionId! };
  }

  it('a session nobody comes back to leaves the store by itself after its idle deadline, and the audit log says so', async () => {
    const { sessionId } = await abandonedSession();
    await expect
      .poll(() => auditLines(server).filter((line) => line.event === 'expired' && line.sessionId === sessionId), { timeout: 15_000, interval: 200 })
      .toEqual([{ log: 'idle-session', time: expect.any(String), event: 'expired', sessionId, reason: 'idle', method: null, path: null, source: 'store' }]);
  });

  it('a cookie of an abandoned session replayed after its deadline gets why it ended, never the session; a signed-out one gets nothing', async () => {
    const { cookie } = await abandonedSession();
    // Past the idle deadline and the store's touchInterval, with no request of the session meanwhile.
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1_000 + TOUCH_MS + 500));
    expect(await statusOf(server.url, cookie)).toEqual({ state: 'expired', reason: 'idle' });
    const page = await fetch(`${server.url}/`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?reason=idle&next=%2F');
    // A session signed out is gone without a trace of it.
    const other = await signInWithFetch(server.url);
    expect((await signOutWithFetch(server.url, other)).status).toBe(303);
    expect(await statusOf(server.url, other)).toEqual({ state: 'none' });
  });
});
