import type { AuditEvent, Clock } from '@idle-session/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnswerEntry } from './answers.js';
import { TestBrowser } from './client.js';
import { ANSWERS_FILE, diffAnswers, expectedAnswers, MODE_EXCEPTIONS, readGolden, updateGolden, writeGolden } from './golden.js';
import type { AdapterTarget, HarnessOptions, RunningApp } from './harness.js';
import { AnswerRecorder } from './recorder.js';

const T = 60_000; // idle timeout
const W = 20_000; // warn before
const TOUCH = 10_000; // touch interval
const ABSOLUTE = 300_000;
const START = Date.UTC(2026, 0, 1);

class ManualClock implements Clock {
  current = START;
  now(): number {
    return this.current;
  }
  /** Moves the clock to `ms` after START. */
  at(ms: number): void {
    this.current = START + ms;
  }
}

const activeBody = (remaining: number, absolute: number | null = ABSOLUTE - 0) => ({
  state: 'active',
  remainingMs: absolute === null ? remaining : Math.min(remaining, absolute),
  idleRemainingMs: remaining,
  absoluteRemainingMs: absolute,
  idleTimeoutMs: T,
  warnBeforeMs: W,
  sessionId: expect.any(String),
});

/**
 * Which runs write the golden file instead of comparing with it: `UPDATE_ANSWERS=1` (or `true`) every
 * run, any other value the runs whose target name contains it (case-insensitive), such as
 * `UPDATE_ANSWERS='Express 5'`. Unset or empty: none.
 */
