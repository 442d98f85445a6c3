import type { Clock } from '@idle-session/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TestBrowser } from './client.js';
import type { HarnessOptions, RunningApp } from './harness.js';

/** A session key in the shared store, with its remaining time to live in milliseconds (`-1` for none). */
export interface StoredKey {
  key: string;
  pttl: number;
}

/**
 * What an adapter's multi-instance test file provides: two instances of the contract's test app (see
 * `AdapterTarget`) sharing one store, each with its own adapter object (so nothing is shared in process
 * memory), and a look into the shared store.
 */
export interface InstancesTarget {
  name: string;
  /** Starts instances A and B on an empty shared store. */
  start(options: HarnessOptions): Promise<{ a: RunningApp; b: RunningApp; close(): Promise<void> }>;
  /** The session keys in the shared store now (`[]` for cookie-only sessions). */
  storedSessions(): Promise<StoredKey[]>;
  /** Deletes a session's key as the store's own TTL would when it runs out (the TTLs run on real time). */
  forgetKey(key: string): Promise<void>;
  /**
   * Store outages, for the outage tests: `pause` makes the store answer nothing (slower than the
   * adapter's store timeout) until `resume`; `stop` takes it down, keeping its data, until `start`.
   */
  outage: {
    pause(): void | Promise<void>;
    resume(): void | Promise<void>;
    stop(): Promise<void>;
    start(): Promise<void>;
  };
}

/** What every request must get while the store is unavailable. */
async function expectUnavailable(response: Response, json: boolean): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(response.headers.get('location')).toBeNull();
  if (json) expect(await response.json()).toEqual({ state: 'unavailable' });
  else await response.arrayBuffer();
}

const T = 60_000;
const TOUCH = 10_000;
const ABSOLUTE = 300_000;
const prefix = '/idle-session';

/**
 * Promises that hold only when several instances share one store: one truth about every session, no
 * resurrection by a request in flight on another instance, and a store whose clock follows the policy.
 * Over real HTTP, with a manual clock for the policy (the store's TTLs run on real time, so they are
 * read, not waited for).
 */
