import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { ELEMENT_FRAMEWORK, elementState, enteredAt, PATIENCE_MS, recorded, RECORDER, serverDeadline, serverStatus } from './browser.js';
import { launchChromium } from './chromium.js';
import { screenshot, screenshotTitles } from './screenshots.js';
import { postLogin, startDemo, type DemoServer } from './server.js';

// Real time, real browser, real server: the idle timeout is 6 s and the warning shows 3 s before it.
//
// Timing rules for a slow, shared machine (CI): every duration is measured from the server's own answer
// (a status request's `remainingMs` at a moment the test brackets with Date.now(), see `serverDeadline`),
// or from two moments recorded inside the browser, never from when a page finished loading. Lower
// bounds ("not too early") are tight, since load only delays things; upper bounds are the generous
// poll timeouts below.
const IDLE_MS = 6_000;
const WARN_MS = 3_000;

async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  await context.addInitScript({ content: RECORDER });
  return { context, page: await context.newPage() };
}

async function signIn(page: Page, server: DemoServer): Promise<{ setCookie: string | null }> {
  await page.goto(`${server.url}/login`);
  await page.fill('#username', 'demo');
  await page.fill('#password', 'demo');
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${server.url}/login` && r.request().method() === 'POST'),
    page.click('button[type=submit]'),
  ]);
  await page.waitForURL(`${server.url}/`);
  // On a loaded machine the page may come up after the warning time already: both mean "signed in".
  await expect.poll(() => elementState(page), { timeout: PATIENCE_MS }).toMatch(/^(active|warning)$/);
  return { setCookie: await response.headerValue('set-cookie') };
}


describe.each(FRAMEWORKS)('sample app end to end (%s, Chromium)', (framework) => {
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startDemo({
      FRAMEWORK: framework,
      IDLE_TIMEOUT: String(IDLE_MS / 1000),
      WARN_BEFORE: String(WARN_MS / 1000),
      ABSOLUTE_TIMEOUT: '3600',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('1. signs in with a browser-session cookie: no Expires, no Max-Age, HttpOnly, SameSite=Lax', async () => {
    const { context, page } = await newPage(browser);
    const { setCookie } = await signIn(page, server);
    expect(setCookie).toMatch(/^demo\.sid=/);
    expect(setCookie).not.toMatch(/expires=|max-age=/i);
    const cookie = (await context.cookies()).find((c) => c.name === 'demo.sid');
    expect(cookie).toMatchObject({ expires: -1, httpOnly: true, sameSite: 'Lax' });
    await context.close();
  });

  it('2–4. an idle user is warned, then signed out; the server destroyed the session and the pages say why', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const deadline = await serverDeadline(page, server);
    const oldCookie = (await context.cookies()).find((c) => c.name === 'demo.sid')?.value;

    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
    // Never early: the warning no sooner than warnBefore ahead of the server's deadline.
    expect(await enteredAt(page, 'warning')).toBeGreaterThanOrEqual(deadline.earliest - WARN_MS);
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.getByRole('button', { name: 'Stay signed in' }).isVisible()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    await screenshot(page, framework, 'warning');

    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS }).toBe('expired');
    // Never early: the session ends no sooner than the server's deadline.
    expect(await enteredAt(page, 'expired')).toBeGreaterThanOrEqual(deadline.earliest);
    await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/inactivity/);
    expect(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href')).toBe('/login?reason=idle&next=%2F');
    // The page's event stream (the server clock) was ended by the server at the deadline, saying why.
    await expect.poll(() => page.locator('#server-clock').getAttribute('data-ended'), { timeout: PATIENCE_MS }).toBe('idle');
    await screenshot(page, framework, 'expired');
    const events = (await recorded(page)).events.map((e) => e.type);
    expect(events).toEqual(['idle-session-warning-shown', 'idle-session-expired']);
    expect((await recorded(page)).events[1]?.detail).toMatchObject({ reason: 'idle' });

    expect(await serverStatus(page, server)).toEqual({ state: 'expired', reason: 'idle' });
    // The strict Content-Security-Policy blocked nothing the page, the element and its dialog needed.
    expect((await recorded(page)).violations).toEqual([]);
    // The server ended the session: a copy of the old cookie never gets it back. It gets nothing, or, where
    // the store keeps why a session ended under its old key (the Express app's memory store, when the page
    // asked after the session had left the store at its deadline), only that reason.
    const replay = await fetch(`${server.url}/idle-session/status`, { headers: { cookie: `demo.sid=${oldCookie}` } });
    expect([{ state: 'none' }, { state: 'expired', reason: 'idle' }]).toContainEqual(await replay.json());
    const replayed = await fetch(`${server.url}/`, { headers: { cookie: `demo.sid=${oldCookie}` }, redirect: 'manual' });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toMatch(/^\/login\?/);

    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.locator('#expiry-reason').innerText()).toMatch(/after 6 seconds of inactivity/);
    await screenshot(page, framework, 'login-after-expiry');
    expect((await recorded(page)).violations).toEqual([]);
    await context.close();
  });

  it('3. keeps the unsent notes of a timed-out user; "Sign in again" leads back to the same page, where they are put back', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const workplace = `${server.url}/?look=themed`; // a page other than the start page: where the user was working
    await page.goto(workplace);
    await page.locator('#notes').fill('A draft the server never saw');
    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS }).toBe('expired');
    await page.locator('idle-session-warning [part="login-link"]').click();
    await page.waitForURL(/\/login\?/);
    expect(new URL(page.url()).searchParams.get('next')).toBe('/?look=themed');
    await page.fill('#username', 'demo');
    await page.fill('#password', 'demo');
    await Promise.all([page.waitForURL(workplace), page.click('button[type=submit]')]);
    await expect.poll(() => page.locator('#notes').inputValue()).toBe('A draft the server never saw');
    expect((await recorded(page)).violations).toEqual([]); // the drafts chunk too
    await context.close();
  });

  it('8. the login page leads back only to a path of this site: never an open redirect', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/%2F%2Fevil.example']) {
      const login = await postLogin(server.url, {}, { username: 'demo', password: 'demo', next });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/');
    }
    const page = await (await fetch(`${server.url}/login?next=${encodeURIComponent('//evil.example')}`)).text();
    expect(page).not.toContain('evil.example');
  });

  it('4. "Stay signed in" extends the session on the server', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const original = await serverDeadline(page, server);
    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await expect.poll(() => elementState(page)).toBe('active');
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    // The keep-alive went out after the warning showed, so it moved the deadline by at least IDLE_MS − WARN_MS.
    const extended = await serverDeadline(page, server);
    expect(extended.latest).toBeGreaterThanOrEqual(original.earliest + IDLE_MS - WARN_MS);
    expect(extended.earliest).toBeGreaterThan(original.latest);

    // Past the original deadline (by the server's own answer) the user is still signed in.
    await page.waitForTimeout(Math.max(0, original.latest + 500 - Date.now()));
    expect(await serverStatus(page, server)).toMatchObject({ state: 'active' });
    expect(await elementState(page)).not.toBe('expired');
    expect((await recorded(page)).events.map((e) => e.type)).toContain('idle-session-extended');
    await context.close();
  });

  it('4. "Sign out" in the warning ends the session on the server and lands on the login page', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const signedIn = (await context.cookies()).find((c) => c.name === 'demo.sid')?.value;
    expect(signedIn).toBeTruthy();
    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
    const [logout] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${server.url}/logout` && r.request().method() === 'POST'),
      page.waitForURL(`${server.url}/login`),
      page.getByRole('alertdialog').getByRole('button', { name: 'Sign out' }).click(),
    ]);
    // The cookie is deleted too, and the browser's cache of the site cleared (Back shows no protected page).
    expect(await logout.headerValue('clear-site-data')).toBe('"cache"');
    expect(await logout.headerValue('set-cookie')).toMatch(/^demo\.sid=;.*expires=Thu, 01 Jan 1970/i);
    // The login page it lands on starts a new pre-session for its form's CSRF token: another cookie, of no signed-in session.
    expect((await context.cookies()).find((c) => c.name === 'demo.sid')?.value).not.toBe(signedIn);
    expect(await serverStatus(page, server)).toEqual({ state: 'none' });
    expect(await page.locator('#expiry-reason').count()).toBe(0);
    await context.close();
  });

  it('4. a sign-out the server refuses (no CSRF token) leaves the dialog open and says so; the session stays', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await page.evaluate(() => document.querySelector('meta[name="csrf-token"]')?.remove()); // as if the page had lost it
    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${server.url}/logout` && r.request().method() === 'POST'),
      page.getByRole('alertdialog').getByRole('button', { name: 'Sign out' }).click(),
    ]);
    expect(refused.status()).toBe(403);
    await expect.poll(() => page.locator('idle-session-warning [part="note"]').innerText()).toMatch(/could not sign you out/);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.getByRole('alertdialog').isVisible()).toBe(true);
    expect(await serverStatus(page, server)).toMatchObject({ state: 'active' });
    await context.close();
  });

  it('6. an event stream stops when its session is signed out elsewhere, and is not activity', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await expect.poll(() => page.locator('#server-clock').innerText(), { timeout: PATIENCE_MS }).toMatch(/\d/);
    const before = await serverStatus(page, server);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // two ticks of the stream, no user activity
    const after = await serverStatus(page, server);
    expect(after.idleRemainingMs).toBeLessThan(before.idleRemainingMs - 1_000); // the open stream did not extend it
    // Signed out by another request of this browser (another tab, or a curl with its cookie).
    const token = (await page.locator('meta[name="csrf-token"]').getAttribute('content'))!;
    expect((await page.request.post(`${server.url}/logout`, { form: { _csrf: token }, maxRedirects: 0 })).status()).toBe(303);
    await expect.poll(() => page.locator('#server-clock').getAttribute('data-ended'), { timeout: PATIENCE_MS }).toBe('signed-out');
    // A reconnecting EventSource would get 401, never a redirect to follow for ever.
    const again = await page.request.get(`${server.url}/clock`, { headers: { accept: 'text/event-stream' }, maxRedirects: 0 });
    expect(again.status()).toBe(401);
    await context.close();
  });

  // The element alone (its countdown in the title, its German and themed look, its tab channel, its
  // activity detection): the same on every server, so run on one framework only.
  if (framework === ELEMENT_FRAMEWORK) {
    it('5. a background tab counts down in its title during the warning, gets its title back on return, and says "Signed out" after', async () => {
      const { context, page } = await newPage(browser);
      await signIn(page, server);
      const original = await page.title();
      // Headless Chromium reports every tab as visible: emulate a tab the user is not looking at.
      const look = (state: 'hidden' | 'visible') =>
        page.evaluate((value) => {
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
          document.dispatchEvent(new Event('visibilitychange'));
          return { title: document.title, state: document.querySelector('idle-session-warning')!.getAttribute('state') };
        }, state);
      await look('hidden');
      expect(await page.title(), 'no cue before the warning').toBe(original);

      await page.waitForFunction(() => document.querySelector('idle-session-warning')?.getAttribute('state') === 'warning', undefined, {
        timeout: IDLE_MS + PATIENCE_MS,
        polling: 50,
      });
      const countdown = await page.title();
      expect(countdown).toMatch(/^Signing out in 0:0[1-3] · /);
      expect(countdown.endsWith(` · ${original}`)).toBe(true);
      // Back to the tab while the warning is up: the title is exactly what it was, at once.
      const back = await look('visible');
      if (back.state === 'warning') expect(back.title).toBe(original);
      else expect(back.title, 'expired meanwhile (a loaded machine): the title says so').toBe(`Signed out · ${original}`);

      await look('hidden');
      await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS }).toBe('expired');
      expect(await page.title()).toBe(`Signed out · ${original}`);
      await screenshotTitles(browser, framework, 'title-cue', [countdown, await page.title()]);
      await context.close();
    });

    it('4. shows the themed, German variant of the warning', async () => {
      const { context, page } = await newPage(browser);
      await signIn(page, server);
      await page.goto(`${server.url}/?look=themed`);
      await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
      const dialog = page.getByRole('alertdialog');
      await expect.poll(() => dialog.innerText()).toMatch(/Ihre Sitzung läuft gleich ab/);
      expect(await dialog.getByRole('button', { name: 'Angemeldet bleiben' }).isVisible()).toBe(true);
      await screenshot(page, framework, 'warning-themed-de');
      expect((await recorded(page)).violations).toEqual([]); // the German chunk and the themed styles too
      await context.close();
    });

    it('4. tabs act as one: "Sign out" in one tab ends the other within 2 s', async () => {
      const { context, page } = await newPage(browser);
      await signIn(page, server);
      const other = await context.newPage();
      await other.goto(`${server.url}/`);
      await expect.poll(() => elementState(other), { timeout: PATIENCE_MS }).toMatch(/^(active|warning)$/);
      await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS, interval: 100 }).toBe('warning');
      await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out' }).click({ noWaitAfter: true });
      await expect.poll(() => elementState(other), { timeout: PATIENCE_MS }).toBe('signed-out');
      // Both moments come from the browser's own clock (one browser, one clock), not from the test's polling.
      await page.waitForURL(`${server.url}/login`);
      const clickedAt = (await recorded(page)).clicks.at(-1);
      expect(clickedAt).toBeDefined();
      expect((await enteredAt(other, 'signed-out')) - clickedAt!).toBeLessThan(2_000);
      await expect.poll(() => other.getByRole('alertdialog').innerText()).toMatch(/You have been signed out/);
      await screenshot(other, framework, 'signed-out');
      await context.close();
    });

    it('5. a user typing for longer than the idle timeout is never warned or signed out', async () => {
      const { context, page } = await newPage(browser);
      await signIn(page, server);
      const requests: string[] = [];
      page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
      await page.locator('#notes').click();
      const typingFor = IDLE_MS + 4_000;
      const start = Date.now();
      while (Date.now() - start < typingFor) {
        await page.keyboard.type('a');
        await page.waitForTimeout(150);
      }
      const typedFor = Date.now() - start;
      expect(typedFor).toBeGreaterThan(IDLE_MS);
      const states = (await recorded(page)).states.map((s) => s.state);
      expect(states).not.toContain('warning');
      expect(states).not.toContain('expired');
      expect(await serverStatus(page, server)).toMatchObject({ state: 'active' });
      // The page itself sent nothing: only throttled keep-alives (and status checks) went to the server.
      const keepAlives = requests.filter((r) => r === 'POST /idle-session/keepalive').length;
      expect(requests.every((r) => r.includes('/idle-session/'))).toBe(true);
      expect(keepAlives).toBeGreaterThanOrEqual(2);
      // At most one keep-alive per second (the keep-alive interval for these timeouts), for as long as it really typed.
      expect(keepAlives).toBeLessThanOrEqual(Math.ceil(typedFor / 1_000) + 2);
      expect((await page.locator('#notes').inputValue()).length).toBeGreaterThan(20);
      await context.close();
    });
  }
});

describe.each(FRAMEWORKS)('sample app end to end: absolute timeout (%s)', (framework) => {
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '6', WARN_BEFORE: '3', ABSOLUTE_TIMEOUT: '7' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('3. ends an active session at the absolute timeout and names the maximum session length', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await page.locator('#notes').click();
    const start = Date.now();
    while ((await elementState(page)) !== 'expired' && Date.now() - start < 7_000 + PATIENCE_MS) {
      await page.keyboard.type('b');
      await page.waitForTimeout(200);
    }
    expect(await elementState(page)).toBe('expired');
    expect(await page.getByRole('alertdialog').innerText()).toMatch(/maximum session length/);
    expect(await serverStatus(page, server)).toEqual({ state: 'expired', reason: 'absolute' });
    await page.goto(`${server.url}/`);
    expect(await page.locator('#expiry-reason').innerText()).toMatch(/maximum session length of 7 seconds/);
    await context.close();
  });
});

// The element alone, with the server gone: on one framework only.
describe.each([ELEMENT_FRAMEWORK])('sample app end to end: server gone (%s)', (framework) => {
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '6', WARN_BEFORE: '3' });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says so when it cannot reach the server at the deadline, and never crashes', async () => {
    const { context, page } = await newPage(browser);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, server);
    await server.stop();
    await expect.poll(() => elementState(page), { timeout: IDLE_MS + PATIENCE_MS }).toBe('unreachable');
    await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/cannot reach the server/i);
    expect(await page.getByRole('alertdialog').getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await screenshot(page, framework, 'unreachable');
    await context.close();
  });
});
