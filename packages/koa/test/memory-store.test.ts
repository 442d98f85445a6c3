import type { AddressInfo } from 'node:net';
import { createPolicy, ENDED_REASON_MEMORY_MS, endedRecord, SESSION_KEY, startRecord, type IdlePolicy } from '@idle-session/core';
import Koa from 'koa';
import session from 'koa-session';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, MemoryStore } from '../src/index.js';

const T0 = Date.UTC(2026, 10, 30, 9, 0, 0);
const IDLE = 20_000;
const TOUCH = 1_000;
const ABSOLUTE = 60_000;

/** A tracked session as the adapter writes it through koa-session (`maxAge: 'session'` adds `_session`). */
function tracked(createdAt: number, lastActivity = createdAt, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, [SESSION_KEY]: { ...startRecord(createdAt, `id-${createdAt}`), lastActivity }, _session: true };
}

describe('MemoryStore given the policy', () => {
  let policy: IdlePolicy;
  const stores: MemoryStore[] = [];
  const make = (options: ConstructorParameters<typeof MemoryStore>[0] = {}): MemoryStore => {
    const store = new MemoryStore({ policy, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    // Fake timers move Date.now(), which the policy's default clock reads, and the sweep's interval together.
    vi.useFakeTimers({ now: T0 });
    policy = createPolicy({ idleTimeout: IDLE, touchInterval: TOUCH, absoluteTimeout: ABSOLUTE });
  });
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    vi.useRealTimers();
  });

  it('set, get and destroy: stores a copy, answers fresh copies, forgets on destroy', async () => {
    const store = make();
    const data = tracked(T0, T0, { user: 'demo', profile: { visits: 1 } });
    await store.set('k', data);
    (data.profile as { visits: number }).visits = 99;
    const first = await store.get('k');
    expect(first).toEqual(tracked(T0, T0, { user: 'demo', profile: { visits: 1 } }));
    first!.user = 'changed';
    expect((await store.get('k'))!.user).toBe('demo');
    expect(await store.get('unknown')).toBeUndefined();
    await store.destroy('k');
    expect(await store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
    await store.destroy('never-stored'); // does nothing
  });

  it('keeps a tracked session until its idle deadline plus touchInterval, never a millisecond longer', async () => {
    const store = make();
    await store.set('k', tracked(T0, T0, { user: 'demo' }));
    vi.setSystemTime(T0 + IDLE + TOUCH - 1);
    expect((await store.get('k'))!.user).toBe('demo');
    vi.setSystemTime(T0 + IDLE + TOUCH);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
    expect(store.size).toBe(0);
  });

  it('a write of activity moves the deadline with last-activity', async () => {
    const store = make();
    await store.set('k', tracked(T0));
    vi.setSystemTime(T0 + 15_000);
    await store.set('k', tracked(T0, T0 + 15_000));
    vi.setSystemTime(T0 + 15_000 + IDLE + TOUCH - 1);
    expect((await store.get('k'))![SESSION_KEY]).toMatchObject({ lastActivity: T0 + 15_000 });
    vi.setSystemTime(T0 + 15_000 + IDLE + TOUCH);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
  });

  it('never keeps a session past its absolute deadline, whatever the activity, and remembers "absolute"', async () => {
    const store = make();
    await store.set('k', tracked(T0));
    vi.setSystemTime(T0 + ABSOLUTE - 5_000);
    await store.set('k', tracked(T0, T0 + ABSOLUTE - 5_000)); // the idle deadline would be later
    vi.setSystemTime(T0 + ABSOLUTE - 1);
    expect(await store.get('k')).toMatchObject({ _session: true });
    vi.setSystemTime(T0 + ABSOLUTE);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'absolute' } });
  });

  it('never stores a session already past its deadline (TTL 0): the stored one is removed, leaving only why it ends', async () => {
    const store = make();
    await store.set('k', tracked(T0, T0 + 10_000, { user: 'demo' }));
    vi.setSystemTime(T0 + 15_000);
    // A request that held a copy from before sign-in's absolute deadline writes it back (a copy past its deadline).
    await store.set('k', tracked(T0 - ABSOLUTE, T0 - 1_000, { user: 'demo' }));
    expect(store.size).toBe(0);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } }); // why the stored one would have ended
    // A copy written back after a sign-out leaves nothing behind.
    await store.set('signed-out', tracked(T0));
    await store.destroy('signed-out');
    vi.setSystemTime(T0 + IDLE + TOUCH + 5_000);
    await store.set('signed-out', tracked(T0));
    expect(store.size).toBe(0);
    expect(await store.get('signed-out')).toBeUndefined();
    expect(store.endedReasonCount).toBe(1);
  });

  it('removes sessions nobody comes back to by itself, without any request: deadline plus sweepInterval', async () => {
    const store = make({ sweepInterval: 1_000 });
    for (let i = 0; i < 1_000; i++) await store.set(`gone-${i}`, tracked(T0, T0, { user: `u${i}`, notes: 'x'.repeat(100) }));
    vi.advanceTimersByTime(10_000);
    for (let i = 0; i < 10; i++) await store.set(`live-${i}`, tracked(T0 + 10_000)); // signed in later
    expect(store.size).toBe(1_010);
    vi.advanceTimersByTime(IDLE + TOUCH - 10_000 + 1_000); // the first deadline, and one sweep after it
    expect(store.size).toBe(10);
    expect(store.endedReasonCount).toBe(1_000);
    vi.advanceTimersByTime(10_000);
    expect(store.size).toBe(0);
  });

  it('sweep() visits only what is due and reports how many sessions it removed', async () => {
    const store = make();
    await store.set('a', tracked(T0));
    await store.set('b', tracked(T0, T0, { other: true }));
    await store.set('c', { [SESSION_KEY]: endedRecord('idle') }); // an anonymous session that remembers why: 24 h
    vi.setSystemTime(T0 + IDLE + TOUCH);
    expect(store.sweep()).toBe(2);
    expect(store.size).toBe(1);
    vi.setSystemTime(T0 + ENDED_REASON_MEMORY_MS - 1);
    expect(store.sweep()).toBe(0);
    vi.setSystemTime(T0 + ENDED_REASON_MEMORY_MS);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
  });

  it('handles a clock that jumps far ahead (a process asleep for weeks) in one sweep', async () => {
    const store = make({ sweepInterval: 1_000 });
    await store.set('a', tracked(T0));
    await store.set('b', { [SESSION_KEY]: endedRecord('absolute') });
    vi.setSystemTime(T0 + 30 * ENDED_REASON_MEMORY_MS);
    const started = performance.now();
    expect(store.sweep()).toBe(2);
    expect(performance.now() - started).toBeLessThan(100);
    expect(store.size).toBe(0);
    expect(store.endedReasonCount).toBe(0); // its marker ran out too
  });

  it('keeps only a small marker of why a tracked session ended, for ENDED_REASON_MEMORY_MS after its deadline', async () => {
    const store = make();
    await store.set('k', tracked(T0, T0, { user: 'demo', secret: 'card 4111' }));
    const deadline = T0 + IDLE + TOUCH;
    vi.setSystemTime(deadline);
    store.sweep();
    expect(store.size).toBe(0);
    const marker = await store.get('k');
    expect(marker).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } }); // nothing of the session's data
    expect(JSON.stringify(marker)).not.toMatch(/demo|card|id-/);
    vi.setSystemTime(deadline + ENDED_REASON_MEMORY_MS - 1);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
    vi.setSystemTime(deadline + ENDED_REASON_MEMORY_MS);
    expect(await store.get('k')).toBeUndefined();
    expect(store.endedReasonCount).toBe(0);
  });

  it('forgets markers by age in the sweep, keeps at most maxEndedReasons (oldest first), and none with 0', async () => {
    const store = make({ maxEndedReasons: 3 });
    for (let i = 0; i < 5; i++) {
      await store.set(`k${i}`, tracked(T0 + i));
    }
    vi.setSystemTime(T0 + IDLE + TOUCH + 10);
    store.sweep();
    expect(store.endedReasonCount).toBe(3);
    expect(await store.get('k0')).toBeUndefined();
    expect(await store.get('k1')).toBeUndefined();
    expect(await store.get('k4')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
    vi.setSystemTime(T0 + IDLE + TOUCH + ENDED_REASON_MEMORY_MS + 10);
    store.sweep();
    expect(store.endedReasonCount).toBe(0);

    const none = make({ maxEndedReasons: 0 });
    await none.set('k', tracked(Date.now()));
    vi.setSystemTime(Date.now() + IDLE + TOUCH);
    expect(await none.get('k')).toBeUndefined();
    expect(none.endedReasonCount).toBe(0);
  });

  it('a sign-out (destroy) leaves no marker behind; a new write under the key drops the old marker', async () => {
    const store = make();
    await store.set('k', tracked(T0));
    await store.destroy('k');
    vi.setSystemTime(T0 + IDLE + TOUCH);
    store.sweep();
    expect(await store.get('k')).toBeUndefined();

    await store.set('m', tracked(Date.now()));
    vi.setSystemTime(T0 + 2 * (IDLE + TOUCH));
    store.sweep();
    expect(store.endedReasonCount).toBe(1);
    await store.destroy('m');
    expect(store.endedReasonCount).toBe(0);
    expect(await store.get('m')).toBeUndefined();

    await store.set('n', tracked(Date.now()));
    vi.setSystemTime(Date.now() + IDLE + TOUCH);
    store.sweep();
    expect(store.endedReasonCount).toBe(1);
    await store.set('n', tracked(Date.now(), Date.now(), { user: 'again' })); // a session written under the key again
    expect(store.endedReasonCount).toBe(0);
    expect((await store.get('n'))!.user).toBe('again');
  });

  it('keeps an anonymous session for the idle timeout plus touchInterval, and one that only remembers why for ENDED_REASON_MEMORY_MS', async () => {
    const store = make();
    await store.set('anon', { _session: true, cart: [1] });
    await store.set('reason', { [SESSION_KEY]: endedRecord('idle'), _session: true });
    vi.setSystemTime(T0 + IDLE + TOUCH - 1);
    expect(await store.get('anon')).toEqual({ _session: true, cart: [1] });
    vi.setSystemTime(T0 + IDLE + TOUCH);
    expect(await store.get('anon')).toBeUndefined(); // not tracked: nothing to remember
    vi.setSystemTime(T0 + ENDED_REASON_MEMORY_MS - 1);
    expect(await store.get('reason')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' }, _session: true });
    vi.setSystemTime(T0 + ENDED_REASON_MEMORY_MS);
    expect(await store.get('reason')).toBeUndefined();
  });

  it('fails closed on malformed session data: kept only the idle timeout plus touchInterval (storeTtlMs), with no marker', async () => {
    const store = make();
    const malformed: Record<string, unknown>[] = [
      { [SESSION_KEY]: { createdAt: 'yesterday', lastActivity: T0 + 10 * ABSOLUTE } },
      { [SESSION_KEY]: { lastActivity: Number.NaN } },
      { [SESSION_KEY]: { createdAt: T0, lastActivity: null } },
      { [SESSION_KEY]: 'not a record' },
      { [SESSION_KEY]: { endedReason: 'forever' } },
    ];
    for (const [i, data] of malformed.entries()) await store.set(`m${i}`, data);
    await store.set('not-an-object', 'a string');
    await store.set('null', null);
    expect(store.size).toBe(7);
    vi.setSystemTime(T0 + IDLE + TOUCH - 1);
    expect(await store.get('m0')).toMatchObject({ [SESSION_KEY]: { createdAt: 'yesterday' } }); // the adapter finds it and fails closed
    vi.setSystemTime(T0 + IDLE + TOUCH);
    expect(store.sweep()).toBe(7);
    for (let i = 0; i < malformed.length; i++) expect(await store.get(`m${i}`)).toBeUndefined();
    expect(await store.get('not-an-object')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(store.endedReasonCount).toBe(0);
  });

  it('size counts sessions, including those past their deadline until swept or asked for, not markers', async () => {
    const store = make();
    expect(store.size).toBe(0);
    await store.set('a', tracked(T0));
    await store.set('a', tracked(T0, T0 + 1));
    await store.set('b', { _session: true });
    expect(store.size).toBe(2);
    vi.setSystemTime(T0 + IDLE + TOUCH + 1);
    expect(store.size).toBe(2);
    await store.get('a');
    expect(store.size).toBe(1);
    expect(store.endedReasonCount).toBe(1);
    store.sweep();
    expect(store.size).toBe(0);
  });

  it('idleSessionHold() keeps a session while a request of it runs, then an idle timeout more, never past its absolute deadline', async () => {
    const store = make({ sweepInterval: 1_000 });
    await store.set('k', tracked(T0, T0, { user: 'demo' }));
    // A slow upload starts at 5 s; a parallel request holds it too from 10 s to 12 s.
    vi.advanceTimersByTime(5_000);
    const releaseUpload = store.idleSessionHold('k');
    vi.advanceTimersByTime(5_000);
    const releaseOther = store.idleSessionHold('k');
    vi.advanceTimersByTime(2_000);
    releaseOther();
    vi.advanceTimersByTime(38_000); // 50 s: far past the stored copy's deadline (21 s), the sweep ran meanwhile
    expect((await store.get('k'))!.user).toBe('demo');
    expect(store.size).toBe(1);
    releaseUpload(); // the upload ended at 50 s: kept until 71 s at most, capped by the absolute deadline (60 s)
    releaseUpload(); // twice is harmless
    vi.advanceTimersByTime(9_999);
    expect((await store.get('k'))!.user).toBe('demo');
    vi.advanceTimersByTime(1);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'absolute' } });

    // Without an absolute timeout: the idle timeout plus touchInterval after the end of the request.
    policy = createPolicy({ idleTimeout: IDLE, touchInterval: TOUCH });
    const open = make({ sweepInterval: 1_000 });
    const start = Date.now();
    await open.set('k', tracked(start));
    const release = open.idleSessionHold('k');
    vi.advanceTimersByTime(10 * IDLE);
    expect(open.size).toBe(1);
    release();
    vi.advanceTimersByTime(IDLE + TOUCH - 1);
    expect(open.size).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(open.size).toBe(0);
  });

  it('idleSessionHold() never revives: a session gone or past its deadline is not held; the absolute deadline ends a held one', async () => {
    const store = make();
    store.idleSessionHold('never-stored')();
    await store.set('k', tracked(T0));
    vi.setSystemTime(T0 + IDLE + TOUCH);
    const release = store.idleSessionHold('k'); // too late
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
    release();
    expect(store.size).toBe(0);

    await store.set('held', tracked(Date.now() - ABSOLUTE + 5_000, Date.now()));
    const hold = store.idleSessionHold('held');
    vi.setSystemTime(Date.now() + 5_000);
    expect(store.sweep()).toBe(1);
    expect(await store.get('held')).toEqual({ [SESSION_KEY]: { endedReason: 'absolute' } });
    hold();
    expect(store.size).toBe(0);
  });

  it('a hold never released (a request that never ends) keeps a session no longer than its absolute deadline', async () => {
    const store = make({ sweepInterval: 1_000 });
    await store.set('k', tracked(T0));
    vi.advanceTimersByTime(5_000);
    const release = store.idleSessionHold('k');
    vi.advanceTimersByTime(ABSOLUTE - 5_000 - 1); // the sweep passes its idle deadline (21 s) every second
    expect(store.size).toBe(1);
    vi.advanceTimersByTime(1_000); // the next sweep after the absolute deadline
    expect(store.size).toBe(0);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'absolute' } });
    release();
    expect(store.size).toBe(0);
  });

  it('reports each tracked session that leaves at its deadline to the audit hook, without its data; once', async () => {
    const events: unknown[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const store = make({
      audit: (event) => {
        events.push(event);
        if (events.length === 1) throw new Error('the log is full'); // printed and ignored
      },
    });
    await store.set('swept', tracked(T0, T0, { user: 'demo' }));
    await store.set('asked', tracked(T0 + 1, T0 + 1));
    await store.set('absolute', tracked(T0 - ABSOLUTE + 5_000, T0));
    await store.set('anonymous', { _session: true });
    await store.set('signed-out', tracked(T0 + 2));
    await store.destroy('signed-out');
    vi.setSystemTime(T0 + 5_000);
    store.sweep();
    vi.setSystemTime(T0 + IDLE + TOUCH);
    store.sweep();
    vi.setSystemTime(T0 + IDLE + TOUCH + 1);
    await store.get('asked');
    await store.get('asked');
    store.sweep();
    vi.setSystemTime(T0 + 10 * (IDLE + TOUCH));
    store.sweep();
    expect(events).toEqual([
      { type: 'expired', sessionId: `id-${T0 - ABSOLUTE + 5_000}`, at: T0 + 5_000, reason: 'absolute', method: null, path: null, source: 'store' },
      { type: 'expired', sessionId: `id-${T0}`, at: T0 + IDLE + TOUCH, reason: 'idle', method: null, path: null, source: 'store' },
      { type: 'expired', sessionId: `id-${T0 + 1}`, at: T0 + IDLE + TOUCH + 1, reason: 'idle', method: null, path: null, source: 'store' },
    ]);
    expect(error).toHaveBeenCalledWith('idle-session: the audit hook threw', expect.any(Error));
    error.mockRestore();
  });

  it('reads the time from policy.clock, not Date.now()', async () => {
    const clock = { current: 1_000_000, now: () => clock.current };
    const store = make({ policy: createPolicy({ idleTimeout: IDLE, touchInterval: TOUCH, clock }) });
    await store.set('k', tracked(clock.current));
    vi.setSystemTime(T0 + 10 * ENDED_REASON_MEMORY_MS); // the wall clock is irrelevant
    expect(store.sweep()).toBe(0);
    expect(await store.get('k')).toMatchObject({ _session: true });
    clock.current += IDLE + TOUCH;
    expect(store.sweep()).toBe(1);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
  });

  it('close() stops the sweep; get still never returns a session past its deadline', async () => {
    const store = make({ sweepInterval: 1_000 });
    await store.set('k', tracked(T0));
    await store.set('j', tracked(T0));
    store.close();
    store.close(); // twice is fine
    vi.advanceTimersByTime(IDLE + TOUCH + 5_000);
    expect(store.size).toBe(2);
    expect(await store.get('k')).toEqual({ [SESSION_KEY]: { endedReason: 'idle' } });
    expect(store.size).toBe(1);
  });

  it('sweeps by default every touchInterval (at least 1 s, at most 60 s)', async () => {
    const store = make();
    await store.set('k', tracked(T0));
    vi.advanceTimersByTime(IDLE + TOUCH + 1_000);
    expect(store.size).toBe(0);

    policy = createPolicy({ idleTimeout: 30 * 60_000 }); // touchInterval 60 000
    const slow = make();
    vi.advanceTimersByTime(1_000); // signed in a second after a sweep
    await slow.set('k', tracked(Date.now()));
    vi.advanceTimersByTime(30 * 60_000 + 60_000);
    expect(slow.size).toBe(1); // the deadline just came; the next sweep is 59 s later
    vi.advanceTimersByTime(59_000);
    expect(slow.size).toBe(0);
  });
});

