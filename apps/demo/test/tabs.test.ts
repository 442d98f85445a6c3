import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { CHANNEL, ELEMENT_FRAMEWORK, elementState, enteredAt, PATIENCE_MS, recorded, RECORDER, serverDeadline, serverStatus, type Recorded } from './browser.js';
import { launchChromium } from './chromium.js';
import { screenshot } from './screenshots.js';
import { startDemo, type DemoServer } from './server.js';

// Several tabs of one browser, and a tab the user comes back to: real Chromium, the real sample app.
//
// The idle timeout is 60 s (the warning 30 s before it), long enough that no test here is disturbed by a
// warning or an expiry. Timing rules as in e2e.test.ts: every "within 2 s" is measured between two moments
// recorded inside the browser (the tabs of one browser share one clock: a click, a page load or a dispatched
// event in one tab, the element's state change in the same or another tab), never from when the test
// noticed something. Waits for the browser use the generous poll timeouts below.
const IDLE_MS = 60_000;
const WARN_MS = 30_000;
/** What the element promises: an ending or a newer session elsewhere, or the user's return, shows within 2 s. */
const PROMPT_MS = 2_000;
/** The element asks the server when the user comes back only if its last answer is older than this. */
const RESYNC_MS = 5_000;
/** How long the test types into a tab that must not send keep-alives any more. */
const TYPING_MS = 4_000;
const CHECK_TABS = '/assets/idle-session-check-tabs.js';
const KEEPALIVE = '/idle-session/keepalive';
/** Playwright's defaults that would keep the back-forward cache off, or keep background tabs from being throttled as users' are. */
const BFCACHE_BLOCKING_ARGS = [
  '--disable-back-forward-cache',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
];

const csrfToken = async (page: Page) => (await page.locator('meta[name="csrf-token"]').getAttribute('content')) ?? '';

/** Fills the login form the page shows and sends it with the keyboard (a mouse left over a page could count as activity there). */
async function submitLogin(page: Page, server: DemoServer): Promise<void> {
  await page.fill('#username', 'demo');
  await page.fill('#password', 'demo');
  await Promise.all([page.waitForURL(`${server.url}/`), page.press('#password', 'Enter')]);
  await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('active');
}

async function signIn(page: Page, server: DemoServer): Promise<void> {
  await page.goto(`${server.url}/login`);
  await submitLogin(page, server);
}

/** Another tab of the same browser on the signed-in page. */
async function openTab(context: BrowserContext, server: DemoServer): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('active');
  return page;
}

/** Clicks the page's own "Sign out" in its header (a plain form post to /logout) and waits for the login page. */
async function headerSignOut(page: Page, server: DemoServer): Promise<void> {
  await Promise.all([page.waitForURL(`${server.url}/login`), page.locator('header').getByRole('button', { name: 'Sign out' }).click()]);
}

/** Waits until, by the page's clock, its last answer from the idle-session endpoints is more than `ms` old. */
async function waitSinceLastAnswer(page: Page, ms: number): Promise<void> {
  await page.waitForFunction(
    (ms) => {
      const answers = performance.getEntriesByType('resource').filter((entry) => entry.name.includes('/idle-session/'));
      if (answers.length === 0) return false;
      const last = Math.max(...answers.map((entry) => performance.timeOrigin + (entry as PerformanceResourceTiming).responseEnd));
      return Date.now() - last > ms;
    },
    ms,
    { timeout: ms + PATIENCE_MS, polling: 100 },
  );
}

/** The user comes back: a `focus` on the window, or a `visibilitychange` to `visible`; returns the moment and the state just before. */
function comeBack(page: Page, how: 'focus' | 'visible'): Promise<{ at: number; before: string | null }> {
  return page.evaluate((how) => {
    const before = document.querySelector('idle-session-warning')?.getAttribute('state') ?? null;
    if (how === 'visible') setVisibility('visible');
    const at = Date.now();
    if (how === 'focus') window.dispatchEvent(new Event('focus'));
    else document.dispatchEvent(new Event('visibilitychange'));
    return { at, before };

    function setVisibility(state: DocumentVisibilityState): void {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    }
  }, how);
}

/** The user leaves the tab: headless Chromium always reports `visible`, so the page is told `hidden`. */
function goAway(page: Page): Promise<void> {
  return page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
}

