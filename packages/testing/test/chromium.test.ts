import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertChromium, chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';
import { idleSessionTest, type IdleSessionTest } from '../src/playwright.js';
import { START, WARN_BEFORE, type Framework, type TestApp } from './apps.js';

// Real Chromium, the element's built bundle, and the real adapters: every state is reached by moving the
// server's clock (15-minute idle timeout, 2-minute warning), never by waiting for it. Only `unreachable`
// takes real time: the element must find the server gone at its deadline (1 s lead).

/** How long a wait for the page may take on a loaded machine before it fails. */
const PATIENCE_MS = 15_000;

let browser: Browser;

beforeAll(async () => {
  assertChromium('The browser tests of @idle-session/testing');
  browser = await chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] });
});

afterAll(async () => {
  await browser?.close();
});

describe.each<Framework>(['express', 'koa'])('%s: driving <idle-session-warning> in Chromium', (framework) => {
  let app: TestApp;
  let context: BrowserContext;
  let page: Page;
  let session: IdleSessionTest;
  const errors: string[] = [];

  beforeAll(async () => {
    app = await START[framework]();
  });
  afterAll(async () => {
    await app.close();
  });

  afterEach(async () => {
    await session?.reset();
    await context?.close();
    expect(errors).toEqual([]);
  });

  /** A fresh browser, signed in, on the page with the element, once the element has heard from the server. */
  async function openSignedIn(query = ''): Promise<void> {
    errors.length = 0;
    context = await browser.newContext();
    expect((await context.request.post(`${app.url}/sign-in${query}`)).status()).toBe(200);
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${app.url}/`);
    session = idleSessionTest(page, { timeoutMs: PATIENCE_MS });
    await session.waitForState('active');
  }

  const property = (name: 'state' | 'remainingMs') =>
    page.locator('idle-session-warning').evaluate((el, key) => (el as unknown as Record<string, unknown>)[key], name);

  it('warning: the server clock moves to inside the warning time', async () => {
    await openSignedIn();
    const result = await session.driveTo('warning');
    expect(result.state).toBe('warning');
    expect(result.advancedMs).toBeGreaterThan(12 * 60_000);
    expect(await property('state')).toBe('warning');
    expect(await page.locator('idle-session-warning').getAttribute('state')).toBe('warning');
    const remaining = (await property('remainingMs')) as number;
    expect(remaining).toBeLessThanOrEqual(WARN_BEFORE - 1_000);
    expect(remaining).toBeGreaterThan(WARN_BEFORE - 10_000);
    // The dialog the user would see is up, with the way to extend.
    await expect.poll(() => page.getByRole('button', { name: 'Stay signed in' }).isVisible(), { timeout: PATIENCE_MS }).toBe(true);
  });

  it("the element follows the session's own timeouts (issue 12: chosen at sign-in), not the app's defaults", async () => {
    // The app's default: 15 minutes, warned 2 minutes before. This user's session: 5 minutes, warned 30 s before.
    await openSignedIn('?idleTimeout=300000&warnBefore=30000');
    expect((await property('remainingMs')) as number).toBeLessThanOrEqual(300_000);
    // 60 s before the deadline: inside the app's default warning time, outside this session's (30 s of margin
    // for a slow machine before this session's warning is due): no warning.
    await session.advance(300_000 - 60_000);
    await page.locator('idle-session-warning').evaluate((el) => (el as unknown as { refresh(): void }).refresh());
    await expect.poll(() => property('remainingMs'), { timeout: PATIENCE_MS }).toBeLessThanOrEqual(60_000);
    expect(await property('state')).toBe('active');
    // Into this session's own warning time: the warning.
    const result = await session.driveTo('warning');
    expect(result.state).toBe('warning');
    expect((await property('remainingMs')) as number).toBeLessThanOrEqual(30_000);
  });

  it('warning with a chosen time left, then Stay signed in brings it back to active', async () => {
    await openSignedIn();
    await session.driveTo('warning', { remainingMs: 30_000 });
    expect((await property('remainingMs')) as number).toBeLessThanOrEqual(30_000);
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await session.waitForState('active');
    expect(await property('state')).toBe('active');
  });

  it('expired: the server clock moves past the deadline; the element says why', async () => {
    await openSignedIn();
    await session.driveTo('expired');
    expect(await property('state')).toBe('expired');
    // The dialog says why, with the policy's idle timeout (15 minutes).
    await expect.poll(() => page.getByText('You were signed out after 15 minutes of inactivity.').isVisible(), { timeout: PATIENCE_MS }).toBe(true);
  });

  it('expired straight from the warning', async () => {
    await openSignedIn();
    await session.driveTo('warning');
    await session.driveTo('expired');
    expect(await property('state')).toBe('expired');
  });

  it('signed-out: the session ends on the server (as from another tab or an administrator)', async () => {
    await openSignedIn();
    await session.driveTo('signed-out');
    expect(await property('state')).toBe('signed-out');
    expect(await page.evaluate(() => fetch('/idle-session/status').then((r) => r.json()))).toEqual({ state: 'none' });
  });

  it('unreachable: the server stops answering before the deadline, and the element says so at it', async () => {
    await openSignedIn();
    const started = Date.now();
    await session.driveTo('unreachable');
    expect(await property('state')).toBe('unreachable');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await session.now()).unreachable).toBe(true);
    // Back online: Try again finds the session expired meanwhile (its deadline passed).
    await session.unreachable(false);
    await page.getByRole('button', { name: 'Try again' }).click();
    await session.waitForState('expired');
  });

  it('the browser entry itself (as a web-test-runner test imports it): driveTo and controlsClient in the page', async () => {
    await openSignedIn();
    // A string, so that vitest does not rewrite the page's import() as its own.
    const states = await page.evaluate(`(async () => {
      const { driveTo, waitForState, controlsClient } = await import('/testing/browser.js');
      const el = document.querySelector('idle-session-warning');
      const seen = [];
      seen.push((await driveTo(el, 'warning', { remainingMs: 60000 })).state);
      const controls = controlsClient();
      seen.push(String((await controls.now()).offsetMs > 0));
      await controls.advance(2 * 60000);
      el.refresh();
      seen.push((await waitForState(el, 'expired')).state);
      await controls.reset();
      seen.push(String((await controls.now()).offsetMs));
      return seen;
    })()`);
    expect(states).toEqual(['warning', 'true', 'expired', '0']);
  });

  it('fails clearly when there is no session to drive', async () => {
    errors.length = 0;
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${app.url}/`);
    session = idleSessionTest(page, { timeoutMs: 1_000 });
    await expect(session.driveTo('warning')).rejects.toThrow(/did not reach a signed-in state .* within 1000 ms: it is in "none"/);
  });
});
