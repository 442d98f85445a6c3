import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkThenWrite, cookieValues, endedRecord, keepOnlyReason, nodeHeaderReader, SESSION_KEY, signInCookieWarnings, storeEntry, startRecord } from '../src/index.js';
import * as forApps from '../src/for-apps.js';

/** An express-session-style store in memory (callback API), as @fastify/session's stores are too. */
function callbackStore(initial: Record<string, Record<string, unknown>> = {}) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    get: (sid: string, done: (error: unknown, session?: Record<string, unknown> | null) => void) => done(null, data.get(sid) ?? null),
    set: (sid: string, session: Record<string, unknown>, done: (error?: unknown) => void) => (data.set(sid, structuredClone(session)), done()),
  };
}

describe('storeEntry (a session entry of an express-session-style store, with promises)', () => {
  it('reads null for a missing session, and writes what it is given', async () => {
    const store = callbackStore();
    const entry = storeEntry(store, 'sid');
    expect(await entry.read()).toBeNull();
    await entry.write({ user: 'demo' });
    expect(await entry.read()).toEqual({ user: 'demo' });
  });

  it("rejects with the store's own error", async () => {
    const failing = { get: (_sid: string, done: (error: unknown) => void) => done(new Error('down')), set: () => {} };
    await expect(storeEntry(failing, 'sid').read()).rejects.toThrow('down');
  });
});

describe('keepOnlyReason (after a timeout, in place)', () => {
  it("drops every field but the session library's cookie, and keeps only why the session ended", () => {
    const session: Record<string, unknown> = { cookie: { path: '/' }, user: 'demo', profile: { visits: 3 }, [SESSION_KEY]: startRecord(0) };
    keepOnlyReason(session, 'idle');
    expect(session).toEqual({ cookie: { path: '/' }, [SESSION_KEY]: endedRecord('idle') });
  });
});

describe('checkThenWrite (the check before a write, for stores that do not write conditionally)', () => {
  it('gives the decision the store copy as it is now, and writes the record it chooses', async () => {
    const store = callbackStore({ sid: { [SESSION_KEY]: 'stored' } });
    const session: Record<string, unknown> = { [SESSION_KEY]: 'mine' };
    const decide = vi.fn(() => ({ record: 'chosen' }));
    const write = vi.fn(async () => {});
    await checkThenWrite(storeEntry(store, 'sid'), session, decide, write);
    expect(decide).toHaveBeenCalledWith({ exists: true, record: 'stored' });
    expect(session[SESSION_KEY]).toBe('chosen');
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('writes nothing when the decision refuses (a destroyed session is never put back)', async () => {
    const session: Record<string, unknown> = { [SESSION_KEY]: 'mine' };
    const decide = vi.fn(() => null);
    const write = vi.fn(async () => {});
    await checkThenWrite(storeEntry(callbackStore(), 'gone'), session, decide, write);
    expect(decide).toHaveBeenCalledWith({ exists: false, record: undefined });
    expect(write).not.toHaveBeenCalled();
    expect(session[SESSION_KEY]).toBe('mine');
  });
});

describe('signInCookieWarnings (the checks of the session cookie at sign-in)', () => {
  afterEach(() => vi.restoreAllMocks());
  const advice = { proxy: 'trust the proxy', persistent: 'persistent cookie', secureOverHttp: 'Secure over HTTP' };
  const none = () => undefined;

  it('says each problem once, however many sign-ins have it', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const check = signInCookieWarnings(advice);
    const behindProxy = nodeHeaderReader({ 'x-forwarded-proto': 'https' });
    for (let i = 0; i < 3; i++) {
      check({ secure: false, persistent: true, https: false, header: behindProxy });
      check({ secure: true, persistent: false, https: false, header: none });
    }
    const messages = warn.mock.calls.map(([message]) => String(message));
    expect(messages).toHaveLength(3);
    expect(messages.some((message) => message.includes('trust the proxy') && message.includes('Secure attribute'))).toBe(true);
    expect(messages).toContain('persistent cookie');
    expect(messages).toContain('Secure over HTTP');
  });

  it('says nothing for a Secure browser-session cookie over HTTPS, nor for plain HTTP without proxy headers', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const check = signInCookieWarnings(advice);
    check({ secure: true, persistent: false, https: true, header: none });
    check({ secure: false, persistent: false, https: false, header: none });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('cookieValues (every value of one cookie name, for the planted-cookie guards)', () => {
  it('gives each value in order, unquoted, decoded on request, and none for an absent header', () => {
    const header = 'a=1; sid=planted; other=x; sid="s%3Areal.sig"; sid=%E0%A4%A';
    expect(cookieValues(header, 'sid')).toEqual(['planted', 's%3Areal.sig', '%E0%A4%A']);
    expect(cookieValues(header, 'sid', { decode: true })).toEqual(['planted', 's:real.sig', '%E0%A4%A']);
    expect(cookieValues(undefined, 'sid')).toEqual([]);
  });
});

describe('nodeHeaderReader', () => {
  it('tells an absent header (undefined) from an empty one, and joins repeated ones', () => {
    const header = nodeHeaderReader({ 'sec-fetch-site': '', 'x-many': ['a', 'b'] });
    expect(header('sec-fetch-site')).toBe('');
    expect(header('origin')).toBeUndefined();
    expect(header('x-many')).toBe('a, b');
  });
});

describe('@idle-session/core/for-apps (what every adapter re-exports)', () => {
  it('holds the errors, the return-to helper, the policy and the store TTL', () => {
    expect(Object.keys(forApps).sort()).toEqual(['IdlePolicyError', 'NEXT_PARAM', 'SessionEndedError', 'StoreUnavailableError', 'createPolicy', 'safeNextPath', 'sessionTtl']);
    expect(forApps.createPolicy({ idleTimeout: 60_000 }).idleTimeout).toBe(60_000);
  });
});
