import type { Clock } from '@idle-session/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from './client.js';
import type { AdapterTarget, RunningApp } from './harness.js';

const T = 60_000;
const ABSOLUTE = 300_000;
const prefix = '/idle-session';

/** One request a page may send at the moment its session expires, and the answer that says why. */
interface Probe {
  readonly name: string;
  send(browser: TestBrowser, cookie: string): Promise<Response>;
  /** Checks the answer names `reason`. */
  check(response: Response, reason: 'idle' | 'absolute'): Promise<void>;
}

const PROBES: readonly Probe[] = [
  {
    name: 'status',
    send: (browser, cookie) => browser.request('GET', `${prefix}/status`, { headers: { cookie }, record: false }),
    check: async (response, reason) => expect(await response.json()).toEqual({ state: 'expired', reason }),
  },
  {
    name: 'keep-alive',
    send: (browser, cookie) =>
      browser.request('POST', `${prefix}/keepalive`, { headers: { cookie, 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' }, record: false }),
    check: async (response, reason) => {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ state: 'expired', reason });
    },
  },
  {
    name: 'page',
    send: (browser, cookie) => browser.request('GET', 'page', { headers: { cookie }, record: false }),
    check: async (response, reason) => expect(await response.json()).toMatchObject({ endedReason: reason }),
  },
  {
    name: 'protected page (HTML)',
    send: (browser, cookie) => browser.request('GET', 'protected', { headers: { cookie, accept: 'text/html' }, record: false }),
    check: async (response, reason) => {
      expect(response.status).toBe(303);
      expect(response.headers.get('location')).toBe(`/login?reason=${reason}&next=%2Fprotected`);
      await response.arrayBuffer();
    },
  },
  {
    name: 'protected data (JSON)',
    send: (browser, cookie) => browser.request('GET', 'protected', { headers: { cookie, accept: 'application/json' }, record: false }),
    check: async (response, reason) => {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ state: 'expired', reason });
    },
  },
];

/**
 * Issue 11, item 3: every request that arrives carrying a session that has just expired learns why,
 * not only the first one (which ends the session). Ten requests of all kinds are sent at the same
 * moment with the same cookie, just past the idle (or absolute) deadline; each must name the reason.
 * Run it for every adapter, and for instances sharing a store (`alternate`), where the requests land
 * on different instances.
 */
export function runExpiryReasonContract(target: AdapterTarget): void {
  describe(`every request that meets an expired session learns why: ${target.name}`, () => {
    const clock: Clock & { current: number } = { current: Date.now(), now: () => clock.current };
    let app: RunningApp;
    let browser: TestBrowser;

    beforeAll(async () => {
      app = await target.start({ idleTimeout: T, warnBefore: 20_000, touchInterval: 10_000, absoluteTimeout: ABSOLUTE, clock });
    });
    afterAll(async () => app?.close());
    beforeEach(() => {
      clock.current += 10 * ABSOLUTE; // far from the last test's sessions
      browser = new TestBrowser(app.url);
    });

    for (const [reason, after] of [
      ['idle', T + 200],
      ['absolute', ABSOLUTE + 200],
    ] as const) {
      it(`ten requests sent at once with a session just past its ${reason} deadline all say "${reason}"`, async () => {
        const signedInAt = clock.current;
        expect((await browser.request('POST', 'sign-in', { record: false })).status).toBe(200);
        if (reason === 'absolute') {
          // Active all along, so that only the absolute timeout can end it.
          for (let at = 40_000; at < ABSOLUTE; at += 40_000) {
            clock.current = signedInAt + at;
            expect((await browser.keepAlive(prefix)).status).toBe(200);
          }
        }
        clock.current = signedInAt + after;
        const cookie = browser.cookieHeader(); // the session as the browser holds it when its deadline passes
        const sent = Array.from({ length: 10 }, (_, i) => PROBES[i % PROBES.length]!);
        const answers = await Promise.all(sent.map((probe) => probe.send(new TestBrowser(app.url), cookie)));
        for (const [i, response] of answers.entries()) {
          await sent[i]!.check(response, reason).catch((error: unknown) => {
            throw new Error(`request ${i + 1} of 10 (${sent[i]!.name}): ${String(error)}`);
          });
        }
        // And later: the browser (whose cookie the first answer replaced) still learns why, until it signs in.
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason });
      });
    }
  });
}
