import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { idleSession, IdlePolicyError, type FastifyIdleSession, type FastifyIdleSessionOptions } from '../src/index.js';

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
