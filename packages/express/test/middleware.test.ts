import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, preferSignedSessionCookie } from '../src/index.js';

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

/** Starts `app` on a free port; returns its base URL and a stop function. */
async function serve(app: express.Express): Promise<{ url: string; port: number; stop: () => void }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, stop: () => (server.closeAllConnections(), server.close()) };
}

/** A raw HTTP/1.1 request, for request targets fetch() cannot send (`*`). */
async function raw(port: number, requestLine: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('requests without a session (issue 11: no session is not a crash)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('without express-session: no session, never a 500; the mounting mistake is said once in the log', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = express();
    app.use(idleSession({ idleTimeout: 60_000 }));
    app.get('/page', (_req, res) => res.json({ ok: true }));
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/idle-session/status`)).json()).toEqual({ state: 'none' });
      const keepAlive = await fetch(`${server.url}/idle-session/keepalive`, { method: 'POST', headers: { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' } });
      expect(keepAlive.status).toBe(401);
      expect(await keepAlive.json()).toEqual({ state: 'none' });
      expect((await fetch(`${server.url}/page`)).status).toBe(200);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/mount express-session before idle-session/);
    } finally {
      server.stop();
    }
  });

  it('requests express-session skips on purpose (outside its cookie.path, OPTIONS *) pass on with state none', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const app = express();
    const idle = idleSession({ idleTimeout: 60_000 });
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { path: '/app' } }));
    app.use(idle);
    app.get('/health', (req, res) => res.json({ state: idle.state(req).state }));
    const server = await serve(app);
    try {
      expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ state: 'none' });
      const status = await fetch(`${server.url}/idle-session/status`);
      expect(status.status).toBe(200);
      expect(status.headers.get('cache-control')).toBe('no-store');
      expect(await status.json()).toEqual({ state: 'none' });
      for (const method of ['GET', 'OPTIONS']) {
        const answer = await raw(server.port, `${method} * HTTP/1.1`);
        expect(answer, method).toMatch(/^HTTP\/1\.1 [1-4]\d\d /);
      }
      expect(errors).not.toHaveBeenCalled();
    } finally {
      server.stop();
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

describe('preferSignedSessionCookie (issue 11: a planted second session cookie must not sign the user out)', () => {
  it('puts the cookie with a valid signature first, so express-session finds the real session', async () => {
    const app = express();
    const idle = idleSession({ idleTimeout: 60_000 });
    app.use(preferSignedSessionCookie({ name: 'app.sid', secret: ['new', 'old'] }));
    app.use(session({ name: 'app.sid', secret: ['new', 'old'], resave: false, saveUninitialized: false }));
    app.use(idle);
    app.post('/sign-in', async (req, res) => {
      await idle.signIn(req);
      res.json({ ok: true });
    });
    app.get('/seen', (req, res) => res.json({ cookie: req.headers.cookie ?? null }));
    const server = await serve(app);
    try {
      const real = (await fetch(`${server.url}/sign-in`, { method: 'POST' })).headers.getSetCookie()[0]!.split(';', 1)[0]!;
      for (const cookie of [`app.sid=planted; ${real}`, `app.sid=s%3Aforged.sig; other=1; ${real}`, `${real}; app.sid=planted`]) {
        expect(await (await fetch(`${server.url}/idle-session/status`, { headers: { cookie } })).json(), cookie).toMatchObject({ state: 'active' });
      }
      // One cookie of the name, or none: the header is left exactly as it came.
      expect(await (await fetch(`${server.url}/seen`, { headers: { cookie: `a=1;b=2; ${real}` } })).json()).toEqual({ cookie: `a=1;b=2; ${real}` });
      // Nothing valid among them: left as it came (express-session finds no session).
      expect(await (await fetch(`${server.url}/idle-session/status`, { headers: { cookie: 'app.sid=x; app.sid=%E0%A4%A' } })).json()).toEqual({ state: 'none' });
    } finally {
      server.stop();
    }
  });

  it('refuses to start without the name or the secret', () => {
    expect(() => preferSignedSessionCookie({ name: '', secret: 's' })).toThrow(/"name"/);
    expect(() => preferSignedSessionCookie({ name: 'a', secret: [] })).toThrow(/"secret"/);
  });
});

describe('confirmActive after the mark of a sign-out elsewhere is gone (issue 13)', () => {
  it('a request held longer than the mark of its ended session is kept learns it ended from the store', async () => {
    // Two instances share one store but nothing else: what instance A sees once the shared mark of a sign-out
    // on B has run out (it is kept for the idle timeout plus touchInterval) while A's upload still runs.
    const store = new session.MemoryStore();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const instance = (name: string) => {
      const app = express();
      const idle = idleSession({ idleTimeout: 60_000 });
      app.use(session({ secret: 'shared', resave: false, saveUninitialized: false, store }));
      app.use(idle);
      app.post('/sign-in', async (req, res) => (await idle.signIn(req), res.json({ ok: true })));
      app.post('/sign-out', async (req, res) => (await idle.signOut(req), res.json({ ok: true })));
      app.post('/upload', async (req, res) => {
        arrive();
        await released; // the upload is still running on A
        try {
          await idle.confirmActive(req);
          res.json({ saved: true });
        } catch (error) {
          res.status(409).json({ ended: (error as { reason?: string }).reason, on: name });
        }
      });
      return serve(app);
    };
    const [a, b] = await Promise.all([instance('A'), instance('B')]);
    try {
      const cookie = (await fetch(`${a.url}/sign-in`, { method: 'POST' })).headers.getSetCookie()[0]!.split(';')[0]!;
      const upload = fetch(`${a.url}/upload`, { method: 'POST', headers: { cookie } });
      await arrived; // the upload has reached A's handler
      expect((await fetch(`${b.url}/sign-out`, { method: 'POST', headers: { cookie } })).status).toBe(200);
      release();
      const answer = await upload;
      expect(answer.status).toBe(409);
      expect(await answer.json()).toEqual({ ended: 'signed-out', on: 'A' });
    } finally {
      a.stop();
      b.stop();
    }
  });
});