function updatesAnswers(targetName: string): boolean {
  const value = process.env.UPDATE_ANSWERS?.trim() ?? '';
  if (value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  return targetName.toLowerCase().includes(value.toLowerCase());
}

interface TaskLike {
  name: string;
  type?: string;
  suite?: TaskLike;
  tasks?: TaskLike[];
}

/** The name of a case in the golden file: the `describe` names below the suite's own, and the test's. */
function caseNameOf(task: TaskLike, root: string): { name: string; root: TaskLike | undefined } {
  const names: string[] = [];
  let at: TaskLike | undefined = task;
  while (at && at.name !== root) {
    names.unshift(at.name);
    at = at.suite;
  }
  return { name: names.join(' > '), root: at };
}

/** Every case the suite defines (whether or not this run runs it), in the suite's order. */
function caseNamesUnder(suite: TaskLike, prefix: string[] = []): string[] {
  return (suite.tasks ?? []).flatMap((task) =>
    task.type === 'suite' ? caseNamesUnder(task, [...prefix, task.name]) : [[...prefix, task.name].join(' > ')],
  );
}

/**
 * Runs the idle-session adapter contract against one adapter, over real HTTP only. Every adapter's
 * test file calls it with a target that starts its test app (see {@link AdapterTarget}).
 * Uses vitest's `describe`/`it`; the clock is moved by the suite, so no test sleeps.
 *
 * Besides each case's own expectations, every exchange a case makes is recorded as a whole answer
 * (status, body, every header but the per-request ones; see `answers.ts`) and compared with the golden
 * file `src/answers.json`: one set of answers for every adapter, with only the per-mode differences of
 * `MODE_EXCEPTIONS` (`golden.ts`). A difference fails the case, with the differences listed. With
 * `UPDATE_ANSWERS` set (see {@link updatesAnswers}), the run writes its answers to the golden file instead.
 */
export function runAdapterContract(target: AdapterTarget): void {
  const title = `idle-session adapter contract: ${target.name}`;
  const mode = target.mode ?? 'store';
  const sessionCookies = target.sessionCookie ? [target.sessionCookie] : undefined;
  const updating = updatesAnswers(target.name);
  /**
   * Whether a write of the session (activity, a keep-alive) sends the session cookie again: only when the
   * session lives in its cookie (the `cookie` mode's exception in `MODE_EXCEPTIONS`). A store-backed
   * session's cookie changes only with its id: at sign-in, at an expiry, and at sign-out (a deletion).
   */
  const cookieOnWrite = mode === 'cookie';
  describe(title, () => {
    const clock = new ManualClock();
    let app: RunningApp | undefined;
    let browser: TestBrowser;
    let answers: AnswerRecorder;
    const prefix = '/idle-session';
    const golden = readGolden();
    const recorded = new Map<string, AnswerEntry[]>();
    let suiteTask: TaskLike | undefined;
    let caseName = '';

    /** A new browser (or, with `cookies`, another view of one) whose exchanges are recorded. */
    const newBrowser = (cookies?: Map<string, string>) => new TestBrowser(app!.url, cookies, answers);

    async function start(overrides: Partial<HarnessOptions> = {}): Promise<TestBrowser> {
      await app?.close();
      app = await target.start({ idleTimeout: T, warnBefore: W, absoluteTimeout: ABSOLUTE, touchInterval: TOUCH, clock, ...overrides });
      return newBrowser();
    }

    async function signIn(client = browser): Promise<void> {
      const response = await client.request('POST', 'sign-in');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true });
    }

    async function page(client = browser): Promise<{ status: number; endedReason: unknown }> {
      const response = await client.request('GET', 'page');
      const body = (await response.json()) as { endedReason: unknown };
      return { status: response.status, endedReason: body.endedReason };
    }

    /** Sends a copied cookie from another machine (an attacker's, or a restored browser's). */
    function replay(stolen: string, method = 'GET', path = `${prefix}/status`, headers: Record<string, string> = {}) {
      return newBrowser().request(method, path, { headers: { ...headers, cookie: stolen } });
    }

    beforeEach(async (context) => {
      answers = new AnswerRecorder();
      const named = caseNameOf(context.task as TaskLike, title);
      caseName = named.name;
      suiteTask ??= named.root;
      clock.at(0);
      browser = await start();
    });
    afterEach(async (context) => {
      // Every answer read to its end (an event stream the case left open ends when the app closes).
      await answers.settle(5_000);
      await app?.close();
      app = undefined;
      const actual = await answers.entries({ sessionCookies });
      const failed = context.task.result?.state === 'fail';
      if (updating) {
        if (!failed) recorded.set(caseName, actual);
        return;
      }
      const expected = expectedAnswers(golden, caseName, mode);
      if (!expected) {
        throw new Error(`${ANSWERS_FILE} has no answers for "${caseName}": record them with UPDATE_ANSWERS='${target.name}' once they are right.`);
      }
      const diff = diffAnswers(expected, actual, failed);
      if (diff) {
        const exceptions = MODE_EXCEPTIONS[mode].map((exception) => exception.header);
        throw new Error(
          `The whole answers of ${target.name} (${mode} sessions${exceptions.length ? `, allowed to differ in ${exceptions.join(', ')}` : ''}) ` +
            `differ from ${ANSWERS_FILE}:\n${diff}\n` +
            `If these are the right answers for every adapter, record them: UPDATE_ANSWERS='${target.name}'.`,
        );
      }
    });
    afterAll(() => {
      if (!suiteTask) return; // no case ran
      const defined = caseNamesUnder(suiteTask);
      if (updating) {
        const current = readGolden(); // as it is now: other runs may have written it meanwhile
        const problems: string[] = [];
        for (const [name, entries] of recorded) {
          const problem = updateGolden(current, name, mode, entries);
          if (problem) problems.push(`"${name}": ${problem}`);
        }
        writeGolden(current, defined);
        if (problems.length) throw new Error(`Not recorded for ${target.name} (${mode} sessions):\n${problems.join('\n')}`);
        return;
      }
      const stale = Object.keys(golden.cases).filter((name) => !defined.includes(name));
      if (stale.length) throw new Error(`${ANSWERS_FILE} has answers for cases the suite no longer has (UPDATE_ANSWERS drops them):\n${stale.join('\n')}`);
    });

    /** Starts `GET slow?id=…` and resolves once the adapter has run for it and it is waiting. */
    async function startSlow(id: string, client = browser, query = '', upload?: string): Promise<{ finish: () => Promise<{ status: number; body: unknown }> }> {
      const pending =
        upload === undefined
          ? client.request('GET', `slow?id=${id}${query}`)
          : client.request('POST', `slow?id=${id}${query}`, { headers: { 'content-type': 'text/plain' }, body: upload });
      for (let tries = 0; tries < 200; tries++) {
        const response = await client.request('GET', `waiting?id=${id}`, { headers: { cookie: '' }, record: false });
        if (((await response.json()) as { waiting: boolean }).waiting) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      return {
        finish: async () => {
          await (await client.request('POST', `release?id=${id}`, { headers: { cookie: '' }, record: false })).json();
          const response = await pending;
          return { status: response.status, body: await response.json() };
        },
      };
    }

    describe('status endpoint', () => {
      it('answers {"state":"none"} with 200 and no-store without a tracked session, and saves no anonymous session', async () => {
        const { status, body, response } = await browser.status(prefix);
        expect(status).toBe(200);
        expect(body).toEqual({ state: 'none' });
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(response.headers.get('etag')).toBeNull(); // no idle-session JSON answer has an ETag
        await page();
        expect(browser.setCookieHeaders).toEqual([]);
      });

      it('reports an active session with every duration in milliseconds', async () => {
        await signIn();
        clock.at(15_000);
        expect((await browser.status(prefix)).body).toEqual(activeBody(T - 15_000, ABSOLUTE - 15_000));
      });

      it('names the tracked session with a non-secret id: stable while it lives, new at each sign-in, never the cookie', async () => {
        await signIn();
        const first = ((await browser.status(prefix)).body as { sessionId: string }).sessionId;
        clock.at(TOUCH);
        expect(((await browser.keepAlive(prefix)).body as { sessionId: string }).sessionId).toBe(first);
        for (const value of browser.cookies.values()) expect(decodeURIComponent(value)).not.toContain(first);
        await signIn();
        expect(((await browser.status(prefix)).body as { sessionId: string }).sessionId).not.toBe(first);
      });

      it('never counts as activity: polling status does not extend the session', async () => {
        await signIn();
        for (const at of [20_000, 40_000, 59_999]) {
          clock.at(at);
          expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - at });
        }
        clock.at(T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('is always fresh: 200 with a body even for a conditional request', async () => {
        await signIn();
        const first = await browser.status(prefix);
        const etag = first.response.headers.get('etag');
        for (const value of [etag ?? 'W/"x"', '*']) {
          const { status, body } = await browser.status(prefix, { 'if-none-match': value });
          expect(status).toBe(200);
          expect(body).toMatchObject({ state: 'active' });
        }
      });

      it('matches like the frameworks\' routes: any letter case and one trailing slash', async () => {
        await signIn();
        const response = await browser.request('GET', `${prefix.toUpperCase()}/STATUS/`);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ state: 'active' });
      });

      it('answers other paths under the prefix with a JSON 404 that is not activity', async () => {
        await signIn();
        clock.at(30_000);
        for (const path of [prefix, `${prefix}/`, `${prefix}/unknown`, `${prefix}//status`, `${prefix}/status/x`]) {
          const response = await browser.request('GET', path);
          expect(response.status).toBe(404);
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          expect(await response.json()).toMatchObject({ state: 'error' });
        }
        expect((await browser.status(prefix)).body).toMatchObject({ idleRemainingMs: T - 30_000 });
      });

      it('answers HEAD like GET without a body, and OPTIONS with Allow', async () => {
        const head = await browser.request('HEAD', `${prefix}/status`);
        expect(head.status).toBe(200);
        expect(await head.text()).toBe('');
        const options = await browser.request('OPTIONS', `${prefix}/status`);
        expect(options.status).toBe(204);
        expect(options.headers.get('allow')).toContain('GET');
        expect(options.headers.get('access-control-allow-origin')).toBeNull();
      });
    });

    describe('keep-alive endpoint', () => {
      it('extends an active session and answers 200 with the active body', async () => {
        await signIn();
        clock.at(50_000);
        const { status, body, response } = await browser.keepAlive(prefix);
        expect(status).toBe(200);
        expect(body).toEqual(activeBody(T, ABSOLUTE - 50_000));
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('etag')).toBeNull();
        expect(response.headers.getSetCookie().length > 0).toBe(cookieOnWrite); // a write: see the session cookie's cases
        clock.at(50_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
      });

      it('never revives an expired session: 401 with the reason, and the reason stays', async () => {
        await signIn();
        clock.at(T);
        const { status, body } = await browser.keepAlive(prefix);
        expect(status).toBe(401);
        expect(body).toEqual({ state: 'expired', reason: 'idle' });
        expect((await browser.keepAlive(prefix)).status).toBe(401);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
      });

      it('answers 401 {"state":"none"} without a tracked session', async () => {
        const { status, body } = await browser.keepAlive(prefix);
        expect(status).toBe(401);
        expect(body).toEqual({ state: 'none' });
      });

      // OWASP CSRF Prevention Cheat Sheet: Fetch Metadata first (only `same-origin` passes; an empty or
      // unknown value is refused like any other), then, where a browser sends no Sec-Fetch-Site, the Origin
      // header: another site's, or the opaque `null`, is refused.
      it.each([
        ['without the X-Idle-Session header', { 'sec-fetch-site': 'same-origin' }],
        ['with a wrong X-Idle-Session value', { 'x-idle-session': 'true' }],
        ['from another site', { 'x-idle-session': '1', 'sec-fetch-site': 'cross-site' }],
        ['from a sibling subdomain', { 'x-idle-session': '1', 'sec-fetch-site': 'same-site' }],
        ['with an empty Sec-Fetch-Site', { 'x-idle-session': '1', 'sec-fetch-site': '' }],
        ['with an unknown Sec-Fetch-Site', { 'x-idle-session': '1', 'sec-fetch-site': 'elsewhere' }],
        ['without Sec-Fetch-Site, from another site by its Origin', { 'x-idle-session': '1', origin: 'https://evil.example' }],
        ['without Sec-Fetch-Site, from an opaque origin (Origin: null)', { 'x-idle-session': '1', origin: 'null' }],
      ])('refuses a forged keep-alive %s with 403 and extends nothing', async (_name, headers) => {
        await signIn();
        clock.at(30_000);
        const { status, body, response } = await browser.keepAlive(prefix, headers);
        expect(status).toBe(403);
        expect(body).toEqual({ state: 'forbidden', message: expect.any(String) });
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(response.headers.get('etag')).toBeNull();
        expect(response.headers.getSetCookie()).toEqual([]);
        expect((await browser.status(prefix)).body).toMatchObject({ idleRemainingMs: T - 30_000 });
      });

      it.each([
        ['without Origin either', false],
        ['with its own Origin', true],
      ])('accepts a keep-alive without Sec-Fetch-Site (older browsers) %s when the header is present', async (_name, withOrigin) => {
        await signIn();
        clock.at(30_000);
        const origin: Record<string, string> = withOrigin ? { origin: new URL(app!.url).origin } : {};
        const { status, body } = await browser.keepAlive(prefix, { 'x-idle-session': '1', ...origin });
        expect(status).toBe(200);
        expect(body).toEqual(activeBody(T, ABSOLUTE - 30_000));
      });

      describe('naming the session it is for (X-Idle-Session-Id)', () => {
        /** A keep-alive that names the session it is for, as a tab built from a status body does. */
        const keepAliveFor = (sessionId: string, client = browser) =>
          client.keepAlive(prefix, { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin', 'x-idle-session-id': sessionId });
        const sessionIdNow = async () => ((await browser.status(prefix)).body as { sessionId: string }).sessionId;
        const writes = async () => ((await (await newBrowser().request('GET', 'writes', { record: false })).json()) as { writes: number }).writes;

        it('extends the session it names, as a keep-alive without the header does; an empty value names none', async () => {
          await signIn();
          const first = await sessionIdNow();
          clock.at(30_000);
          const { status, body } = await keepAliveFor(first);
          expect(status).toBe(200);
          expect(body).toEqual({ ...activeBody(T, ABSOLUTE - 30_000), sessionId: first });
          clock.at(30_000 + T - 1);
          expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
          expect((await keepAliveFor('')).body).toMatchObject({ state: 'active', idleRemainingMs: T, sessionId: first });
        });

        it('never extends another session of the same browser: no write, nothing extended, answered as the status endpoint would be', async () => {
          const events: AuditEvent[] = [];
          browser = await start({ audit: (event) => events.push(event) });
          await signIn();
          const first = await sessionIdNow();
          // Signed out and in again in another tab: the cookie jar now names a new session.
          expect((await browser.request('POST', 'sign-out')).status).toBe(200);
          await signIn();
          const second = await sessionIdNow();
          expect(second).not.toBe(first);
          clock.at(30_000);
          const before = await writes();
          for (const named of [first, 'made-up', second.toUpperCase(), 'x'.repeat(101)]) {
            const keepAlive = await keepAliveFor(named);
            const status = await browser.status(prefix);
            expect({ status: keepAlive.status, body: keepAlive.body }).toEqual({ status: status.status, body: status.body });
            expect(keepAlive.body).toEqual({ ...activeBody(T - 30_000, ABSOLUTE - 30_000), sessionId: second });
            expect(keepAlive.response.headers.getSetCookie()).toEqual(status.response.headers.getSetCookie());
            expect(keepAlive.response.headers.get('cache-control')).toBe('no-store');
          }
          expect(await writes()).toBe(before);
          expect(events.filter((event) => event.type === 'extended')).toEqual([]);
          expect(events.filter((event) => event.reason === 'other-session')).toHaveLength(4);
          expect(events.at(-1)).toMatchObject({ type: 'refused', reason: 'other-session', sessionId: second, method: 'POST' });
          clock.at(T);
          expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        });

        it('answers as today without an active session: 401 none, or 401 expired with the reason', async () => {
          expect(await keepAliveFor('made-up')).toMatchObject({ status: 401, body: { state: 'none' } });
          await signIn();
          const first = await sessionIdNow();
          expect((await browser.request('POST', 'sign-out')).status).toBe(200);
          expect(await keepAliveFor(first)).toMatchObject({ status: 401, body: { state: 'none' } });
          await signIn();
          const second = await sessionIdNow();
          clock.at(T);
          expect(await keepAliveFor(first)).toMatchObject({ status: 401, body: { state: 'expired', reason: 'idle' } });
          expect(await keepAliveFor(second)).toMatchObject({ status: 401, body: { state: 'expired', reason: 'idle' } });
          expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        });
      });

      it('answers other methods with 405 and Allow', async () => {
        await signIn();
        const response = await browser.request('GET', `${prefix}/keepalive`);
        expect(response.status).toBe(405);
        expect(response.headers.get('allow')).toContain('POST');
      });
    });

    describe('activity', () => {
      it('counts ordinary requests as activity (sliding expiration)', async () => {
        await signIn();
        clock.at(50_000);
        await page();
        clock.at(50_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
      });

      it('writes last-activity at most once per touchInterval: the deadline may come early by that much, never late', async () => {
        await signIn();
        clock.at(TOUCH - 1);
        await page(); // too soon after sign-in: not written
        clock.at(T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });

        browser = await start();
        clock.at(0);
        await signIn();
        clock.at(TOUCH);
        await page(); // written
        clock.at(TOUCH + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
      });

      it('does not count requests that isActivity excludes (background polling)', async () => {
        await signIn();
        for (const at of [15_000, 30_000, 45_000]) {
          clock.at(at);
          expect((await browser.request('GET', 'background')).status).toBe(200);
        }
        clock.at(T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it.each<Record<string, string>>([
        { 'sec-purpose': 'prefetch' },
        { 'sec-purpose': 'prefetch;prerender' },
        { 'Sec-Purpose': ' Prefetch ' },
        { purpose: 'prefetch' },
        { 'x-purpose': 'preview' },
        { 'x-moz': 'prefetch' },
      ])('does not count a request the browser marks as speculative (%j): prefetching is not the user', async (headers) => {
        await signIn();
        clock.at(T / 2);
        expect((await browser.request('GET', 'page', { headers })).status).toBe(200);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T / 2 });
        await page(); // the user's own request does count
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
      });

      it('caps the session at the absolute timeout, whatever the activity', async () => {
        await signIn();
        for (let at = 50_000; at < ABSOLUTE; at += 50_000) {
          clock.at(at);
          expect((await browser.keepAlive(prefix)).status).toBe(200);
        }
        clock.at(ABSOLUTE - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', remainingMs: 1, absoluteRemainingMs: 1 });
        clock.at(ABSOLUTE);
        expect((await browser.keepAlive(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
        expect(await page()).toEqual({ status: 200, endedReason: 'absolute' });
      });
    });

    describe('per-session timeouts and app-reported activity', () => {
      const S = 30_000; // a session's own idle timeout, shorter than the policy's
      const SW = 10_000; // its own warning lead
      const ok = { status: 200, body: { ok: true } };
      /** A POST of the app's own, answered with JSON. */
      const post = async (path: string, client = browser) => {
        const response = await client.request('POST', path);
        return { status: response.status, body: (await response.json()) as unknown };
      };
      const writes = async () => ((await (await newBrowser().request('GET', 'writes', { record: false })).json()) as { writes: number }).writes;
      const sessionIdNow = async (client = browser) => ((await client.status(prefix)).body as { sessionId: string }).sessionId;

      it("timeouts chosen at sign-in are the session's own: the status reports them, and they are enforced", async () => {
        expect(await post(`sign-in?idle=${S}&warn=${SW}&absolute=${4 * S}`)).toEqual(ok);
        expect((await browser.status(prefix)).body).toEqual({
          state: 'active',
          remainingMs: S,
          idleRemainingMs: S,
          absoluteRemainingMs: 4 * S,
          idleTimeoutMs: S,
          warnBeforeMs: SW,
          sessionId: expect.any(String),
        });
        clock.at(TOUCH);
        expect((await browser.keepAlive(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: S, absoluteRemainingMs: 4 * S - TOUCH, idleTimeoutMs: S, warnBeforeMs: SW });
        clock.at(TOUCH + S - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(TOUCH + S);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
      });

      it("an absolute timeout chosen at sign-in ends the session at its own deadline, whatever the activity", async () => {
        expect(await post(`sign-in?absolute=${2 * T}`)).toEqual(ok);
        for (let at = T / 2; at < 2 * T; at += T / 2) {
          clock.at(at);
          expect((await browser.keepAlive(prefix)).body).toMatchObject({ state: 'active', absoluteRemainingMs: 2 * T - at, idleTimeoutMs: T, warnBeforeMs: W });
        }
        clock.at(2 * T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', remainingMs: 1 });
        clock.at(2 * T);
        expect((await browser.keepAlive(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
        expect(await page()).toEqual({ status: 200, endedReason: 'absolute' });
      });

      it('two users with different timeouts side by side: each session keeps its own', async () => {
        const clerk = newBrowser();
        await signIn(clerk); // the policy's timeouts
        expect(await post(`sign-in?idle=${S}`)).toEqual(ok); // an administrator's shorter ones
        clock.at(S - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1, idleTimeoutMs: S, warnBeforeMs: W });
        expect((await clerk.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - S + 1, idleTimeoutMs: T, warnBeforeMs: W });
        clock.at(S);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect((await clerk.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - S });
        clock.at(T);
        expect((await clerk.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('a tightening at runtime applies at once, holds for an older copy of the cookie, and a request still in flight never writes the old limits back', async () => {
        await signIn();
        const before = browser.cookieHeader();
        clock.at(TOUCH);
        const slow = await startSlow('tighten', browser, '&mutate=1'); // its copy of the session has the sign-in's limits
        clock.at(15_000);
        expect(await post(`limits?idle=${S}&absolute=${4 * S}`)).toEqual(ok);
        const tightened = { state: 'active', remainingMs: S, idleRemainingMs: S, absoluteRemainingMs: 4 * S - 15_000, idleTimeoutMs: S, warnBeforeMs: W, sessionId: expect.any(String) };
        expect((await browser.status(prefix)).body).toEqual(tightened);
        expect(await (await replay(before)).json()).toEqual(tightened);
        clock.at(20_000);
        expect((await slow.finish()).status).toBe(200);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleTimeoutMs: S, absoluteRemainingMs: 4 * S - 20_000 });
        expect(await (await browser.request('GET', 'page')).json()).toEqual({ endedReason: null, visits: 1 });
        clock.at(20_000 + S);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it("a loosening past the sign-in's limits is refused without allowLonger, naming the value; within them, or with allowLonger, it applies", async () => {
        expect(await post(`sign-in?idle=${S}&absolute=${4 * S}`)).toEqual(ok);
        clock.at(5_000);
        expect(await post(`limits?idle=${T}`)).toEqual({ status: 400, body: { error: 400, option: 'idleTimeout' } });
        expect(await post(`limits?absolute=${ABSOLUTE}`)).toEqual({ status: 400, body: { error: 400, option: 'absoluteTimeout' } });
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleTimeoutMs: S, absoluteRemainingMs: 4 * S - 5_000 });
        expect(await post('limits?idle=10000')).toEqual(ok);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 10_000, idleTimeoutMs: 10_000, warnBeforeMs: 5_000 });
        expect(await post(`limits?idle=${S}`)).toEqual(ok); // back to what the sign-in allowed
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: S, idleTimeoutMs: S, warnBeforeMs: 5_000 });
        expect(await post(`limits?idle=${T}&warn=${W}&longer=1`)).toEqual(ok);
        expect(await post(`limits?absolute=${ABSOLUTE}&longer=1`)).toEqual(ok);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T, absoluteRemainingMs: ABSOLUTE - 5_000, idleTimeoutMs: T, warnBeforeMs: W });
        clock.at(5_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(5_000 + T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('invalid per-session values are refused with an error naming the value, and nothing is stored', async () => {
        const before = await writes();
        const invalid: [string, string][] = [
          ['idle=0', 'idleTimeout'],
          ['idle=-5', 'idleTimeout'],
          ['idle=x', 'idleTimeout'],
          [`warn=${T}`, 'warnBefore'],
          ['absolute=1000', 'absoluteTimeout'],
          [`idle=${2 * ABSOLUTE}`, 'absoluteTimeout'],
        ];
        for (const [query, option] of invalid) expect(await post(`sign-in?${query}`)).toEqual({ status: 400, body: { error: 400, option } });
        expect(await writes()).toBe(before);
        expect(browser.setCookieHeaders).toEqual([]);
        expect((await browser.status(prefix)).body).toEqual({ state: 'none' });
        await signIn();
        const id = await sessionIdNow();
        const signedIn = await writes();
        clock.at(TOUCH / 2);
        // An invalid sign-in leaves the current session as it was; so does an invalid change.
        for (const [query, option] of invalid) expect(await post(`sign-in?${query}`)).toEqual({ status: 400, body: { error: 400, option } });
        for (const [query, option] of [...invalid, ['warn=-1', 'warnBefore'] as [string, string]]) {
          expect(await post(`limits?${query}`)).toEqual({ status: 400, body: { error: 400, option } });
        }
        expect(await writes()).toBe(signedIn);
        expect((await browser.status(prefix)).body).toEqual({ ...activeBody(T - TOUCH / 2, ABSOLUTE - TOUCH / 2), sessionId: id });
      });

      it('setLimits and recordActivity never revive an ended session: they answer why it is not active', async () => {
        const ended = (reason: string) => ({ status: 409, body: { ended: reason } });
        expect(await post('limits?idle=10000')).toEqual(ended('none'));
        expect(await post('activity?background=1')).toEqual(ended('none'));
        await signIn();
        clock.at(T);
        expect(await post('limits?idle=10000')).toEqual(ended('idle'));
        expect(await post('activity?background=1')).toEqual(ended('idle'));
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        await signIn();
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        expect(await post('activity?background=1')).toEqual(ended('none'));
        expect((await browser.status(prefix)).body).toEqual({ state: 'none' });
      });

      it('recordActivity counts as activity like a request: it moves the idle deadline, written at most once per touchInterval', async () => {
        await signIn();
        clock.at(TOUCH - 1);
        expect(await post('activity?background=1')).toEqual({ status: 200, body: { ok: true, idleRemainingMs: T - TOUCH + 1 } }); // too soon to write
        clock.at(T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });

        browser = await start();
        clock.at(0);
        await signIn();
        clock.at(TOUCH);
        expect(await post('activity?background=1')).toEqual({ status: 200, body: { ok: true, idleRemainingMs: T } });
        clock.at(TOUCH + 5_000);
        expect(await post('activity?background=1')).toEqual({ status: 200, body: { ok: true, idleRemainingMs: T - 5_000 } });
        clock.at(TOUCH + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(TOUCH + T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('an activity handle records activity after its request ended, through the store: it extends, obeys touchInterval, and never revives', async () => {
        await signIn();
        const elsewhere = newBrowser(); // a later message: no cookie of the user's
        expect(await post('handle?id=ws&background=1')).toEqual({ status: 200, body: { sessionId: await sessionIdNow() } });
        clock.at(30_000);
        expect(await post('handle-touch?id=ws', elsewhere)).toEqual({ status: 200, body: { ok: true, idleRemainingMs: T } });
        clock.at(35_000);
        expect(await post('handle-touch?id=ws', elsewhere)).toEqual({ status: 200, body: { ok: true, idleRemainingMs: T - 5_000 } });
        clock.at(30_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(30_000 + T);
        expect(await post('handle-touch?id=ws', elsewhere)).toEqual({ status: 409, body: { ended: 'idle' } });
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
        expect(elsewhere.setCookieHeaders).toEqual([]);
      });

      it('an activity handle of a session signed out, or replaced by a new sign-in, answers signed-out and writes nothing', async () => {
        await signIn();
        expect((await post('handle?id=first')).status).toBe(200);
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        const before = await writes();
        clock.at(TOUCH);
        expect(await post('handle-touch?id=first', newBrowser())).toEqual({ status: 409, body: { ended: 'signed-out' } });
        await signIn();
        expect((await post('handle?id=second')).status).toBe(200);
        await signIn();
        clock.at(2 * TOUCH);
        const signedIn = await writes();
        expect(await post('handle-touch?id=second', newBrowser())).toEqual({ status: 409, body: { ended: 'signed-out' } });
        expect(await writes()).toBe(signedIn);
        expect(signedIn).toBeGreaterThan(before);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - TOUCH });
      });

      it("a stream ends at the session's own idle deadline", async () => {
        expect(await post(`sign-in?idle=${S}`)).toEqual(ok);
        const response = await browser.request('GET', 'stream', { headers: { accept: 'text/event-stream' } });
        expect(response.status).toBe(200);
        clock.at(S);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect(/data: (\S+)/.exec(await response.text())?.[1]).toBe('idle');
      });
    });

    describe('expiry', () => {
      it('ends the expired session at once: its data is gone, only why it ended stays; a replayed old cookie never works again and learns why', async () => {
        await signIn();
        expect(await (await browser.request('GET', 'page')).json()).toEqual({ endedReason: null, visits: 0 });
        const stolen = browser.cookieHeader();
        clock.at(T + 1);
        // The user's data went with the session: the page finds no profile (visits null), only the reason.
        expect(await (await browser.request('GET', 'page')).json()).toEqual({ endedReason: 'idle', visits: null });
        clock.at(T + 2);
        // Every request still carrying the session is told why (issue 11: "every request that meets an expired session learns why").
        expect(await (await replay(stolen)).json()).toEqual({ state: 'expired', reason: 'idle' });
        const keepAlive = await replay(stolen, 'POST', `${prefix}/keepalive`, { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' });
        expect(keepAlive.status).toBe(401);
        expect(await keepAlive.json()).toEqual({ state: 'expired', reason: 'idle' });
        expect(await (await replay(stolen, 'GET', 'page')).json()).toEqual({ endedReason: 'idle', visits: null });
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('remembers the reason until the next sign-in, which starts a fresh session id', async () => {
        await signIn();
        clock.at(T);
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
        clock.at(T + 5_000);
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
        const anonymous = browser.cookieHeader();
        await signIn();
        expect(browser.cookieHeader()).not.toBe(anonymous);
        expect(await page()).toEqual({ status: 200, endedReason: null });
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active' });
      });

      it.each([
        ['a string timestamp', { createdAt: 'yesterday', lastActivity: START }],
        ['a future last activity', { createdAt: START, lastActivity: START + 3_600_000 }],
        ['a missing created-at', { lastActivity: START }],
        ['a non-finite timestamp', { createdAt: START, lastActivity: null }],
        ['a non-numeric own idle timeout', { createdAt: START, lastActivity: START, idleTimeout: 'forever' }],
        ['an own warning lead not under its idle timeout', { createdAt: START, lastActivity: START, idleTimeout: 30_000, warnBefore: 30_000 }],
        ['an own absolute timeout under its idle timeout', { createdAt: START, lastActivity: START, idleTimeout: 30_000, absoluteTimeout: 1_000 }],
      ])('fails closed on tampered metadata (%s): expired, never a crash', async (_name, record) => {
        await signIn();
        const tamper = await browser.request('POST', 'tamper', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(record),
        });
        expect(tamper.status).toBe(200);
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('ends tracking at sign-out: status none, keep-alive 401 none', async () => {
        await signIn();
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        expect((await browser.status(prefix)).body).toEqual({ state: 'none' });
        expect((await browser.keepAlive(prefix)).body).toEqual({ state: 'none' });
      });

      it('keeps sessions apart: one user expiring does not touch another', async () => {
        const other = newBrowser();
        await signIn();
        await signIn(other);
        clock.at(40_000);
        await other.keepAlive(prefix);
        clock.at(T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect((await other.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 40_000 });
      });
    });

    describe('requests in flight', () => {

      /** Keeps the session alive with a keep-alive every half idle timeout from `from` to `until` (ms after START). */
      async function keepAliveUntil(from: number, until: number): Promise<void> {
        for (let at = from; at < until; at += T / 2) {
          clock.at(at);
          expect((await browser.keepAlive(prefix)).status).toBe(200);
        }
        clock.at(until);
      }

      it('a long request is activity for as long as it runs: no idle expiry meanwhile, and the idle clock restarts when it ends', async () => {
        await signIn();
        clock.at(10_000);
        const upload = await startSlow('upload', browser, '&mutate=1', 'notes '.repeat(1_000));
        // What the open page asks at its deadline: never expired while the upload runs, a whole idle timeout left.
        for (const at of [30_000, 10_000 + T, 10_000 + 2 * T]) {
          clock.at(at);
          expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
        }
        clock.at(200_000);
        expect(await upload.finish()).toEqual({ status: 200, body: { ok: true } });
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
        clock.at(200_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        expect(await browser.request('GET', 'page').then((r) => r.json())).toEqual({ endedReason: null, visits: 1 });
      });

      it('a request that is not activity holds nothing, and does not write back a stale last-activity', async () => {
        await signIn();
        clock.at(15_000);
        const slow = await startSlow('stale', browser, '&background=1&mutate=1'); // its copy says last activity at 15 s
        for (const at of [20_000, 30_000, 40_000]) {
          clock.at(at);
          expect((await browser.keepAlive(prefix)).status).toBe(200);
        }
        clock.at(45_000);
        expect((await slow.finish()).status).toBe(200);
        clock.at(40_000 + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(40_000 + T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('a request still running at sign-out does not put the session back, and learns it ended (confirmActive)', async () => {
        await signIn();
        const stolen = browser.cookieHeader();
        clock.at(15_000);
        const slow = await startSlow('signout', browser, '&mutate=1&confirm=1');
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        expect(await slow.finish()).toEqual({ status: 409, body: { ended: 'signed-out' } });
        expect(await (await replay(stolen)).json()).toEqual({ state: 'none' });
      });

      it('confirmActive passes while the session is active, and the change is saved', async () => {
        await signIn();
        clock.at(15_000);
        const slow = await startSlow('confirm', browser, '&mutate=1&confirm=1');
        clock.at(15_000 + T);
        expect(await slow.finish()).toEqual({ status: 200, body: { ok: true } });
        expect(await browser.request('GET', 'page').then((r) => r.json())).toEqual({ endedReason: null, visits: 1 });
      });

      it('a request still running at sign-out that changed nested session data in place writes nothing back', async () => {
        const writes = async () => ((await (await newBrowser().request('GET', 'writes', { headers: { cookie: '' }, record: false })).json()) as { writes: number }).writes;
        await signIn();
        clock.at(15_000);
        const slow = await startSlow('nested', browser, '&mutate=1');
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        const before = await writes();
        expect((await slow.finish()).status).toBe(200);
        expect(await writes()).toBe(before);
      });

      it('a request still running at the absolute deadline does not put the session back, learns it, and the reason stays', async () => {
        await signIn();
        const stolen = browser.cookieHeader();
        await keepAliveUntil(TOUCH, ABSOLUTE - 10_000);
        const slow = await startSlow('absolute', browser, '&mutate=1&confirm=1');
        clock.at(ABSOLUTE);
        expect(await page()).toEqual({ status: 200, endedReason: 'absolute' });
        expect(await slow.finish()).toEqual({ status: 409, body: { ended: 'absolute' } });
        expect(await (await replay(stolen)).json()).toEqual({ state: 'expired', reason: 'absolute' }); // never active again, and says why
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
      });

      it('a request that is not activity, still running at idle expiry, does not put the session back, and the reason stays', async () => {
        await signIn();
        const stolen = browser.cookieHeader();
        clock.at(15_000);
        const slow = await startSlow('expiry', browser, '&background=1&mutate=1');
        clock.at(15_000 + T);
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
        expect((await slow.finish()).status).toBe(200);
        expect(await (await replay(stolen)).json()).toEqual({ state: 'expired', reason: 'idle' }); // never active again, and says why
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('a sign-out among parallel keep-alives ends the session for all of them', async () => {
        for (let round = 0; round < 5; round++) {
          await signIn();
          const cookie = browser.cookieHeader();
          const keepAlive = () =>
            browser.request('POST', `${prefix}/keepalive`, { headers: { cookie, 'x-idle-session': '1' } }).then((r) => r.text());
          // Which keep-alives come before the sign-out is a race by design: their answers are not recorded.
          await answers.unrecorded(() =>
            Promise.all([
              ...Array.from({ length: 10 }, keepAlive),
              browser.request('POST', 'sign-out', { headers: { cookie } }).then((r) => r.text()),
              ...Array.from({ length: 10 }, keepAlive),
            ]),
          );
          const after = await browser.request('GET', `${prefix}/status`, { headers: { cookie } });
          expect(await after.json()).toEqual({ state: 'none' });
        }
      });
    });

    describe('apps with CSRF protection (the guard goes before the CSRF check)', () => {
      const formToken = async () => ((await (await browser.request('GET', 'form', { headers: { accept: 'text/html' } })).json()) as { token: string }).token;
      const post = (token: string | null, accept = 'text/html') =>
        browser.request('POST', 'form', { headers: { accept, ...(token === null ? {} : { 'x-csrf-token': token }) } });

      it('a form posted with its token passes; without it, the CSRF protection refuses it (403)', async () => {
        await signIn();
        const token = await formToken();
        expect((await post(token)).status).toBe(200);
        const forged = await post(null);
        expect(forged.status).toBe(403);
        await forged.arrayBuffer();
      });

      it('after an idle expiry, a form posted with the old token gets the expiry answer, never a bare 403, and re-posting does not loop', async () => {
        await signIn();
        const token = await formToken();
        clock.at(T);
        for (let attempt = 0; attempt < 2; attempt++) {
          const html = await post(token);
          expect(html.status).toBe(303);
          expect(new URL(html.headers.get('location')!, app!.url).searchParams.get('reason')).toBe('idle');
          await html.arrayBuffer();
        }
        const data = await post(token, 'application/json');
        expect(data.status).toBe(401);
        expect(await data.json()).toEqual({ state: 'expired', reason: 'idle' });
        const login = await browser.request('GET', 'login', { headers: { accept: 'text/html' } });
        expect(login.status).toBe(200);
        expect(await login.json()).toEqual({ endedReason: 'idle' });
      });
    });

    describe('long-lived responses (event streams)', () => {
      /** Opens `GET stream` and resolves once its headers are in; `ended()` resolves with the reason it was given. */
      async function openStream(client = browser): Promise<{ ended: () => Promise<string | null> }> {
        const response = await client.request('GET', 'stream', { headers: { accept: 'text/event-stream' } });
        expect(response.status).toBe(200);
        return { ended: async () => /data: (\S+)/.exec(await response.text())?.[1] ?? null };
      }

      it('a stream learns at once that its session was signed out', async () => {
        await signIn();
        const stream = await openStream();
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        expect(await stream.ended()).toBe('signed-out');
      });

      it('an open stream is not activity, and it ends when its session expires (idle)', async () => {
        await signIn();
        clock.at(TOUCH);
        const stream = await openStream(); // opening it is a request like any other
        clock.at(TOUCH + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
        clock.at(TOUCH + T);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
        expect(await stream.ended()).toBe('idle');
      });

      it('a stream ends at the absolute deadline, with that reason', async () => {
        await signIn();
        for (let at = T / 2; at < ABSOLUTE; at += T / 2) {
          clock.at(at);
          expect((await browser.keepAlive(prefix)).status).toBe(200);
        }
        const stream = await openStream();
        clock.at(ABSOLUTE);
        expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
        expect(await stream.ended()).toBe('absolute');
      });

      it('a stream opened without an active session ends at once; EventSource gets 401 from a protected route, never a redirect', async () => {
        expect(await (await openStream()).ended()).toBe('none');
        await signIn();
        clock.at(T);
        const response = await browser.request('GET', 'protected', { headers: { accept: 'text/event-stream' } });
        expect(response.status).toBe(401);
        expect(response.headers.get('location')).toBeNull();
        expect(await response.json()).toEqual({ state: 'expired', reason: 'idle' });
      });
    });

    describe('audit events', () => {
      it('reports the lifecycle with the non-secret sessionId, the time, the reason, the method and path: never the cookie or session data', async () => {
        const events: AuditEvent[] = [];
        browser = await start({ audit: (event) => events.push(event) });
        const base = new URL(app!.url).pathname;
        const at = (ms: number) => START + ms;
        await signIn();
        const first = ((await browser.status(prefix)).body as { sessionId: string }).sessionId;
        clock.at(TOUCH);
        expect((await browser.keepAlive(prefix)).status).toBe(200);
        const forged = await browser.request('POST', `${prefix}/keepalive?token=secret`);
        expect(forged.status).toBe(403);
        await forged.text();
        const stolen = browser.cookieHeader();
        expect((await browser.request('POST', 'sign-out')).status).toBe(200);
        const replayed = await replay(stolen, 'POST', `${prefix}/keepalive`, { 'x-idle-session': '1' });
        expect(replayed.status).toBe(401);
        await replayed.text();
        await signIn();
        const second = ((await browser.status(prefix)).body as { sessionId: string }).sessionId;
        clock.at(TOUCH + T);
        expect(await page()).toMatchObject({ endedReason: 'idle' });
        const request = (type: AuditEvent['type'], sessionId: string | null, ms: number, reason: AuditEvent['reason'], method: string, path: string) => ({
          type,
          sessionId,
          at: at(ms),
          reason,
          method,
          path: `${base}${path}`,
          source: 'request',
        });
        expect(events).toEqual([
          request('signed-in', first, 0, null, 'POST', 'sign-in'),
          request('extended', first, TOUCH, null, 'POST', 'idle-session/keepalive'),
          request('refused', first, TOUCH, 'forged-keepalive', 'POST', 'idle-session/keepalive'),
          request('signed-out', first, TOUCH, null, 'POST', 'sign-out'),
          expect.objectContaining({ type: 'refused', reason: 'ended-session', method: 'POST', path: `${base}idle-session/keepalive` }),
          request('signed-in', second, TOUCH, null, 'POST', 'sign-in'),
          request('expired', second, TOUCH + T, 'idle', 'GET', 'page'),
        ]);
        const logged = JSON.stringify(events);
        for (const value of browser.cookies.values()) expect(logged).not.toContain(value);
        for (const cookie of stolen.split('; ')) expect(logged).not.toContain(cookie.split('=')[1]);
        expect(logged).not.toMatch(/demo|visits|secret/);
      });

      it('reports an expiry at the absolute deadline with its reason, and an audit hook that throws never breaks a request', async () => {
        const events: AuditEvent[] = [];
        const error = vi.spyOn(console, 'error').mockImplementation(() => {});
        try {
          browser = await start({
            audit: (event) => {
              events.push(event);
              throw new Error('the log is full');
            },
          });
          await signIn();
          for (let ms = T / 2; ms < ABSOLUTE; ms += T / 2) {
            clock.at(ms);
            expect((await browser.keepAlive(prefix)).status).toBe(200);
          }
          clock.at(ABSOLUTE);
          expect((await browser.status(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
          expect(events.at(-1)).toMatchObject({ type: 'expired', reason: 'absolute', at: START + ABSOLUTE, method: 'GET', path: `${new URL(app!.url).pathname}idle-session/status` });
          expect(error).toHaveBeenCalledWith('idle-session: the audit hook threw', expect.any(Error));
        } finally {
          error.mockRestore();
        }
      });
    });

    describe('behind a TLS-terminating proxy', () => {
      const https = { 'x-forwarded-proto': 'https' };
      const sessionCookies = (client: TestBrowser) => client.setCookieHeaders.filter((header) => !/^[^=]*=;|expires=Thu, 01 Jan 1970/i.test(header));

      it('trusted, every session cookie of an HTTPS request carries Secure, HttpOnly and SameSite=Lax: at sign-in, and (cookie-only) the one an expiry writes', async () => {
        browser = await start({ trustProxy: true, secureCookie: 'auto' });
        expect((await browser.request('POST', 'sign-in', { headers: https })).status).toBe(200);
        clock.at(T);
        expect((await browser.request('GET', 'page', { headers: https })).status).toBe(200);
        const cookies = sessionCookies(browser);
        expect(cookies.length).toBeGreaterThanOrEqual(cookieOnWrite ? 2 : 1); // a store keeps the key at an expiry: nothing to send
        for (const header of cookies) {
          expect(header).toMatch(/;\s*secure/i);
          expect(header).toMatch(/;\s*httponly/i);
          expect(header).toMatch(/;\s*samesite=lax/i);
          expect(header).not.toMatch(/;\s*(expires|max-age)=/i);
        }
      });

      it('no request answers 500 because of cookie flags, with or without proxy headers, trusted or not', async () => {
        const setups: Partial<HarnessOptions>[] = [
          { secureCookie: 'always' },
          { secureCookie: 'always', trustProxy: true },
          { secureCookie: 'auto' },
          { secureCookie: 'auto', trustProxy: true },
          { trustProxy: true },
        ];
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          for (const setup of setups) {
            const headerSets: Record<string, string>[] = [{}, https, { 'x-forwarded-proto': 'http' }, { forwarded: 'for=192.0.2.1;proto=https' }];
            for (const headers of headerSets) {
              clock.at(0);
              const client = await start(setup);
              const answers = [
                await client.request('POST', 'sign-in', { headers }),
                await client.request('GET', 'page', { headers }),
                await client.request('GET', `${prefix}/status`, { headers }),
                await client.request('POST', `${prefix}/keepalive`, { headers: { ...headers, 'x-idle-session': '1' } }),
                await client.request('GET', 'protected', { headers: { ...headers, accept: 'text/html' } }),
                await client.request('POST', 'sign-out', { headers }),
              ];
              for (const answer of answers) {
                await answer.arrayBuffer();
                expect(answer.status, `${JSON.stringify(setup)} ${JSON.stringify(headers)} ${answer.url}`).toBeLessThan(500);
              }
            }
          }
        } finally {
          warn.mockRestore();
        }
      });

      it('warns once when a sign-in arrives over HTTPS but its cookie goes out without Secure (an untrusted proxy)', async () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          browser = await start(); // no trust proxy, no Secure
          expect((await browser.request('POST', 'sign-in')).status).toBe(200);
          expect(warn).not.toHaveBeenCalledWith(expect.stringMatching(/Secure attribute/));
          const warnings = () => warn.mock.calls.filter(([message]) => /Secure attribute/.test(String(message))).length;
          // Once per adapter: a target of several instances (each with its own adapter) may warn once on each.
          for (let i = 0; i < 2; i++) expect((await browser.request('POST', 'sign-in', { headers: https })).status).toBe(200);
          const first = warnings();
          expect(first).toBeGreaterThanOrEqual(1);
          for (let i = 0; i < 4; i++) expect((await browser.request('POST', 'sign-in', { headers: https })).status).toBe(200);
          expect(warnings()).toBe(first);
          expect(warn).toHaveBeenCalledWith(expect.stringMatching(/trust the proxy/));
        } finally {
          warn.mockRestore();
        }
      });
    });

    describe('session cookie', () => {
      it('is sent only when it must change: at sign-in and sign-out, never on a store-backed session\'s write (a cookie-only session\'s cookie is its data: at every write and at an expiry)', async () => {
        const setCookies = (response: Response) => response.headers.getSetCookie();
        const send = async (method: string, path: string, headers: Record<string, string> = {}) => {
          const response = await browser.request(method, path, { headers });
          await response.arrayBuffer();
          return setCookies(response);
        };
        const keepAlive = { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' };
        const signInCookies = await send('POST', 'sign-in');
        expect(signInCookies.length).toBeGreaterThan(0); // a new session id
        const signedIn = browser.cookieHeader();
        clock.at(TOUCH / 2);
        expect(await send('GET', `${prefix}/status`)).toEqual([]); // reads only
        expect(await send('GET', 'page')).toEqual([]); // activity, but too soon to write (touchInterval)
        clock.at(TOUCH);
        expect((await send('GET', 'page')).length > 0).toBe(cookieOnWrite); // activity written
        clock.at(2 * TOUCH);
        expect((await send('POST', `${prefix}/keepalive`, keepAlive)).length > 0).toBe(cookieOnWrite); // a keep-alive written
        expect(await send('POST', `${prefix}/keepalive`, keepAlive)).toEqual([]); // nothing to write
        expect(await send('GET', 'background')).toEqual([]); // not activity
        if (!cookieOnWrite) expect(browser.cookieHeader()).toBe(signedIn);
        clock.at(2 * TOUCH + T);
        // Expired: in a store, the same key now holds only why it ended (nothing to send); a cookie-only session's cookie is replaced.
        expect((await send('GET', 'page')).length > 0).toBe(cookieOnWrite);
        if (!cookieOnWrite) expect(browser.cookieHeader()).toBe(signedIn);
        expect(await send('GET', 'page')).toEqual([]);
        await send('POST', 'sign-in');
        const signOut = await send('POST', 'sign-out');
        expect(signOut.length).toBeGreaterThan(0);
        for (const header of signOut) expect(Date.parse(/;\s*expires=([^;]+)/i.exec(header)?.[1] ?? '')).toBeLessThan(Date.UTC(2000, 0, 1));
        expect(await send('GET', 'page')).toEqual([]);
      });

      it('is a browser-session cookie: HttpOnly, SameSite=Lax, never Expires or Max-Age, at any step', async () => {
        await signIn();
        clock.at(TOUCH);
        await page();
        await browser.keepAlive(prefix);
        clock.at(2 * TOUCH);
        await browser.keepAlive(prefix);
        clock.at(2 * TOUCH + T);
        await page();
        await signIn();
        (await browser.request('POST', 'sign-out')).body?.cancel();
        await signIn();
        expect(browser.setCookieHeaders.length).toBeGreaterThan(0);
        for (const header of browser.setCookieHeaders) {
          const expires = /;\s*expires=([^;]+)/i.exec(header)?.[1];
          if (expires !== undefined && Date.parse(expires) < Date.UTC(2000, 0, 1)) continue; // a deletion: Expires in the past
          expect(header).toMatch(/;\s*HttpOnly/i);
          expect(header).toMatch(/;\s*SameSite=Lax/i);
          expect(header).not.toMatch(/expires=|max-age=/i);
        }
      });

      it('sign-out deletes the session cookie, with the attributes it was set with; Clear-Site-Data on request', async () => {
        for (const clear of [false, true]) {
          await signIn();
          const names = [...browser.cookies.keys()];
          const response = await browser.request('POST', clear ? 'sign-out?clear=1' : 'sign-out');
          expect(response.status).toBe(200);
          const deletions = response.headers.getSetCookie();
          for (const name of names) {
            const deletion = deletions.find((header) => header.startsWith(`${name}=`));
            expect(deletion, `no deletion of cookie ${name}`).toBeDefined();
            expect(Date.parse(/;\s*expires=([^;]+)/i.exec(deletion!)?.[1] ?? '')).toBeLessThan(Date.UTC(2000, 0, 1));
            expect(deletion).toMatch(/;\s*path=\//i);
            if (!name.endsWith('.sig')) {
              expect(deletion).toMatch(/;\s*HttpOnly/i);
              expect(deletion).toMatch(/;\s*SameSite=Lax/i);
            }
          }
          expect(response.headers.get('clear-site-data')).toBe(clear ? '"cache"' : null);
        }
      });

      it('treats unknown, forged and garbage cookies as no session, never an error', async () => {
        await signIn();
        const name = [...browser.cookies.keys()][0] ?? 'sid';
        for (const value of ['x', 's%3Aforged.signature', 'eyJpZGxlU2Vzc2lvbiI6e319', '%%%', 'a'.repeat(3000)]) {
          const response = await replay(`${name}=${value}`);
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ state: 'none' });
        }
      });
    });

    describe('protected-route guard', () => {
      it('passes an active session', async () => {
        await signIn();
        expect((await browser.request('GET', 'protected', { headers: { accept: 'text/html' } })).status).toBe(200);
      });

      // The guard's answers are core's (`guardResponse`), written as they are: no framework's "Redirecting
      // to…" text (whose wording, Content-Type and Vary differ between frameworks), no ETag.
      it('answers every redirect the same way: 303 to the login page, no-store, no body, whatever the Accept', async () => {
        const next = `next=${encodeURIComponent(`${new URL(app!.url).pathname}protected`)}`;
        const expectRedirect = async (response: Response, location: string) => {
          expect(response.status).toBe(303);
          expect(response.headers.get('location')).toBe(location);
          expect(response.headers.get('cache-control')).toBe('no-store');
          expect(response.headers.get('content-type')).toBeNull();
          expect(response.headers.get('vary')).toBeNull();
          expect(response.headers.get('etag')).toBeNull();
          expect(await response.text()).toBe('');
        };
        const accepts = ['text/html', 'text/html,application/xhtml+xml', '*/*'];
        for (const accept of accepts) await expectRedirect(await browser.request('GET', 'protected', { headers: { accept } }), `/login?${next}`);
        await expectRedirect(await browser.request('POST', 'protected', { headers: { accept: 'text/html' } }), '/login');
        await signIn();
        clock.at(T);
        for (const accept of accepts) await expectRedirect(await browser.request('GET', 'protected', { headers: { accept } }), `/login?reason=idle&${next}`);
        await expectRedirect(await browser.request('POST', 'protected', { headers: { accept: 'text/html' } }), '/login?reason=idle');
      });

      it('answers every request for data the same way: 401 with a JSON body naming the reason, no-store, never an ETag', async () => {
        const requests: Record<string, string>[] = [
          { accept: 'application/json' },
          { accept: '*/*', 'sec-fetch-dest': 'empty' },
          { accept: '*/*', 'x-requested-with': 'XMLHttpRequest' },
          { accept: 'text/event-stream' },
        ];
        const expectRefusal = async (headers: Record<string, string>, body: unknown) => {
          const response = await browser.request('GET', 'protected', { headers });
          expect(response.status).toBe(401);
          expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
          expect(response.headers.get('cache-control')).toBe('no-store');
          expect(response.headers.get('vary')).toBeNull();
          expect(response.headers.get('etag')).toBeNull();
          expect(response.headers.get('location')).toBeNull();
          expect(await response.json()).toEqual(body);
        };
        for (const headers of requests) await expectRefusal(headers, { state: 'none' });
        await signIn();
        clock.at(T);
        for (const headers of requests) await expectRefusal(headers, { state: 'expired', reason: 'idle' });
      });

      it('redirects an HTML request once to the login page, with the reason after an expiry', async () => {
        const anonymous = await browser.request('GET', 'protected', { headers: { accept: 'text/html' } });
        expect(anonymous.status).toBeGreaterThanOrEqual(300);
        expect(anonymous.status).toBeLessThan(400);
        expect(anonymous.headers.get('location')).toMatch(/\/login\?next=[^&]+$/);
        await signIn();
        clock.at(T);
        const expired = await browser.request('GET', 'protected', { headers: { accept: 'text/html,application/xhtml+xml' } });
        expect(expired.headers.get('location')).toMatch(/\/login\?reason=idle&next=[^&]+$/);
      });

      it('carries where the user was (next=, the path and query asked for) for GET, so signing in can lead back; nothing for other methods', async () => {
        const asked = `${new URL(app!.url).pathname}protected?tab=2&q=a%2Fb`;
        const next = (response: Response) => new URL(response.headers.get('location')!, app!.url).searchParams.get('next');
        expect(next(await browser.request('GET', 'protected?tab=2&q=a%2Fb', { headers: { accept: 'text/html' } }))).toBe(asked);
        await signIn();
        clock.at(T);
        const expired = await browser.request('GET', 'protected?tab=2&q=a%2Fb', { headers: { accept: 'text/html' } });
        expect(new URL(expired.headers.get('location')!, app!.url).searchParams.get('reason')).toBe('idle');
        expect(next(expired)).toBe(asked);
        expect(next(await browser.request('POST', 'protected', { headers: { accept: 'text/html' } }))).toBeNull();
      });

      it('never loops: a stale cookie gets one redirect, then the login page answers 200', async () => {
        await signIn();
        const stale = browser.cookieHeader();
        clock.at(T + 1);
        const redirect = await browser.request('GET', 'protected', { headers: { accept: 'text/html' } });
        expect(redirect.status).toBe(303);
        expect(redirect.headers.getSetCookie().length > 0).toBe(cookieOnWrite); // a store keeps the key, now holding only the reason
        const login = await browser.request('GET', 'login', { headers: { accept: 'text/html' } });
        expect(login.status).toBe(200);
        expect(await login.json()).toEqual({ endedReason: 'idle' });
        for (const endpoint of ['status', 'keepalive']) {
          const response = await replay(stale, endpoint === 'status' ? 'GET' : 'POST', `${prefix}/${endpoint}`, { 'x-idle-session': '1' });
          expect(response.status).toBe(endpoint === 'status' ? 200 : 401);
          expect(response.headers.get('location')).toBeNull();
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          await response.json();
        }
      });

      it('answers a JSON request with 401 and a JSON body naming the reason, never the login page', async () => {
        await signIn();
        clock.at(T);
        const response = await browser.request('GET', 'protected', { headers: { accept: 'application/json' } });
        expect(response.status).toBe(401);
        expect(response.headers.get('content-type')).toMatch(/^application\/json/);
        expect(await response.json()).toEqual({ state: 'expired', reason: 'idle' });
      });

      it('answers fetch() from a page (Sec-Fetch-Dest: empty) with 401 JSON whatever its Accept', async () => {
        const response = await browser.request('GET', 'protected', { headers: { accept: '*/*', 'sec-fetch-dest': 'empty' } });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({ state: 'none' });
      });
    });

    describe('load and abuse', () => {
      async function writes(): Promise<number> {
        const response = await newBrowser().request('GET', 'writes', { record: false });
        return ((await response.json()) as { writes: number }).writes;
      }

      it('20 parallel keep-alives and page requests leave the session active, consistent and saved once', async () => {
        await signIn();
        clock.at(TOUCH);
        const before = await writes();
        // Answered in any order: compared as a set.
        const results = await answers.unordered(() =>
          Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              i % 2 === 0
                ? browser.keepAlive(prefix).then((r) => r.status)
                : browser.request('GET', 'page').then(async (r) => (await r.text(), r.status)),
            ),
          ),
        );
        expect(results.every((status) => status === 200)).toBe(true);
        expect((await writes()) - before).toBeLessThanOrEqual(1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
        clock.at(TOUCH + T - 1);
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
      });

      it('ignores huge or malformed keep-alive bodies: JSON answer, never a crash', async () => {
        await signIn();
        const bodies: [string, string][] = [
          ['application/json', '{"broken":'],
          ['application/json', JSON.stringify({ padding: 'x'.repeat(2_000_000) })],
          ['application/x-www-form-urlencoded', 'a=%%%&b'],
          ['text/plain', '\u0000\u0001'],
        ];
        for (const [type, body] of bodies) {
          const response = await browser.request('POST', `${prefix}/keepalive`, {
            headers: { 'x-idle-session': '1', 'content-type': type },
            body,
          });
          expect([200, 413]).toContain(response.status);
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          await response.json();
        }
        expect((await browser.status(prefix)).body).toMatchObject({ state: 'active' });
      });
    });

    describe('no client input is a server error (OWASP Error Handling Cheat Sheet)', () => {
      /** Sends one raw HTTP/1.1 request (request targets and bytes fetch() cannot send); resolves with the status code. */
      async function rawStatus(requestLine: string, headers: string[] = []): Promise<number> {
        const { connect } = await import('node:net');
        const url = new URL(app!.url);
        return new Promise((resolve, reject) => {
          // Written without half-closing: a server (or the round-robin proxy of the multi-instance runs) may drop a
          // request whose client half-closed before the answer came; `Connection: close` ends the exchange.
          const socket = connect(Number(url.port), url.hostname, () =>
            socket.write([requestLine, `Host: ${url.host}`, 'Connection: close', ...headers, '', ''].join('\r\n')),
          );
          let text = '';
          socket.setEncoding('latin1');
          socket.on('data', (chunk: string) => (text += chunk));
          socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
          socket.on('error', reject);
        });
      }

      it('answers OPTIONS *, GET *, bad percent-encoding, odd cookies and odd guard headers below 500, with a session and without', async () => {
        const base = new URL(app!.url).pathname;
        for (const signedIn of [false, true]) {
          if (signedIn) await signIn();
          const cookie = signedIn ? [`Cookie: ${browser.cookieHeader()}`] : [];
          const requests: [string, string[]][] = [
            ['OPTIONS * HTTP/1.1', cookie],
            ['GET * HTTP/1.1', cookie],
            [`GET ${base}%E0%A4%A HTTP/1.1`, cookie],
            [`GET ${base}idle-session/%ZZstatus HTTP/1.1`, cookie],
            [`GET ${base}idle-session/status HTTP/1.1`, ['Cookie: =; ;;=x; a=%%; ' + (cookie[0]?.slice(8) ?? '')]],
            [`POST ${base}idle-session/keepalive HTTP/1.1`, [...cookie, 'X-Idle-Session: 1', 'Sec-Fetch-Site:', 'Origin: null', 'Content-Length: 0']],
            [`GET ${base}protected HTTP/1.1`, [...cookie, 'Accept: */*;q=x, text/html;;', 'Sec-Fetch-Dest: ']],
          ];
          for (const [line, headers] of requests) {
            const status = await rawStatus(line, headers);
            expect(status, `${line} ${headers.join(' | ')}`).toBeGreaterThanOrEqual(100);
            expect(status, `${line} ${headers.join(' | ')}`).toBeLessThan(500);
          }
        }
      });
    });

    describe('options', () => {
      it('serves the endpoints under a custom prefix', async () => {
        browser = await start({ prefix: '/auth/timeout' });
        await signIn();
        expect((await browser.status('/auth/timeout')).body).toMatchObject({ state: 'active' });
        expect((await browser.keepAlive('/auth/timeout')).status).toBe(200);
        expect((await browser.request('GET', `${prefix}/status`)).status).toBe(404);
      });

      it('works in an app mounted under a sub-path', async () => {
        browser = await start({ basePath: '/app' });
        expect(app!.url).toMatch(/\/app\/$/);
        await signIn();
        clock.at(TOUCH);
        expect((await browser.status('idle-session')).body).toMatchObject({ state: 'active', idleRemainingMs: T - TOUCH });
        expect((await browser.keepAlive('idle-session')).body).toMatchObject({ state: 'active', idleRemainingMs: T });
        clock.at(TOUCH + T);
        expect(await page()).toEqual({ status: 200, endedReason: 'idle' });
      });

      it('works without an absolute timeout', async () => {
        browser = await start({ absoluteTimeout: undefined });
        await signIn();
        expect((await browser.status(prefix)).body).toEqual(activeBody(T, null));
      });
    });
  });
}