/** Types into the page for `ms`, and returns every keep-alive request the page sent meanwhile. */
async function typeFor(page: Page, ms: number): Promise<Request[]> {
  const keepAlives: Request[] = [];
  const onRequest = (request: Request) => {
    if (new URL(request.url()).pathname === KEEPALIVE) keepAlives.push(request);
  };
  page.on('request', onRequest);
  const start = Date.now();
  while (Date.now() - start < ms) {
    await page.keyboard.type('a');
    await page.waitForTimeout(150);
  }
  // A keep-alive started by the last keys would show within a moment: let it.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
  page.off('request', onRequest);
  return keepAlives;
}

/**
 * Tab `a`, built for an older session, shows `other-session` within 2 s of tab `b`'s page of session
 * `newId` loading; its dialog says so and offers "Reload page"; typing in it sends no keep-alive and does
 * not extend the new session; "Reload page" carries on in the new session.
 */
async function expectOtherSession(a: Page, b: Page, server: DemoServer, newId: string, framework: string): Promise<void> {
  await expect.poll(() => elementState(a), { timeout: PATIENCE_MS }).toBe('other-session');
  const loadedAt = (await recorded(b)).loadedAt;
  expect(loadedAt).not.toBeNull();
  const otherAt = await enteredAt(a, 'other-session');
  expect(otherAt).toBeGreaterThanOrEqual((await recorded(b)).createdAt);
  expect(otherAt - loadedAt!).toBeLessThan(PROMPT_MS);

  const dialog = a.getByRole('alertdialog');
  await expect.poll(() => dialog.innerText()).toMatch(/You signed in again in another tab/);
  const reload = a.locator('idle-session-warning [part="reload-button"]');
  expect(await reload.isVisible()).toBe(true);
  expect((await reload.innerText()).trim()).toBe('Reload page');
  await screenshot(a, framework, 'other-session');

  // Typing in the old tab sends nothing for either session, and the new session's deadline stays where it was.
  const before = await serverDeadline(b, server);
  expect(before.body.sessionId).toBe(newId);
  const keepAlives = await typeFor(a, TYPING_MS);
  const after = await serverDeadline(b, server);
  expect(keepAlives.map((r) => r.url())).toEqual([]);
  expect(after.body.sessionId).toBe(newId);
  // Not extended: the remaining time fell by the time that passed (the deadline did not move later).
  expect(after.earliest).toBeLessThanOrEqual(before.latest);
  expect(await elementState(a)).toBe('other-session');

  const oldDocument = (await recorded(a)).createdAt;
  await reload.click();
  await expect.poll(async () => (await recorded(a).catch(() => null))?.createdAt ?? oldDocument, { timeout: PATIENCE_MS }).not.toBe(oldDocument);
  await expect.poll(() => elementState(a), { timeout: PATIENCE_MS }).toBe('active');
}

