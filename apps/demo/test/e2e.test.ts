import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './chromium.js';
import { startDemo, type DemoServer } from './server.js';

// Real time, real browser, real server: the idle timeout is 6 s and the warning shows 3 s before it.
const IDLE_MS = 6_000;
const WARN_MS = 3_000;

/** Records every value the element's `state` attribute takes, and every idle-session event, in the page. */
const RECORDER = `
  window.__idle = { states: [], events: [] };
  for (const type of ['idle-session-warning-shown', 'idle-session-extended', 'idle-session-expired']) {
    document.addEventListener(type, (event) => window.__idle.events.push({ type, detail: event.detail }), true);
  }
  document.addEventListener('DOMContentLoaded', () => {
    const element = document.querySelector('idle-session-warning');
    if (!element) return;
    new MutationObserver(() => window.__idle.states.push(element.getAttribute('state')))
      .observe(element, { attributes: true, attributeFilter: ['state'] });
  });
`;

interface Recorded {
  states: (string | null)[];
  events: { type: string; detail: unknown }[];
}

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
  await expect.poll(() => elementState(page)).toBe('active');
  return { setCookie: await response.headerValue('set-cookie') };
}

/** The README's pictures of each state, taken here in real Chromium (Express run only). */
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
async function screenshot(page: Page, framework: string, name: string): Promise<void> {
  if (framework !== 'express') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

const elementState = (page: Page) => page.locator('idle-session-warning').getAttribute('state');
const recorded = (page: Page) => page.evaluate(() => (window as unknown as { __idle: Recorded }).__idle);
const serverStatus = async (page: Page, server: DemoServer) => (await page.request.get(`${server.url}/idle-session/status`)).json();

describe.each(['express', 'koa'])('sample app end to end (%s, Chromium)', (framework) => {
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
    const signedInAt = Date.now();
    const oldCookie = (await context.cookies()).find((c) => c.name === 'demo.sid')?.value;

    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('warning');
    expect(Date.now() - signedInAt).toBeGreaterThan(IDLE_MS - WARN_MS - 1_000);
    const dialog = page.getByRole('alertdialog');
    await dialog.waitFor({ state: 'visible' });
    expect(await dialog.getByRole('button', { name: 'Stay signed in' }).isVisible()).toBe(true);
    expect(await dialog.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
    await screenshot(page, framework, 'warning');

    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('expired');
    expect(Date.now() - signedInAt).toBeGreaterThan(IDLE_MS - 500);
    await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/inactivity/);
    expect(await page.getByRole('link', { name: 'Sign in again' }).getAttribute('href')).toBe('/login');
    await screenshot(page, framework, 'expired');
    const events = (await recorded(page)).events.map((e) => e.type);
    expect(events).toEqual(['idle-session-warning-shown', 'idle-session-expired']);
    expect((await recorded(page)).events[1]?.detail).toMatchObject({ reason: 'idle' });

    expect(await serverStatus(page, server)).toEqual({ state: 'expired', reason: 'idle' });
    const replay = await fetch(`${server.url}/idle-session/status`, { headers: { cookie: `demo.sid=${oldCookie}` } });
    expect(await replay.json()).toEqual({ state: 'none' });

    await page.goto(`${server.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.locator('#expiry-reason').innerText()).toMatch(/after 6 seconds of inactivity/);
    await screenshot(page, framework, 'login-after-expiry');
    await context.close();
  });

  it('3. keeps the unsent notes of a timed-out user and puts them back after signing in again', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await page.locator('#notes').fill('A draft the server never saw');
    await expect.poll(() => elementState(page), { timeout: 2 * IDLE_MS }).toBe('expired');
    await signIn(page, server);
    await expect.poll(() => page.locator('#notes').inputValue()).toBe('A draft the server never saw');
    await context.close();
  });

  it('4. shows the themed, German variant of the warning', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await page.goto(`${server.url}/?look=themed`);
    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('warning');
    const dialog = page.getByRole('alertdialog');
    await expect.poll(() => dialog.innerText()).toMatch(/Ihre Sitzung läuft gleich ab/);
    expect(await dialog.getByRole('button', { name: 'Angemeldet bleiben' }).isVisible()).toBe(true);
    await screenshot(page, framework, 'warning-themed-de');
    await context.close();
  });

  it('4. "Stay signed in" extends the session on the server', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const signedInAt = Date.now();
    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('warning');
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await expect.poll(() => elementState(page)).toBe('active');
    expect(await page.getByRole('alertdialog').count()).toBe(0);
    const extended = await serverStatus(page, server);
    expect(extended).toMatchObject({ state: 'active' });
    expect(extended.idleRemainingMs).toBeGreaterThan(IDLE_MS - 1_500);

    // Past the original deadline the user is still signed in.
    await page.waitForTimeout(Math.max(0, signedInAt + IDLE_MS + 500 - Date.now()));
    expect(await serverStatus(page, server)).toMatchObject({ state: 'active' });
    expect(await elementState(page)).not.toBe('expired');
    expect((await recorded(page)).events.map((e) => e.type)).toContain('idle-session-extended');
    await context.close();
  });

  it('4. "Sign out" in the warning ends the session on the server and lands on the login page', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('warning');
    await Promise.all([page.waitForURL(`${server.url}/login`), page.getByRole('alertdialog').getByRole('button', { name: 'Sign out' }).click()]);
    expect(await serverStatus(page, server)).toEqual({ state: 'none' });
    expect(await page.locator('#expiry-reason').count()).toBe(0);
    await context.close();
  });

  it('4. tabs act as one: "Sign out" in one tab ends the other within 2 s', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server);
    const other = await context.newPage();
    await other.goto(`${server.url}/`);
    await expect.poll(() => elementState(other)).toBe('active');
    await expect.poll(() => elementState(page), { timeout: IDLE_MS }).toBe('warning');
    await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out' }).click();
    const clickedAt = Date.now();
    await expect.poll(() => elementState(other), { timeout: 2_000, interval: 100 }).toBe('signed-out');
    expect(Date.now() - clickedAt).toBeLessThan(2_000);
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
    expect(Date.now() - start).toBeGreaterThan(IDLE_MS);
    const { states } = await recorded(page);
    expect(states).not.toContain('warning');
    expect(states).not.toContain('expired');
    expect(await serverStatus(page, server)).toMatchObject({ state: 'active' });
    // The page itself sent nothing: only throttled keep-alives (and status checks) went to the server.
    const keepAlives = requests.filter((r) => r === 'POST /idle-session/keepalive').length;
    expect(requests.every((r) => r.includes('/idle-session/'))).toBe(true);
    expect(keepAlives).toBeGreaterThanOrEqual(2);
    expect(keepAlives).toBeLessThanOrEqual(Math.ceil(typingFor / 1_000) + 2);
    expect((await page.locator('#notes').inputValue()).length).toBeGreaterThan(20);
    await context.close();
  });
});

describe.each(['express', 'koa'])('sample app end to end: absolute timeout (%s)', (framework) => {
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
    while ((await elementState(page)) !== 'expired' && Date.now() - start < 12_000) {
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

describe.each(['express', 'koa'])('sample app end to end: server gone (%s)', (framework) => {
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
    await expect.poll(() => elementState(page), { timeout: 3 * IDLE_MS }).toBe('unreachable');
    await expect.poll(() => page.getByRole('alertdialog').innerText()).toMatch(/cannot reach the server/i);
    expect(await page.getByRole('alertdialog').getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await screenshot(page, framework, 'unreachable');
    await context.close();
  });
});