describe('MemoryStore, its sweep timer', () => {
  it('never keeps the process alive (unref)', () => {
    const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const store = new MemoryStore({ policy: createPolicy({ idleTimeout: IDLE }) });
    try {
      expect(timers()).toBe(before);
    } finally {
      store.close();
    }
  });
});

describe('MemoryStore options', () => {
  afterEach(() => vi.restoreAllMocks());
  const policy = createPolicy({ idleTimeout: IDLE });

  it.each([
    ['options', 'a policy', /option "options"/],
    ['unknown option', { policy, sweep: 1_000 }, /option "sweep" is not an option of MemoryStore/],
    ['the policy passed directly', policy, /option "idleTimeout" is not an option of MemoryStore.*\{ policy: idle\.policy \}/],
    ['policy', { policy: 900_000 }, /option "policy" must be the adapter's policy/],
    ['policy.idleTimeout', { policy: { ...policy, idleTimeout: 0 } }, /option "policy\.idleTimeout"/],
    ['policy.idleTimeout (missing)', { policy: { touchInterval: 1_000 } }, /option "policy\.idleTimeout"/],
    ['policy.touchInterval', { policy: { ...policy, touchInterval: -1 } }, /option "policy\.touchInterval"/],
    ['policy.absoluteTimeout', { policy: { ...policy, absoluteTimeout: Number.POSITIVE_INFINITY } }, /option "policy\.absoluteTimeout"/],
    ['policy.clock', { policy: { ...policy, clock: Date.now } }, /option "policy\.clock"/],
    ['sweepInterval without policy', { sweepInterval: 1_000 }, /option "sweepInterval" needs option "policy"/],
    ['sweepInterval 0', { policy, sweepInterval: 0 }, /option "sweepInterval" must be/],
    ['sweepInterval NaN', { policy, sweepInterval: Number.NaN }, /option "sweepInterval" must be/],
    ['sweepInterval beyond the timer limit', { policy, sweepInterval: 2 ** 31 }, /option "sweepInterval" must be/],
    ['maxEndedReasons negative', { policy, maxEndedReasons: -1 }, /option "maxEndedReasons" must be an integer/],
    ['maxEndedReasons fractional', { policy, maxEndedReasons: 1.5 }, /option "maxEndedReasons" must be an integer/],
    ['audit', { policy, audit: 'console' }, /option "audit" must be a function/],
    ['audit without policy', { audit: () => {} }, /option "audit" needs option "policy"/],
  ])('throws a TypeError naming the option: %s', (_name, options, message) => {
    let error: unknown;
    try {
      new MemoryStore(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toBeInstanceOf(IdlePolicyError);
    expect(String((error as Error).message)).toMatch(message);
  });

  it('new MemoryStore() keeps today\'s behaviour (no deadline, no timer), and warns once', async () => {
    vi.resetModules();
    const { MemoryStore: Fresh } = await import('../src/memory-store.js');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const timers = process.getActiveResourcesInfo().length;
    const store = new Fresh();
    new Fresh();
    expect(process.getActiveResourcesInfo().length).toBe(timers);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/without option "policy".*new MemoryStore\(\{ policy: idle\.policy \}\)/);
    await store.set('k', tracked(0)); // signed in at the epoch
    expect(await store.get('k')).toEqual(tracked(0));
    expect(store.sweep()).toBe(0);
    expect(store.size).toBe(1);
  });
});

describe('MemoryStore under koa-session and the adapter', () => {
  it('a session whose browser never returns is gone at its deadline; the user who does come back is told why', async () => {
    const clock = { current: T0, now: () => clock.current };
    const idle = idleSession({ idleTimeout: IDLE, touchInterval: TOUCH, warnBefore: 5_000, clock });
    const store = new MemoryStore({ policy: idle.policy });
    const app = new Koa({ keys: ['k'] });
    app.use(session({ maxAge: 'session', store }, app));
    app.use(idle);
    app.use(async (ctx) => {
      if (ctx.path === '/sign-in') {
        await idle.signIn(ctx);
        (ctx.session as unknown as Record<string, unknown>).user = 'demo';
      }
      ctx.body = { endedReason: idle.endedReason(ctx), user: (ctx.session as unknown as Record<string, unknown> | null)?.user ?? null };
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cookies: string[] = [];
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${url}/sign-in`, { method: 'POST' });
        cookies.push(response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '));
      }
      expect(store.size).toBe(20);
      clock.current += IDLE + TOUCH;
      expect(store.sweep()).toBe(20); // no request came
      expect(store.size).toBe(0);
      expect(store.endedReasonCount).toBe(20);
      const back = await (await fetch(`${url}/page`, { headers: { cookie: cookies[0]! } })).json();
      expect(back).toEqual({ endedReason: 'idle', user: null });
    } finally {
      store.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