describe.each(FRAMEWORKS)('sample app in several tabs (%s, Chromium)', (framework) => {
  let server: DemoServer;
  let browser: Browser;
  /** Chromium with its back-forward cache on, and background tabs throttled as in a user's browser. */
  let bfcacheBrowser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(from: Browser = browser): Promise<{ context: BrowserContext; page: Page }> {
    const context = await from.newContext();
    contexts.push(context);
    await context.addInitScript({ content: RECORDER });
    return { context, page: await context.newPage() };
  }

  beforeAll(async () => {
    browser = await launchChromium();
    bfcacheBrowser = await launchChromium(BFCACHE_BLOCKING_ARGS);
    server = await startDemo({
      FRAMEWORK: framework,
      IDLE_TIMEOUT: String(IDLE_MS / 1000),
      WARN_BEFORE: String(WARN_MS / 1000),
      ABSOLUTE_TIMEOUT: '3600',
    });
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await bfcacheBrowser?.close();
    await server?.stop();
  });

  it('1. the page\'s own "Sign out" in one tab shows "signed out" in the other within 2 s; the login page tells the tabs too', async () => {
    const { context, page: a } = await newPage();
    await signIn(a, server);
    const b = await openTab(context, server);
    const script = a.waitForResponse((r) => new URL(r.url()).pathname === CHECK_TABS, { timeout: PATIENCE_MS });

    await headerSignOut(a, server);
    await expect.poll(() => elementState(b), { timeout: PATIENCE_MS }).toBe('signed-out');
    // Both moments come from the browser's own clock (one browser, one clock), not from the test's polling.
    const clickedAt = (await recorded(a)).clicks.at(-1);
    expect(clickedAt).toBeDefined();
    const signedOutAt = await enteredAt(b, 'signed-out');
    expect(signedOutAt).toBeGreaterThanOrEqual(clickedAt!);
    expect(signedOutAt - clickedAt!).toBeLessThan(PROMPT_MS);
    await expect.poll(() => b.getByRole('alertdialog').innerText()).toMatch(/You have been signed out/);

    // The login page loads the one-line script, and it is served.
    expect(await a.locator(`script[type="module"][src="${CHECK_TABS}"]`).count()).toBe(1);
    expect([200, 304]).toContain((await script).status()); // 304: the copy cached when this tab signed in, revalidated
    const asset = await fetch(`${server.url}${CHECK_TABS}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    // Tab B heard two checks after the click: A's element saw the form go to logout-url, then the login page's script.
    const checks = (await recorded(b)).messages.filter((m) => m.type === 'check' && m.sessionId === null && m.at >= clickedAt!);
    expect(checks).toHaveLength(2);
  });

  it('2. a sign-in from a login page left open in another tab (no sign-out between) shows "signed in again in another tab"', async () => {
    const { context, page: b } = await newPage();
    await b.goto(`${server.url}/login`); // opened before signing in, and left there
    const a = await context.newPage();
    await signIn(a, server);
    const oldId = (await serverStatus(a, server)).sessionId;

    // The form was made for the pre-session that A's sign-in replaced (a new session id, a new CSRF token): it
    // comes back once with a fresh token (never a bare 403), and signing in from it replaces A's session.
    await b.fill('#username', 'demo');
    await b.fill('#password', 'demo');
    const [stale] = await Promise.all([b.waitForResponse((r) => r.url() === `${server.url}/login` && r.request().method() === 'POST'), b.press('#password', 'Enter')]);
    expect(stale.status()).toBe(403);
    await expect.poll(() => b.locator('#login-error').innerText()).toMatch(/This sign-in form had expired/);
    expect(await b.locator('#username').inputValue()).toBe('demo');
    await submitLogin(b, server); // signing in again replaces the session
    const newId = (await serverStatus(b, server)).sessionId;
    expect(newId).toBeTruthy();
    expect(newId).not.toBe(oldId);
    await expectOtherSession(a, b, server, newId!, framework);
  });

  it('4. Back to the signed-in page after a sign-out never shows it: restored from the back-forward cache it says "signed out" within 2 s, else the server sends the login page', async () => {
    const { context, page } = await newPage(bfcacheBrowser);
    // Why Chromium did not restore a page, in its own words (the DevTools protocol; the page's own notRestoredReasons is empty after a redirect).
    const notRestored: string[] = [];
    const cdp = await context.newCDPSession(page);
    cdp.on('Page.backForwardCacheNotUsed', (event) => notRestored.push(...event.notRestoredExplanations.map((e) => e.reason)));
    await cdp.send('Page.enable');
    await signIn(page, server);
    const token = await csrfToken(page);
    await page.goto(`${server.url}/assets/demo.css`); // a page of the app that is not a signed-in page
    const logout = await page.request.post(`${server.url}/logout`, { form: { _csrf: token }, maxRedirects: 0 });
    expect(logout.status()).toBe(303);

    await page.goBack({ waitUntil: 'commit' });
    // Which of the two happened: restored (pageshow with persisted), or loaded again (and redirected to the login page).
    let outcome: 'restored' | 'reloaded' | undefined;
    await expect
      .poll(
        async () => {
          if (new URL(page.url()).pathname === '/login') return (outcome = 'reloaded');
          const restored = await page.evaluate(() => (window as unknown as { __idle?: Recorded }).__idle?.pageshows.some((p) => p.persisted)).catch(() => false);
          return restored ? (outcome = 'restored') : undefined;
        },
        { timeout: PATIENCE_MS },
      )
      .toBeDefined();

    if (outcome === 'restored') {
      await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('signed-out');
      const shownAt = (await recorded(page)).pageshows.find((p) => p.persisted)!.at;
      expect((await enteredAt(page, 'signed-out')) - shownAt).toBeLessThan(PROMPT_MS);
      await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/You have been signed out/);
      console.log(`[${framework}] back-forward cache: "/" was restored from it; the element showed "signed out"`);
    } else {
      await page.waitForLoadState('domcontentloaded');
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(await page.locator('#username').count()).toBe(1);
      expect(await page.locator('#notes').count()).toBe(0);
      console.log(
        `[${framework}] back-forward cache: "/" was not restored (${notRestored.join(', ') || 'no reason given'}); ` +
          'loaded again, the server sent the login page',
      );
    }
  });

  // The element alone (its tab channel, its keep-alives, its return to a tab): the same on every server, so
  // run on one framework only. The tests above involve the server: its sign-out, its sign-in form, its headers.
  if (framework === ELEMENT_FRAMEWORK) {
    it('2. signing out and in again in one tab shows "signed in again in another tab" in the other within 2 s of the new page', async () => {
      const { context, page: a } = await newPage();
      await signIn(a, server);
      const oldId = (await serverStatus(a, server)).sessionId;
      const b = await openTab(context, server);

      await headerSignOut(b, server); // A shows "signed out" first (test 1)…
      await submitLogin(b, server); // …then B's page of the new session loads, and A must say the newer thing (packages/element/README.md)
      const newId = (await serverStatus(b, server)).sessionId;
      expect(newId).toBeTruthy();
      expect(newId).not.toBe(oldId);
      await expectOtherSession(a, b, server, newId!, framework);
    });

    it('2. keep-alives name their session: X-Idle-Session-Id is the sessionId of the status endpoint', async () => {
      const { page } = await newPage();
      await signIn(page, server);
      const { sessionId } = await serverStatus(page, server);
      expect(sessionId).toBeTruthy();
      let sent: Request | undefined;
      const keepAlive = page.waitForRequest((r) => new URL(r.url()).pathname === KEEPALIVE, { timeout: PATIENCE_MS });
      void keepAlive.then((request) => (sent = request), () => undefined);
      // Typing in the notes is activity; the first keep-alive goes once the server's last activity is 1 s old.
      await page.focus('#notes');
      const start = Date.now();
      while (!sent && Date.now() - start < PATIENCE_MS) {
        await page.keyboard.type('n');
        await page.waitForTimeout(150);
      }
      const request = await keepAlive;
      expect(request.method()).toBe('POST');
      const headers = await request.allHeaders();
      expect(headers['x-idle-session-id']).toBe(sessionId);
      expect(headers['x-idle-session']).toBe('1');
      const response = await request.response();
      expect(response?.status()).toBe(200);
      expect(await response?.json()).toMatchObject({ state: 'active', sessionId });
    });

    it('3. a tab whose session was signed out elsewhere says so as soon as the user comes back (focus)', async () => {
      const { page } = await newPage();
      await signIn(page, server);
      // Signed out by another request of this browser, which no tab of it sees.
      const logout = await page.request.post(`${server.url}/logout`, { form: { _csrf: await csrfToken(page) }, maxRedirects: 0 });
      expect(logout.status()).toBe(303);
      expect(await serverStatus(page, server)).toEqual({ state: 'none' });

      await waitSinceLastAnswer(page, RESYNC_MS + 1_000);
      const back = await comeBack(page, 'focus');
      expect(back.before).toBe('active'); // nothing told it before: what follows is the return's doing
      await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('signed-out');
      expect((await enteredAt(page, 'signed-out')) - back.at).toBeLessThan(PROMPT_MS);
      await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/You have been signed out/);
    });

    it('3. a tab whose session was replaced elsewhere shows "signed in again in another tab" as soon as the user comes back (focus)', async () => {
      const { page } = await newPage();
      await signIn(page, server);
      const oldId = (await serverStatus(page, server)).sessionId;
      // Signed in again by another request of this browser: a new session, which no tab of it sees.
      const login = await page.request.post(`${server.url}/login`, { form: { _csrf: await csrfToken(page), username: 'demo', password: 'demo' }, maxRedirects: 0 });
      expect(login.status()).toBe(303);
      const newId = (await serverStatus(page, server)).sessionId;
      expect(newId).toBeTruthy();
      expect(newId).not.toBe(oldId);

      await waitSinceLastAnswer(page, RESYNC_MS + 1_000);
      const back = await comeBack(page, 'focus');
      expect(back.before).toBe('active');
      await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('other-session');
      expect((await enteredAt(page, 'other-session')) - back.at).toBeLessThan(PROMPT_MS);
      await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/You signed in again in another tab/);
    });

    it('3. a hidden tab whose session was signed out meanwhile says so as soon as it is visible again', async () => {
      const { page } = await newPage();
      await signIn(page, server);
      await goAway(page);
      const logout = await page.request.post(`${server.url}/logout`, { form: { _csrf: await csrfToken(page) }, maxRedirects: 0 });
      expect(logout.status()).toBe(303);

      await waitSinceLastAnswer(page, RESYNC_MS + 1_000);
      const back = await comeBack(page, 'visible');
      expect(back.before).toBe('active');
      await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toBe('signed-out');
      expect((await enteredAt(page, 'signed-out')) - back.at).toBeLessThan(PROMPT_MS);
    });
  }
});
