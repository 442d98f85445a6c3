import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, MemoryStore, safeExternalKey } from '../src/index.js';

async function serve(app: Koa): Promise<{ url: string; close: () => void }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('idleSession() for Koa at start-up', () => {
  afterEach(() => vi.restoreAllMocks());

  it('throws an IdlePolicyError naming a bad option', () => {
    expect(() => idleSession({ idleTimeout: 60_000, absoluteTimeout: 1 })).toThrow(IdlePolicyError);
    expect(() => idleSession({ idleTimeout: -1 })).toThrow(/option "idleTimeout"/);
  });

  it('catches app.use(idleSession) written for app.use(idleSession({...}))', () => {
    expect(() => idleSession({ request: {}, response: {} } as never)).toThrow(/not app\.use\(idleSession\)/);
  });
});

describe('idleSession() for Koa, misconfigured', () => {
  afterEach(() => vi.restoreAllMocks());

  it('without koa-session: no session, never a 500; the mounting mistake is said once in the log (issue 11)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = new Koa();
    const errors: unknown[] = [];
    app.silent = true;
    app.on('error', (error) => errors.push(error));
    app.use(idleSession({ idleTimeout: 60_000 }));
    app.use((ctx) => {
      ctx.body = { ok: true };
    });
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/idle-session/status`)).json()).toEqual({ state: 'none' });
      const keepAlive = await fetch(`${server.url}/idle-session/keepalive`, { method: 'POST', headers: { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' } });
      expect(keepAlive.status).toBe(401);
      expect((await fetch(`${server.url}/page`)).status).toBe(200);
      expect(errors).toEqual([]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/Mount koa-session before idle-session/);
    } finally {
      server.close();
    }
  });

  it('warns once at sign-in when koa-session has a numeric maxAge (a cookie that outlives the browser)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = new Koa();
    app.keys = ['k'];
    const idle = idleSession({ idleTimeout: 60_000 });
    app.use(session({ store: new MemoryStore(), maxAge: 3_600_000 }, app));
    app.use(idle);
    app.use(async (ctx) => {
      await idle.signIn(ctx);
      ctx.body = { ok: true };
    });
    const server = await serve(app);
    try {
      const first = await fetch(`${server.url}/sign-in`, { method: 'POST' });
      expect(first.headers.getSetCookie().join()).toMatch(/expires=/i);
      await (await fetch(`${server.url}/sign-in`, { method: 'POST' })).json();
      const messages = warn.mock.calls.map((call) => String(call[0]));
      expect(messages.filter((m) => /maxAge: "session"/.test(m))).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('a second cookie with the session cookie\'s name (issue 11: planted from a sibling subdomain, or sent first)', () => {
  afterEach(() => vi.restoreAllMocks());

  async function start(mode: 'store' | 'cookie' | 'store, safeExternalKey') {
    const app = new Koa();
    app.keys = ['k'];
    const idle = idleSession({ idleTimeout: 60_000 });
    const store = mode === 'cookie' ? undefined : new MemoryStore();
    const externalKey = mode === 'store, safeExternalKey' ? safeExternalKey('app.sid') : undefined;
    app.use(session({ key: 'app.sid', maxAge: 'session', store, externalKey }, app));
    app.use(idle);
    app.use(async (ctx) => {
      if (ctx.path === '/sign-in') await idle.signIn(ctx);
      ctx.body = { state: idle.state(ctx).state };
    });
    return serve(app);
  }

  /** The real cookies after signing in, as `name=value` pairs. */
  async function signIn(url: string): Promise<string[]> {
    const response = await fetch(`${url}/sign-in`, { method: 'POST' });
    return response.headers.getSetCookie().map((header) => header.split(';', 1)[0]!);
  }

  for (const mode of ['store', 'cookie', 'store, safeExternalKey'] as const) {
    it(`never deletes the real signature cookie (${mode})`, async () => {
      const server = await start(mode);
      try {
        const real = await signIn(server.url);
        expect(real.map((pair) => pair.split('=')[0])).toEqual(['app.sid', 'app.sid.sig']);
        for (const cookie of [['app.sid=planted', ...real], [...real, 'app.sid=planted'], ['app.sid.sig=planted', ...real]]) {
          const response = await fetch(`${server.url}/idle-session/status`, { headers: { cookie: cookie.join('; ') } });
          const deletions = response.headers.getSetCookie().filter((header) => /^app\.sid(\.sig)?=;/.test(header));
          expect(deletions, cookie.join('; ')).toEqual([]);
          if (mode !== 'store') expect(await response.json(), cookie.join('; ')).toMatchObject({ state: 'active' });
          else await response.arrayBuffer();
        }
      } finally {
        server.close();
      }
    });
  }

  it('sends the session cookie only when it changes, not again at every write of the session', async () => {
    const server = await start('store');
    try {
      const real = await signIn(server.url);
      const response = await fetch(`${server.url}/idle-session/keepalive`, {
        method: 'POST',
        headers: { cookie: real.join('; '), 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' },
      });
      expect(response.status).toBe(200);
      expect(response.headers.getSetCookie()).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('with a MemoryStore that sweeps (a policy given)', () => {
  it('a slow upload keeps its session stored while it runs, past the idle timeout, and it is active after', async () => {
    const clock = { current: 1_700_000_000_000, now: () => clock.current };
    const app = new Koa();
    app.keys = ['k'];
    const idle = idleSession({ idleTimeout: 60_000, touchInterval: 5_000, clock });
    const store = new MemoryStore({ policy: idle.policy });
    let release: () => void = () => {};
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    app.use(session({ maxAge: 'session', store }, app));
    app.use(idle);
    app.use(async (ctx) => {
      if (ctx.path === '/sign-in') await idle.signIn(ctx);
      if (ctx.path === '/upload') {
        started();
        await new Promise<void>((resolve) => (release = resolve));
      }
      ctx.body = { state: idle.state(ctx).state };
    });
    const server = await serve(app);
    try {
      const signIn = await fetch(`${server.url}/sign-in`, { method: 'POST' });
      const cookie = signIn.headers.getSetCookie().map((header) => header.split(';', 1)[0]).join('; ');
      const upload = fetch(`${server.url}/upload`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: 'notes' });
      await running;
      clock.current += 3 * 60_000; // far past the idle deadline plus touchInterval
      expect(store.sweep()).toBe(0); // held by the running request
      release();
      expect(await (await upload).json()).toEqual({ state: 'active' });
      const status = await fetch(`${server.url}/idle-session/status`, { headers: { cookie } });
      expect(await status.json()).toMatchObject({ state: 'active', idleRemainingMs: 60_000 });
    } finally {
      store.close();
      server.close();
    }
  });
});
