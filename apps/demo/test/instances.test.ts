import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../scripts/redis-server.mjs';
import { FRAMEWORKS } from '../src/config.js';
import { launchChromium } from './chromium.js';
import { startDemo, type DemoServer } from './server.js';

// The sample app as `REDIS_URL=… pnpm start` runs it, twice (two processes, two ports, one secret),
// on one real redis-server, driven by one browser: cookies are per host, not per port, so the browser
// carries one session cookie to both instances, as behind a load balancer.
describe.each(FRAMEWORKS)('sample app on two instances sharing one Redis (%s)', (framework) => {
  let redis: RedisServer;
  let a: DemoServer;
  let b: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    redis = await startRedisServer('The multi-instance end-to-end tests');
    const env = { FRAMEWORK: framework, REDIS_URL: redis.url, SESSION_SECRET: 'shared-by-both-instances', IDLE_TIMEOUT: '60', WARN_BEFORE: '20' };
    [a, b] = await Promise.all([startDemo(env), startDemo(env)]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('says where sessions live, and a sign-in on A is a session on B; a sign-out on B ends it on A', async () => {
    expect(a.output()).toMatch(/sessions in Redis at redis:\/\/127\.0\.0\.1:\d+/);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${a.url}/login`);
    await page.fill('#username', 'demo');
    await page.fill('#password', 'demo');
    await Promise.all([page.waitForURL(`${a.url}/`), page.click('button[type=submit]')]);

    // The same browser on B: signed in, and a form saved there is seen on A.
    await page.goto(`${b.url}/`);
    expect(new URL(page.url()).pathname).toBe('/');
    await page.locator('#notes').fill('saved through B');
    await Promise.all([page.waitForURL(`${b.url}/`), page.click('#notes-form button[type=submit]')]);
    await page.goto(`${a.url}/`);
    expect(await page.locator('#notes').inputValue()).toBe('saved through B');
    const onA = await (await page.request.get(`${a.url}/idle-session/status`)).json();
    expect(onA).toMatchObject({ state: 'active' });
    expect(await (await page.request.get(`${b.url}/idle-session/status`)).json()).toMatchObject({ state: 'active', sessionId: onA.sessionId });

    const stolen = (await context.cookies()).find((cookie) => cookie.name === 'demo.sid')!;
    await page.goto(`${b.url}/`);
    await Promise.all([page.waitForURL(`${b.url}/login`), page.locator('form[action="/logout"] button').click()]);
    for (const server of [a, b]) {
      const replay = await fetch(`${server.url}/idle-session/status`, { headers: { cookie: `demo.sid=${stolen.value}` } });
      expect(await replay.json()).toEqual({ state: 'none' });
    }
    await page.goto(`${a.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await context.close();
  });
});
