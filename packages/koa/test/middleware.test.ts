import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, MemoryStore } from '../src/index.js';

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

  it('fails the request with an error that says to mount koa-session first', async () => {
    const app = new Koa();
    const errors: unknown[] = [];
    app.silent = true;
    app.on('error', (error) => errors.push(error));
    app.use(idleSession({ idleTimeout: 60_000 }));
    const server = await serve(app);
    try {
      expect((await fetch(`${server.url}/idle-session/status`)).status).toBe(500);
      expect(String(errors[0])).toMatch(/Mount koa-session before idle-session/);
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