export function runInstancesContract(target: InstancesTarget): void {
  describe(`idle-session on two instances: ${target.name}`, () => {
    const clock: Clock & { current: number } = { current: Date.now(), now: () => clock.current };
    let pair: { a: RunningApp; b: RunningApp; close(): Promise<void> };
    let a: TestBrowser;
    let b: TestBrowser;

    beforeAll(async () => {
      pair = await target.start({ idleTimeout: T, warnBefore: 20_000, touchInterval: TOUCH, absoluteTimeout: ABSOLUTE, clock });
    });
    afterAll(async () => pair?.close());
    beforeEach(() => {
      clock.current += 10 * ABSOLUTE; // every test starts far from the last one's sessions
      a = new TestBrowser(pair.a.url);
      b = new TestBrowser(pair.b.url, a.cookies); // one browser: the load balancer sends it to A or to B
    });

    /** Signs in on A; returns a copy of the cookies as they are now. */
    async function signInOnA(): Promise<string> {
      expect((await a.request('POST', 'sign-in')).status).toBe(200);
      return a.cookieHeader();
    }
    const statusWith = async (url: string, cookie: string) =>
      (await new TestBrowser(url).request('GET', `${prefix}/status`, { headers: { cookie } })).json() as Promise<Record<string, unknown>>;

    it('a keep-alive answered by A extends the session as B sees it', async () => {
      await signInOnA();
      const start = clock.current;
      clock.current = start + 30_000;
      expect((await a.keepAlive(prefix)).status).toBe(200);
      clock.current = start + 30_000 + T - 1;
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
    });

    it('a sign-out on A ends the session on B at once, and a copy of the cookie is refused by every instance', async () => {
      const copy = await signInOnA();
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active' });
      expect((await a.request('POST', 'sign-out')).status).toBe(200);
      for (const url of [pair.a.url, pair.b.url]) expect(await statusWith(url, copy)).toEqual({ state: 'none' });
      expect((await new TestBrowser(pair.b.url).request('POST', `${prefix}/keepalive`, { headers: { cookie: copy, 'x-idle-session': '1' } })).status).toBe(401);
    });

    it('an expiry detected on B is final for A', async () => {
      const copy = await signInOnA();
      clock.current += T;
      expect((await b.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      clock.current -= 1; // even if A's clock were a little behind B's
      expect(await statusWith(pair.a.url, copy)).toMatchObject({ state: expect.stringMatching(/^(none|expired)$/) });
      expect((await new TestBrowser(pair.a.url).request('POST', `${prefix}/keepalive`, { headers: { cookie: copy, 'x-idle-session': '1' } })).status).toBe(401);
    });

    it('an upload running on A is activity on B too: never expired there meanwhile, and the idle clock restarts when it ends', async () => {
      await signInOnA();
      const start = clock.current;
      clock.current = start + 10_000;
      const id = `upload-${start}`;
      const upload = a.request('POST', `slow?id=${id}&mutate=1&confirm=1`, { headers: { 'content-type': 'text/plain' }, body: 'notes '.repeat(1_000) });
      while (!(((await (await a.request('GET', `waiting?id=${id}`)).json()) as { waiting: boolean }).waiting));
      for (const at of [30_000, 10_000 + T, 10_000 + 3 * T]) {
        clock.current = start + at;
        expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
      }
      await a.request('POST', `release?id=${id}`);
      expect(await (await upload).json()).toEqual({ ok: true });
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
      clock.current = start + 10_000 + 3 * T + T - 1;
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: 1 });
      clock.current += 1;
      expect((await b.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
    });

    it('an event stream on A ends within a second or two of a sign-out on B', async () => {
      await signInOnA();
      const stream = await a.request('GET', 'stream', { headers: { accept: 'text/event-stream' } });
      expect(stream.status).toBe(200);
      const started = Date.now();
      expect((await b.request('POST', 'sign-out')).status).toBe(200);
      expect(/data: (\S+)/.exec(await stream.text())?.[1]).toBe('signed-out');
      expect(Date.now() - started).toBeLessThan(5_000); // "within a second or two", with margin for a loaded machine
    });

    it('200 rounds of keep-alives and slow page requests on A racing a sign-out on B: 0 revivals', { timeout: 180_000 }, async () => {
      let revivals = 0;
      const storedBefore = (await target.storedSessions()).length;
      for (let round = 0; round < 200; round++) {
        a = new TestBrowser(pair.a.url);
        b = new TestBrowser(pair.b.url, a.cookies);
        const copy = await signInOnA();
        clock.current += TOUCH; // every keep-alive below may write
        const id = `race-${clock.current}-${round}`;
        const slow = a.request('GET', `slow?id=${id}&mutate=1`); // loaded the session on A, writes it back later
        while (!(((await (await a.request('GET', `waiting?id=${id}`)).json()) as { waiting: boolean }).waiting));
        const before = Array.from({ length: 3 }, () => a.keepAlive(prefix));
        const signOut = b.request('POST', 'sign-out');
        const after = Array.from({ length: 3 }, () => a.keepAlive(prefix));
        await a.request('POST', `release?id=${id}`);
        await Promise.all([slow, signOut, ...before, ...after]);
        for (const url of [pair.a.url, pair.b.url]) if ((await statusWith(url, copy)).state !== 'none') revivals++;
      }
      expect(revivals).toBe(0);
      expect(await target.storedSessions()).toHaveLength(storedBefore); // every signed-out session is gone from the store
    });

    /** The signed-in session's key (the one key that signing in added), or `null` for cookie-only sessions. */
    async function signInAndFindKey(): Promise<string | null> {
      const before = new Set((await target.storedSessions()).map((entry) => entry.key));
      await signInOnA();
      const added = (await target.storedSessions()).filter((entry) => !before.has(entry.key));
      expect(added.length).toBeLessThanOrEqual(1);
      return added[0]?.key ?? null;
    }
    const pttlOf = async (key: string) => (await target.storedSessions()).find((entry) => entry.key === key)?.pttl;

    /** Every kind of request, on both instances, gets the outage answer, and none of them counts as activity. */
    async function expectOutageAnswers(): Promise<void> {
      const checks = [a, b].flatMap((client) => [
        client.request('GET', `${prefix}/status`).then((response) => expectUnavailable(response, true)),
        client
          .request('POST', `${prefix}/keepalive`, { headers: { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' } })
          .then((response) => expectUnavailable(response, true)),
        client.request('GET', 'protected', { headers: { accept: 'text/html' } }).then((response) => expectUnavailable(response, false)),
        client.request('GET', 'protected', { headers: { accept: 'application/json' } }).then((response) => expectUnavailable(response, true)),
        client.request('GET', 'page', { headers: { accept: 'text/html' } }).then((response) => expectUnavailable(response, false)),
        client.request('POST', 'sign-in', { headers: { accept: 'text/html' } }).then((response) => expectUnavailable(response, false)),
      ]);
      await Promise.all(checks);
    }

    it('a store slower than its timeout: 503 unavailable everywhere, nothing counted; then the session carries on', { timeout: 60_000 }, async () => {
      await signInOnA();
      const start = clock.current;
      clock.current = start + 20_000;
      await target.outage.pause();
      try {
        await expectOutageAnswers();
      } finally {
        await target.outage.resume();
      }
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - 20_000 });
      expect((await a.keepAlive(prefix)).status).toBe(200);
      expect((await b.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T });
    });

    it('a store that goes down and comes back: 503 meanwhile; afterwards a session carries on, one whose deadline passed is expired (idle)', { timeout: 60_000 }, async () => {
      await signInOnA(); // the session whose idle deadline passes during the outage
      const early = a.cookieHeader();
      clock.current += 30_000;
      const late = new TestBrowser(pair.b.url);
      expect((await late.request('POST', 'sign-in')).status).toBe(200); // signed in 30 s later
      await target.outage.stop();
      try {
        await expectOutageAnswers();
        clock.current += 40_000; // past the first session's idle deadline, 20 s left for the second
        await expectOutageAnswers();
      } finally {
        await target.outage.start();
      }
      expect((await late.status(prefix)).body).toMatchObject({ state: 'active', idleRemainingMs: T - 40_000 });
      expect(await statusWith(pair.a.url, early)).toEqual({ state: 'expired', reason: 'idle' });
      expect((await new TestBrowser(pair.b.url).request('POST', `${prefix}/keepalive`, { headers: { cookie: early, 'x-idle-session': '1' } })).status).toBe(401);
    });

    it("the store's clock follows the policy: TTL up to the idle deadline plus touchInterval, moved only by writes of activity", async () => {
      const key = await signInAndFindKey();
      if (key === null) return; // cookie-only: nothing stored
      const ttls = async () => [await pttlOf(key)];
      const stored = await ttls();
      expect(stored[0]).toBeGreaterThan(T + TOUCH - 5_000);
      expect(stored[0]).toBeLessThanOrEqual(T + TOUCH);
      // Status checks never raise the TTL, on either instance.
      clock.current += 30_000;
      await a.status(prefix);
      await b.status(prefix);
      expect((await ttls())[0]).toBeLessThanOrEqual(stored[0]!);
      // A write of activity moves it with last-activity: 30 s later by the policy's clock.
      expect((await b.keepAlive(prefix)).status).toBe(200);
      expect((await ttls())[0]).toBeGreaterThan(T + TOUCH - 5_000);
    });

    it('a session nobody came back to: after its key ran out, the next request on either instance still learns why', async () => {
      const key = await signInAndFindKey();
      clock.current += T + TOUCH; // past the idle deadline and the key's TTL
      if (key !== null) await target.forgetKey(key); // what the TTL does, in real time, when nobody comes back
      expect((await a.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      expect((await b.status(prefix)).body).toEqual({ state: 'expired', reason: 'idle' });
      expect(await (await b.request('GET', 'protected', { headers: { accept: 'text/html' } })).headers.get('location')).toBe('/login?reason=idle&next=%2Fprotected');
    });

    it('never past the absolute deadline, and right after an expiry is detected the key keeps only why it ended, briefly', async () => {
      const key = await signInAndFindKey();
      if (key === null) return; // cookie-only: nothing stored
      const signedInAt = clock.current;
      for (let at = 40_000; at <= ABSOLUTE - 20_000; at += 40_000) {
        clock.current = signedInAt + at; // active all along, by keep-alives on both instances
        expect((await (at % 80_000 ? a : b).keepAlive(prefix)).status).toBe(200);
      }
      const pttl = await pttlOf(key);
      expect(pttl).toBeLessThanOrEqual(20_000);
      expect(pttl).toBeGreaterThan(15_000);
      clock.current = signedInAt + ABSOLUTE;
      expect((await b.status(prefix)).body).toEqual({ state: 'expired', reason: 'absolute' });
      // The session's data is gone; the key holds only the reason (its TTL is core's ENDED_REASON_MEMORY_MS, one day).
      const marker = await pttlOf(key);
      expect(marker).toBeGreaterThan(0);
      expect(marker).toBeLessThanOrEqual(24 * 3_600_000);
      expect(await (await a.request('GET', 'page')).json()).toEqual({ endedReason: 'absolute', visits: null });
    });
  });
}
