import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { formTokenOf, nextCookie, postForm, signInWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Item 5: after an expiry, the login page keeps saying why the user was signed out, also after a failed
// sign-in attempt (the session remembers the reason: idle.endedReason()), not only on the first view.
const IDLE_S = 2;
const NOTICE = /<p class="notice" role="status" id="expiry-reason">You were signed out after 2 seconds of inactivity/;

describe.each(FRAMEWORKS)('sample app: the expiry notice survives failed sign-in attempts (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '1' });
  });
  afterAll(async () => server?.stop());

  it('a wrong password, and a stale form, after an idle expiry: the error and "You were signed out after …" both, until a sign-in', async () => {
    let cookie = await signInWithFetch(server.url);
    // The page's own question at the deadline, as the element asks it (its browser keeping what the answer
    // sets): expired, by the server's clock.
    const ask = async () => {
      const answer = await fetch(`${server.url}/idle-session/status`, { headers: { cookie } });
      cookie = nextCookie(cookie, answer);
      return answer.json();
    };
    await expect.poll(ask, { interval: 250 }).toEqual({ state: 'expired', reason: 'idle' });
    const guard = await fetch(`${server.url}/`, { headers: { cookie }, redirect: 'manual' });
    expect(guard.headers.get('location')).toBe('/login?reason=idle&next=%2F');
    cookie = nextCookie(cookie, guard);
    // The login page as the browser follows the redirect, and then without ?reason= (a reload, a bookmark).
    for (const path of ['/login?reason=idle&next=%2F', '/login']) {
      const login = await fetch(`${server.url}${path}`, { headers: { cookie } });
      cookie = nextCookie(cookie, login);
      const page = await login.text();
      expect(page, path).toMatch(NOTICE);
      // A wrong password: 401 with the error, and the notice still there (no ?reason= in a form post).
      const wrong = await postForm(server.url, '/login', cookie, { _csrf: formTokenOf(page), username: 'demo', password: 'wrong' });
      expect(wrong.status).toBe(401);
      const answer = await wrong.text();
      expect(answer).toContain('Incorrect username or password.');
      expect(answer).toMatch(NOTICE);
      // A stale form: 403 with its error, and the notice.
      const stale = await postForm(server.url, '/login', cookie, { _csrf: 'stale', username: 'demo', password: 'demo' });
      expect(stale.status).toBe(403);
      const again = await stale.text();
      expect(again).toContain('This sign-in form had expired.');
      expect(again).toMatch(NOTICE);
      // And the form it gave signs in; after that, nothing of the old reason is said.
      if (path === '/login') {
        const signedIn = await postForm(server.url, '/login', cookie, { _csrf: formTokenOf(again), username: 'demo', password: 'demo' });
        expect(signedIn.status).toBe(303);
        cookie = nextCookie(cookie, signedIn);
        expect(await statusOf(server.url, cookie)).toMatchObject({ state: 'active' });
      }
    }
  });
});
