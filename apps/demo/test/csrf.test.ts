import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { cookieOf, csrfTokenOf, signInWithFetch, startDemo, type DemoServer } from './server.js';

// Issue 9, item 4: the sample app's forms carry a CSRF token (csrf-sync on Express, koa-csrf on Koa,
// @fastify/csrf-protection on Fastify), and the guard comes before the check, so a form posted after an idle expiry gets the expiry answer, not a 403.
const IDLE_S = 2;


describe.each(FRAMEWORKS)('sample app with CSRF protection (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '1' });
  });
  afterAll(async () => server?.stop());

  const postNotes = (cookie: string, fields: Record<string, string>, accept = 'text/html') =>
    fetch(`${server.url}/notes`, {
      method: 'POST',
      headers: { cookie, accept, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
      redirect: 'manual',
    });

  it('a form with its token is saved; without it, 403; after an idle expiry, the old token gets the expiry answer, again and again', async () => {
    let cookie = await signInWithFetch(server.url);
    const token = await csrfTokenOf(server.url, cookie);
    const saved = await postNotes(cookie, { _csrf: token, notes: 'kept' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/');
    expect((await postNotes(cookie, { notes: 'forged' })).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1_000 + 1_000)); // past the idle deadline
    for (let attempt = 0; attempt < 2; attempt++) {
      const expired = await postNotes(cookie, { _csrf: token, notes: 'typed after the deadline' });
      expect(expired.status).toBe(303);
      expect(expired.headers.get('location')).toBe('/login?reason=idle');
      const fresh = cookieOf(expired);
      if (fresh) cookie = fresh; // the browser keeps the fresh session that remembers why
    }
    const data = await postNotes(cookie, { _csrf: token }, 'application/json');
    expect(data.status).toBe(401);
    expect(await data.json()).toEqual({ state: 'expired', reason: 'idle' });
    const login = await fetch(`${server.url}/login?reason=idle`, { headers: { cookie } });
    expect(login.status).toBe(200);
    expect(await login.text()).toMatch(/signed out after 2 seconds of inactivity/);
  });
});
