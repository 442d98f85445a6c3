import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleSession, IdlePolicyError } from '../src/index.js';

describe('idleSession() at start-up', () => {
  afterEach(() => vi.restoreAllMocks());

  it('throws an IdlePolicyError naming a bad option', () => {
    expect(() => idleSession({ idleTimeout: 60_000, warnBefore: 90_000 })).toThrow(IdlePolicyError);
    expect(() => idleSession({ idleTimeout: 60_000, warnBefore: 90_000 })).toThrow(/option "warnBefore"/);
    expect(() => idleSession({} as never)).toThrow(/option "idleTimeout" is required/);
  });

  it('catches app.use(idleSession) written for app.use(idleSession({...}))', () => {
    expect(() => idleSession({ method: 'GET', url: '/' } as never)).toThrow(/not app\.use\(idleSession\)/);
  });

  it('prints the WCAG 2.2 SC 2.2.1 warning once for a warning lead under 20 s', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    idleSession({ idleTimeout: 6_000, warnBefore: 3_000 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/WCAG 2\.2 SC 2\.2\.1/);
    warn.mockClear();
    idleSession({ idleTimeout: 900_000 });
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('idleSession() without express-session', () => {
  it('fails the request with an error that says to mount express-session first', async () => {
    const app = express();
    app.use(idleSession({ idleTimeout: 60_000 }));
    let seen: unknown;
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen = error;
      res.status(500).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(response.status).toBe(500);
      expect(String(seen)).toMatch(/Mount express-session before idle-session/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('idleSession() and the session cookie', () => {
  afterEach(() => vi.restoreAllMocks());

  it('warns once at sign-in when the cookie has a Max-Age, since then closing the browser would not end the session', async () => {
    const { default: session } = await import('express-session');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = express();
    const idle = idleSession({ idleTimeout: 60_000 });
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
    app.use(idle);
    app.post('/sign-in', async (req, res) => {
      await idle.signIn(req);
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sign-in`;
      await (await fetch(url, { method: 'POST' })).json();
      await (await fetch(url, { method: 'POST' })).json();
      const messages = warn.mock.calls.map((call) => String(call[0]));
      expect(messages.filter((m) => /Max-Age or Expires/.test(m))).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
