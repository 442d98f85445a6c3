import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, preferSignedSessionCookie, type FastifyIdleSession, type FastifyIdleSessionOptions } from '../src/index.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

/** An app with @fastify/cookie, @fastify/session (as the README sets it up) and the plugin, at the root. */
async function appWith(options: FastifyIdleSessionOptions, cookie: Record<string, unknown> = { secure: false }): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, rolling: false, cookie: { httpOnly: true, sameSite: 'lax', ...cookie } });
  await app.register(idleSession, options);
  app.post('/sign-in', async (request) => {
    await app.idleSession.signIn(request);
    return { ok: true };
  });
  app.get('/account', { preHandler: app.idleSession.requireSignIn({ loginUrl: '/login' }) }, async () => ({ ok: true }));
  return app;
}

describe('the plugin at registration', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails register with an IdlePolicyError naming a bad option', async () => {
    await expect(appWith({ idleTimeout: 60_000, warnBefore: 90_000 })).rejects.toThrow(IdlePolicyError);
    await expect(appWith({ idleTimeout: 60_000, warnBefore: 90_000 })).rejects.toThrow(/option "warnBefore"/);
    await expect(appWith({} as never)).rejects.toThrow(/option "idleTimeout" is required/);
  });

  it('fails at start-up, naming it, when @fastify/session is not registered before it', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await expect(app.register(idleSession, { idleTimeout: 60_000 })).rejects.toThrow(/@fastify\/session/);
  });

  it('prints the WCAG 2.2 SC 2.2.1 warning once for a warning lead under 20 s', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await appWith({ idleTimeout: 6_000, warnBefore: 3_000 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/WCAG 2\.2 SC 2\.2\.1/);
  });
});

describe('the plugin in an app', () => {
  afterEach(() => vi.restoreAllMocks());

  it("answers its endpoints at the app's root with Fastify's own 404 handler, and guards with a preHandler", async () => {
    const app = await appWith({ idleTimeout: 60_000 });
    const status = await app.inject({ method: 'GET', url: '/idle-session/status' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ state: 'none' });
    expect(status.headers['cache-control']).toBe('no-store');
    const guarded = await app.inject({ method: 'GET', url: '/account', headers: { accept: 'text/html' } });
    expect(guarded.statusCode).toBe(303);
    expect(guarded.headers.location).toBe('/login?next=%2Faccount');
    const signIn = await app.inject({ method: 'POST', url: '/sign-in' });
    const cookie = signIn.cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
    expect(signIn.headers['set-cookie']).not.toMatch(/Expires|Max-Age/i); // a browser-session cookie
    expect((await app.inject({ method: 'GET', url: '/account', headers: { cookie } })).json()).toEqual({ ok: true });
    expect((await app.inject({ method: 'GET', url: '/idle-session/status', headers: { cookie } })).json()).toMatchObject({ state: 'active' });
  });

  it('warns once when the session cookie is Secure on a request over plain HTTP (@fastify/session then saves nothing)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = await appWith({ idleTimeout: 60_000 }, { secure: true });
    await app.inject({ method: 'POST', url: '/sign-in' });
    await app.inject({ method: 'POST', url: '/sign-in' });
    const secureWarnings = warn.mock.calls.filter(([message]) => /Secure but the request came over HTTP/.test(String(message)));
    expect(secureWarnings).toHaveLength(1);
  });

  it('treats a request outside the session cookie path as having no session: state none, never a 500', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const app = await appWith({ idleTimeout: 60_000 }, { secure: false, path: '/app' });
    const status = await app.inject({ method: 'GET', url: '/idle-session/status' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({ state: 'none' });
    expect((await app.inject({ method: 'POST', url: '/idle-session/keepalive', headers: { 'x-idle-session': '1' } })).statusCode).toBe(401);
    expect(warn.mock.calls.filter(([message]) => /without a @fastify\/session session/.test(String(message)))).toHaveLength(1);
  });
});

describe('types (the decorator and the hook are typed for apps)', () => {
  it('types fastify.idleSession, its preHandler and the request it takes', async () => {
    const app = await appWith({ idleTimeout: 60_000 });
    expectTypeOf(app.idleSession).toEqualTypeOf<FastifyIdleSession>();
    expectTypeOf(app.idleSession.requireSignIn()).toMatchTypeOf<preHandlerAsyncHookHandler>();
    expectTypeOf(app.idleSession.signIn).parameter(0).toEqualTypeOf<FastifyRequest>();
    expectTypeOf(app.idleSession.sessionSignal).returns.toEqualTypeOf<AbortSignal>();
    expectTypeOf(app.idleSession.policy.idleTimeout).toEqualTypeOf<number>();
    expect(app.idleSession.policy.idleTimeout).toBe(60_000);
  });
});

