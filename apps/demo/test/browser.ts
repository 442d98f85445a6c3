import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Framework } from '../src/config.js';
import type { DemoServer } from './server.js';

// What the sample app's end-to-end tests share: the recorder they put in every page, and the readings
// of the element and the server that their timing rules rest on (see the top of e2e.test.ts).

/** How long a wait for something the browser will do may take on a loaded machine before it fails. */
export const PATIENCE_MS = 15_000;
/** Date.now() and the server's clock are the same clock, but both round to whole milliseconds. */
export const ROUNDING_MS = 5;
/** The channel the elements of the sample app's tabs talk on (their `endpoint` is `/idle-session`). */
export const CHANNEL = 'idle-session /idle-session';

/**
 * An init script that records, with the page's Date.now(): when the document was created and loaded,
 * every value the element's `state` attribute takes, every idle-session event, every message on the
 * elements' tab channel, every `pageshow`, every Content-Security-Policy violation, and (in
 * sessionStorage, so they survive the tab's own navigation, such as a sign-out form post) every click.
 */
export const RECORDER = `
  window.__idle = {
    createdAt: Date.now(), loadedAt: null, states: [], events: [], messages: [], pageshows: [], violations: [],
    get clicks() { return JSON.parse(sessionStorage.getItem('__idle.clicks') || '[]'); },
  };
  const recordClick = () => sessionStorage.setItem('__idle.clicks', JSON.stringify([...window.__idle.clicks, Date.now()]));
  document.addEventListener('click', recordClick, true);
  for (const type of ['idle-session-warning-shown', 'idle-session-extended', 'idle-session-expired']) {
    document.addEventListener(type, (event) => window.__idle.events.push({ type, detail: event.detail, at: Date.now() }), true);
  }
  addEventListener('pageshow', (event) => window.__idle.pageshows.push({ persisted: event.persisted, at: Date.now() }));
  document.addEventListener('securitypolicyviolation', (event) => window.__idle.violations.push(event.effectiveDirective + ' ' + event.blockedURI), true);
  try {
    new BroadcastChannel(${JSON.stringify(CHANNEL)}).onmessage = (event) => window.__idle.messages.push({ ...event.data, at: Date.now() });
  } catch {}
  document.addEventListener('DOMContentLoaded', () => {
    window.__idle.loadedAt = Date.now();
    const element = document.querySelector('idle-session-warning');
    if (!element) return;
    new MutationObserver(() => window.__idle.states.push({ state: element.getAttribute('state'), at: Date.now() }))
      .observe(element, { attributes: true, attributeFilter: ['state'] });
  });
`;

/** What {@link RECORDER} has recorded in a page. */
export interface Recorded {
  createdAt: number;
  loadedAt: number | null;
  states: { state: string | null; at: number }[];
  events: { type: string; detail: unknown; at: number }[];
  messages: { type: string; sessionId?: string | null; at: number }[];
  pageshows: { persisted: boolean; at: number }[];
  /** Content-Security-Policy violations: the directive and what was blocked (none, on the sample app's pages). */
  violations: string[];
  clicks: number[];
}

/** The part of a status body these tests read. */
export interface StatusBody {
  state: string;
  remainingMs: number;
  idleRemainingMs: number;
  sessionId: string | null;
  [field: string]: unknown;
}

export const elementState = (page: Page) => page.locator('idle-session-warning').getAttribute('state');
export const recorded = (page: Page) => page.evaluate(() => (window as unknown as { __idle: Recorded }).__idle);
export const serverStatus = async (page: Page, server: DemoServer): Promise<StatusBody> =>
  (await page.request.get(`${server.url}/idle-session/status`)).json();

/** When the page's element first took `state`, by the page's own clock; fails if it never did. */
export async function enteredAt(page: Page, state: string): Promise<number> {
  const entry = (await recorded(page)).states.find((s) => s.state === state);
  expect(entry, `the element never entered "${state}"`).toBeDefined();
  return entry!.at;
}

/**
 * The server's idle deadline for the browser's session, as the test's Date.now() would read it. The server
 * computed `remainingMs` at some moment between `before` and `after`, so the true deadline lies in
 * [`earliest`, `latest`]: assert "not before the deadline" against `earliest`, "after the deadline" against `latest`.
 */
export async function serverDeadline(page: Page, server: DemoServer): Promise<{ earliest: number; latest: number; body: StatusBody }> {
  const before = Date.now();
  const body = await serverStatus(page, server);
  const after = Date.now();
  expect(body).toMatchObject({ state: 'active' });
  return { earliest: before + body.remainingMs - ROUNDING_MS, latest: after + body.remainingMs + ROUNDING_MS, body };
}

/**
 * The one framework that runs the end-to-end tests of the element alone (its title cue, its looks, its tab
 * channel, its activity detection, its answer to a server that is gone): they do not depend on the server's
 * framework, and each takes seconds of real time. The tests that involve the server run on every framework.
 */
export const ELEMENT_FRAMEWORK: Framework = 'express';
