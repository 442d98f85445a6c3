import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { cookieOf, postLogin, startDemo, type DemoServer } from './server.js';

// Issue 9, item 5: the sample app behind a TLS-terminating proxy, which talks plain HTTP to it and says
// `X-Forwarded-Proto: https`.
const HTTPS = { 'x-forwarded-proto': 'https' };
const IDLE_S = 2;



describe.each(FRAMEWORKS)('sample app behind a TLS-terminating proxy (%s)', (framework) => {
  let trusted: DemoServer;
  let untrusted: DemoServer;

  beforeAll(async () => {
    const env = { FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '1' };
    [trusted, untrusted] = await Promise.all([startDemo({ ...env, TRUST_PROXY: '1' }), startDemo(env)]);
  });
  afterAll(async () => Promise.all([trusted?.stop(), untrusted?.stop()]));

  it('with TRUST_PROXY=1, every session cookie of an HTTPS request is a __Host- cookie with Secure, HttpOnly and SameSite=Lax, the pre-session\'s and any after an expiry too; plain HTTP keeps demo.sid', async () => {
    const form = await fetch(`${trusted.url}/login`, { headers: HTTPS });
    const cookies = [...form.headers.getSetCookie()];
    const signedIn = await postLogin(trusted.url, HTTPS);
    expect(signedIn.status).toBe(303);
    cookies.push(...signedIn.headers.getSetCookie());
    expect(signedIn.headers.getSetCookie().length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1_000 + 1_000)); // past the idle deadline
    const expired = await fetch(`${trusted.url}/`, { headers: { ...HTTPS, cookie: cookieOf(signedIn) }, redirect: 'manual' });
    expect(expired.status).toBe(303);
    expect(expired.headers.get('location')).toBe('/login?reason=idle&next=%2F');
    cookies.push(...expired.headers.getSetCookie()); // a fresh session that remembers why, where the adapter makes one
    for (const header of cookies) {
      // A __Host- cookie: browsers accept it only with Secure, Path=/ and no Domain, and no subdomain can plant one.
      expect(header).toMatch(/^__Host-demo\.sid(\.sig)?=/);
      expect(header).toMatch(/;\s*secure/i);
      expect(header).toMatch(/;\s*path=\/(;|$)/i);
      expect(header).not.toMatch(/;\s*domain=/i);
      expect(header).toMatch(/;\s*httponly/i);
      expect(header).toMatch(/;\s*samesite=lax/i);
      expect(header).not.toMatch(/;\s*(expires|max-age)=/i);
    }
    // Plain HTTP to the same app (no proxy header): a working session under the plain name, without Secure
    // (browsers refuse a __Host- cookie without it).
    const plain = await postLogin(trusted.url, {});
    expect(plain.status).toBe(303);
    expect(plain.headers.getSetCookie().length).toBeGreaterThan(0);
    for (const header of plain.headers.getSetCookie()) {
      expect(header).toMatch(/^demo\.sid(\.sig)?=/);
      expect(header).not.toMatch(/;\s*secure/i);
    }
    const status = await fetch(`${trusted.url}/idle-session/status`, { headers: { cookie: cookieOf(plain) } });
    expect(await status.json()).toMatchObject({ state: 'active' });
    // The HTTPS session's cookie is not the plain-HTTP session's: over plain HTTP it names no session.
    const over = await fetch(`${trusted.url}/idle-session/status`, { headers: { cookie: cookieOf(signedIn).replaceAll('__Host-', '') } });
    expect(await over.json()).toEqual({ state: 'none' });
  });

  it('without TRUST_PROXY, the cookie of an HTTPS sign-in has no Secure, and the app says once what to do', async () => {
    for (let i = 0; i < 2; i++) {
      const signedIn = await postLogin(untrusted.url, HTTPS);
      expect(signedIn.status).toBe(303);
      for (const header of signedIn.headers.getSetCookie()) expect(header).not.toMatch(/;\s*secure/i);
    }
    expect(untrusted.output().match(/goes out without the Secure attribute/g)).toHaveLength(1);
    expect(untrusted.output()).toMatch(/trust the proxy/);
  });
});