describe('found by trying to break it', () => {
  afterEach(() => vi.restoreAllMocks());

  /** @fastify/cookie and @fastify/session at the root, the plugin and a route inside a context under `prefix`. */
  async function mountedUnder(prefix: string): Promise<FastifyInstance> {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, rolling: false, cookie: { secure: false } });
    await app.register(
      async (inner) => {
        await inner.register(idleSession, { idleTimeout: 60_000 });
        inner.post('/sign-in', async (request) => (await inner.idleSession.signIn(request), { ok: true }));
      },
      { prefix },
    );
    return app;
  }

  it.each(['/app', '/app/', '/:tenant'])('answers its endpoints when registered under the prefix %s, without a not-found handler there', async (prefix) => {
    const app = await mountedUnder(prefix);
    const base = prefix === '/:tenant' ? '/acme' : '/app';
    const signIn = await app.inject({ method: 'POST', url: `${base}/sign-in` });
    const cookie = signIn.cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
    const status = await app.inject({ method: 'GET', url: `${base}/idle-session/status`, headers: { cookie } });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ state: 'active' });
    expect((await app.inject({ method: 'POST', url: `${base}/idle-session/keepalive`, headers: { cookie, 'x-idle-session': '1' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `${base}/idle-session/nothing` })).statusCode).toBe(404);
  });

  it("leaves the app's own cookie deletions alone, in its handlers, hooks and error handler", async () => {
    const app = await appWith({ idleTimeout: 60_000 });
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.cookies.flash) reply.clearCookie('flash');
      return payload;
    });
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    app.setErrorHandler(async (_error, _request, reply) => {
      reply.clearCookie('remember');
      return reply.code(500).send('error page');
    });
    expect((await app.inject({ method: 'GET', url: '/account', headers: { cookie: 'flash=Saved' } })).headers['set-cookie']).toMatch(/^flash=;/);
    expect((await app.inject({ method: 'GET', url: '/boom', headers: { cookie: 'remember=1' } })).headers['set-cookie']).toMatch(/^remember=;/);
    // …while @fastify/session's own deletion of a session cookie it cannot use is left out, as express-session does.
    expect((await app.inject({ method: 'GET', url: '/idle-session/status', headers: { cookie: 'sessionId=garbage' } })).headers['set-cookie']).toBeUndefined();
  });

  it('deletes the session cookie at sign-out after a secret rotation (a cookie signed with the older secret)', async () => {
    const older = 'an-older-secret-of-thirty-two-characters!';
    const app = Fastify();
    await app.register(fastifyCookie);
    const sessionStore = new (await import('express-session')).default.MemoryStore();
    await app.register(fastifySession, { secret: [SECRET, older], store: sessionStore as never, saveUninitialized: false, rolling: false, cookie: { secure: false } });
    await app.register(idleSession, { idleTimeout: 60_000 });
    app.post('/sign-in', async (request) => (await app.idleSession.signIn(request), { ok: true }));
    app.post('/sign-out', async (request) => (await app.idleSession.signOut(request), { ok: true }));
    const signIn = await app.inject({ method: 'POST', url: '/sign-in' });
    const { value } = signIn.cookies[0]!;
    // The same session id, signed with the older secret, as a browser from before the rotation carries it.
    const sessionId = value.slice(0, value.lastIndexOf('.'));
    const signer = new (await import('@fastify/cookie')).Signer(older);
    const signOut = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie: `sessionId=${signer.sign(sessionId)}` } });
    expect(signOut.headers['set-cookie']).toMatch(/^sessionId=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('works as an onRequest hook too, so a guarded upload of an expired or anonymous session is never read', async () => {
    const app = await appWith({ idleTimeout: 60_000 });
    let read = false;
    app.addContentTypeParser('application/octet-stream', async () => {
      read = true;
      return null;
    });
    app.post('/upload', { onRequest: app.idleSession.requireSignIn({ loginUrl: '/login' }) }, async () => ({ ok: true }));
    const answer = await app.inject({ method: 'POST', url: '/upload', headers: { 'content-type': 'application/octet-stream', accept: 'application/json' }, payload: Buffer.alloc(1024) });
    expect(answer.statusCode).toBe(401);
    expect(read).toBe(false);
  });

  it('aborts the signal of a response to a request with a body (a POST stream) when its session is signed out', async () => {
    const app = await appWith({ idleTimeout: 60_000 });
    app.post('/sign-out', async (request) => (await app.idleSession.signOut(request), { ok: true }));
    app.post('/stream', (request, reply) => {
      const signal = app.idleSession.sessionSignal(request);
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write(': open\n\n');
      signal.addEventListener('abort', () => reply.raw.end(`event: ended\ndata: ${(signal.reason as { reason: string }).reason}\n\n`), { once: true });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const cookie = (await fetch(`${base}/sign-in`, { method: 'POST' })).headers.getSetCookie()[0]!.split(';')[0]!;
      const stream = await fetch(`${base}/stream`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{"q":1}' });
      const reader = stream.body!.getReader();
      await reader.read(); // ': open', the request's body read by now
      await fetch(`${base}/sign-out`, { method: 'POST', headers: { cookie } });
      let text = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += new TextDecoder().decode(chunk.value);
      expect(text).toBe('event: ended\ndata: signed-out\n\n');
    } finally {
      await app.close();
    }
  });

  it('says so when registered twice in one context', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, cookie: { secure: false } });
    await app.register(idleSession, { idleTimeout: 60_000 });
    await expect(app.register(idleSession, { idleTimeout: 60_000 })).rejects.toThrow(/registered twice/);
  });
});

describe('preferSignedSessionCookie (a planted second session cookie)', () => {
  it('lets @fastify/session read the signed one, planted first or last; an unsigned one alone is no session', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(preferSignedSessionCookie, { secret: SECRET });
    await app.register(fastifySession, { secret: SECRET, saveUninitialized: false, rolling: false, cookie: { secure: false } });
    await app.register(idleSession, { idleTimeout: 60_000 });
    app.post('/sign-in', async (request) => (await app.idleSession.signIn(request), { ok: true }));
    const real = (await app.inject({ method: 'POST', url: '/sign-in' })).cookies.map(({ name, value }) => `${name}=${value}`).join('; ');
    const state = async (cookie: string) => (await app.inject({ method: 'GET', url: '/idle-session/status', headers: { cookie } })).json().state;
    expect(await state(`sessionId=planted; ${real}`)).toBe('active');
    expect(await state(`${real}; sessionId=planted`)).toBe('active');
    expect(await state('sessionId=planted; sessionId=also-planted')).toBe('none');
  });

  it('fails register without the secret', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await expect(app.register(preferSignedSessionCookie, {} as never)).rejects.toThrow(/secret/);
  });
});
