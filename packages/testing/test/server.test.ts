import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { controlsClient, SessionAgent } from '../src/index.js';
import { IDLE_TIMEOUT, START, WARN_BEFORE, type Framework, type TestApp } from './apps.js';

// The controls and the TestClock against the real adapters, over HTTP, as an app's vitest suite would use them.
describe.each<Framework>(['express', 'koa'])('%s: the test controls move the server clock', (framework) => {
  let app: TestApp;
  let agent: SessionAgent;
  let controls: ReturnType<typeof controlsClient>;

  beforeAll(async () => {
    app = await START[framework]();
  });
  afterAll(async () => {
    await app.close();
  });

  async function signIn(): Promise<void> {
    agent = new SessionAgent(app.url);
    controls = controlsClient({ controls: `${app.url}/__idle-session-test`, fetch: agent.fetch });
    expect((await agent.fetch('/sign-in', { method: 'POST' })).status).toBe(200);
    expect(await agent.status()).toMatchObject({ state: 'active', idleTimeoutMs: IDLE_TIMEOUT, warnBeforeMs: WARN_BEFORE });
  }

  afterEach(async () => {
    await controls.reset();
  });

  it('advance puts the session inside the warning time, then past its deadline (expired, idle)', async () => {
    await signIn();
    const moved = await controls.advance(IDLE_TIMEOUT - 60_000);
    expect(moved.offsetMs).toBe(IDLE_TIMEOUT - 60_000);
    const warning = await agent.status();
    expect(warning.state).toBe('active');
    if (warning.state !== 'active') return;
    expect(warning.remainingMs).toBeLessThanOrEqual(60_000);
    expect(warning.remainingMs).toBeGreaterThan(55_000);
    expect(warning.remainingMs).toBeLessThanOrEqual(warning.warnBeforeMs);
    await controls.advance(61_000);
    expect(await agent.status()).toEqual({ state: 'expired', reason: 'idle' });
  });

  it('the control requests are never activity: they do not move the deadline', async () => {
    await signIn();
    await controls.advance(5 * 60_000);
    const before = await agent.status();
    for (let i = 0; i < 3; i++) await controls.now();
    await controls.advance(0);
    const after = await agent.status();
    if (before.state !== 'active' || after.state !== 'active') throw new Error('not active');
    expect(after.idleRemainingMs).toBeLessThanOrEqual(before.idleRemainingMs);
    expect(after.idleRemainingMs).toBeGreaterThan(before.idleRemainingMs - 2_000);
  });

  it('set and now report the moved clock; the TestClock is the same object the app holds', async () => {
    await signIn();
    const at = Date.now() + 3_600_000;
    const set = await controls.set(at);
    expect(set.now).toBeGreaterThanOrEqual(at);
    expect(app.clock.now()).toBeGreaterThanOrEqual(at);
    expect((await controls.now()).unreachable).toBe(false);
  });

  it('sign-out ends the cookie session: the status says none', async () => {
    await signIn();
    await controls.signOut();
    expect(await agent.status()).toEqual({ state: 'none' });
  });

  it('unreachable (close) drops the connection of status and keep-alive only; reset brings them back', async () => {
    await signIn();
    expect((await controls.unreachable(true)).unreachable).toBe(true);
    await expect(agent.fetch('/idle-session/status')).rejects.toThrow(/fetch failed/);
    await expect(agent.fetch('/idle-session/keepalive', { method: 'POST', headers: { 'X-Idle-Session': '1' } })).rejects.toThrow(/fetch failed/);
    expect((await agent.fetch('/login')).status).toBe(200);
    await controls.reset();
    expect(await agent.status()).toMatchObject({ state: 'active' });
  });

  it('unreachable (503) answers 503 instead', async () => {
    await signIn();
    await controls.unreachable(true, '503');
    const response = await agent.fetch('/idle-session/status');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ state: 'unavailable' });
    await controls.unreachable(false);
    expect(await agent.status()).toMatchObject({ state: 'active' });
  });

  it('the switches work from Node too, on the middleware', async () => {
    await signIn();
    app.controls.setUnreachable(true, '503');
    expect(app.controls.unreachable).toBe(true);
    expect((await agent.fetch('/idle-session/status')).status).toBe(503);
    app.controls.reset();
    app.clock.advance(IDLE_TIMEOUT + 1);
    expect(await agent.status()).toEqual({ state: 'expired', reason: 'idle' });
  });

  it('refuses a POST without the X-Idle-Session-Test header (no cross-site use), a bad value, and unknown controls', async () => {
    await signIn();
    const plain = await agent.fetch('/__idle-session-test/advance?ms=1000', { method: 'POST' });
    expect(plain.status).toBe(403);
    expect(app.clock.offsetMs).toBe(0);
    const headers = { 'X-Idle-Session-Test': '1' };
    expect((await agent.fetch('/__idle-session-test/advance?ms=-5', { method: 'POST', headers })).status).toBe(400);
    expect((await agent.fetch('/__idle-session-test/advance', { method: 'POST', headers })).status).toBe(400);
    expect((await agent.fetch('/__idle-session-test/advance?ms=5', { method: 'GET' })).status).toBe(405);
    const unknown = await agent.fetch('/__idle-session-test/explode', { method: 'POST', headers });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ message: expect.stringContaining('POST /__idle-session-test/advance') });
    await expect(controlsClient({ controls: `${app.url}/nowhere`, fetch: agent.fetch }).now()).rejects.toThrow(
      /GET http:.*\/nowhere\/now answered 404.*Are the test controls/,
    );
  });
});
