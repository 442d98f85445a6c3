import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { csrfTokenOf, formTokenOf, loginForm, nextCookie, postForm, signInWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Item 1: CSRF protection on every form of the sample app (csrf-sync on Express, koa-csrf on Koa,
// @fastify/csrf-protection on Fastify), the sign-in form included: its token belongs to the browser's pre-session (OWASP CSRF Prevention Cheat
// Sheet, "Login CSRF"), so another site cannot sign the user into the attacker's account. The forms posted
// after an expiry keep getting the expiry answer (csrf.test.ts).
const DEMO = { username: 'demo', password: 'demo' };

const formsOf = (page: string) => page.match(/<form\b[\s\S]*?<\/form>/g) ?? [];
const sessionCookieValue = (cookie: string) => /(?:^|;\s*)demo\.sid=([^;]*)/.exec(cookie)?.[1];

describe.each(FRAMEWORKS)('sample app: a CSRF token on every form, login CSRF refused (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20' });
  });
  afterAll(async () => server?.stop());

  it('every form of every page carries a CSRF token: sign-in, notes and sign-out', async () => {
    const login = await (await fetch(`${server.url}/login`)).text();
    const cookie = await signInWithFetch(server.url);
    const home = await (await fetch(`${server.url}/`, { headers: { cookie } })).text();
    expect(formsOf(login).map((form) => /action="([^"]+)"/.exec(form)?.[1])).toEqual(['/login']);
    expect(formsOf(home).map((form) => /action="([^"]+)"/.exec(form)?.[1])).toEqual(['/logout', '/notes']);
    for (const form of [...formsOf(login), ...formsOf(home)]) {
      expect(form).toMatch(/method="post"/);
      expect(form).toMatch(/<input type="hidden" name="_csrf" value="[^"]{20,}">/);
    }
  });

  it('refuses a sign-in without the token of the browser\'s own pre-session (login CSRF): 403, the form again, nobody signed in', async () => {
    // The attacker opened the login page in their own browser; the victim's browser opened it too (or not).
    const attacker = await loginForm(server.url);
    const victim = await loginForm(server.url);
    expect(victim.cookie).not.toBe(attacker.cookie);
    const forgeries: [string, string, Record<string, string>][] = [
      ['no cookie, no token (a cross-site form, no pre-session)', '', { ...DEMO }],
      ["the attacker's token, without its cookie", '', { _csrf: attacker.token, ...DEMO }],
      ["the victim's pre-session, no token", victim.cookie, { ...DEMO }],
      ["the victim's pre-session, the attacker's token", victim.cookie, { _csrf: attacker.token, ...DEMO }],
      ["the victim's pre-session, a token in the query instead of the form", victim.cookie, { ...DEMO }],
    ];
    for (const [what, cookie, fields] of forgeries) {
      const query = what.includes('query') ? `?_csrf=${encodeURIComponent(victim.token)}` : '';
      const answer = await postForm(server.url, `/login${query}`, cookie, fields);
      expect(answer.status, what).toBe(403);
      const page = await answer.text();
      expect(page, what).toContain('This sign-in form had expired. Please sign in again.');
      expect(formTokenOf(page), what).toBeTruthy(); // the form again, never a bare 403
      const after = nextCookie(cookie, answer);
      expect(await statusOf(server.url, after), what).toEqual({ state: 'none' });
    }
    // The victim's own form still works.
    const own = await postForm(server.url, '/login', victim.cookie, { _csrf: victim.token, ...DEMO });
    expect(own.status).toBe(303);
  });

  it('the pre-session is a browser-session cookie; the refused form comes back with a token that signs in; signing in gives a new session id and a new token', async () => {
    const form = await fetch(`${server.url}/login`);
    const setCookies = form.headers.getSetCookie();
    expect(setCookies.length).toBeGreaterThan(0);
    for (const header of setCookies) {
      expect(header).toMatch(/^demo\.sid(\.sig)?=/);
      expect(header).toMatch(/;\s*httponly/i);
      expect(header).toMatch(/;\s*samesite=lax/i);
      expect(header).not.toMatch(/;\s*(expires|max-age)=/i); // gone when the browser closes
    }
    const pre = nextCookie('', form);
    await form.text();
    const refused = await postForm(server.url, '/login', pre, { _csrf: 'a-stale-token', ...DEMO, next: '/?look=themed' });
    expect(refused.status).toBe(403);
    const page = await refused.text();
    expect(page).toContain('<input type="hidden" name="next" value="/?look=themed">');
    expect(page).toContain('value="demo"'); // the username stays
    const signedIn = await postForm(server.url, '/login', nextCookie(pre, refused), { _csrf: formTokenOf(page), ...DEMO, next: '/?look=themed' });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/?look=themed');
    const session = nextCookie(pre, signedIn);
    // Session fixation: the pre-session's id is not the signed-in session's, and names no session any more.
    expect(sessionCookieValue(session)).toBeTruthy();
    expect(sessionCookieValue(session)).not.toBe(sessionCookieValue(pre));
    expect(await statusOf(server.url, session)).toMatchObject({ state: 'active' });
    expect(await statusOf(server.url, pre)).toEqual({ state: 'none' });
    // The pre-session's token is worthless in the signed-in session; the session's own token works.
    expect((await postForm(server.url, '/notes', session, { _csrf: formTokenOf(page), notes: 'forged' })).status).toBe(403);
    expect((await postForm(server.url, '/notes', session, { _csrf: await csrfTokenOf(server.url, session), notes: 'mine' })).status).toBe(303);
  });
});
