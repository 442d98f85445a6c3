import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { addressKey, SIGN_IN_LIMITS } from '../src/throttle.js';
import { loginForm, nextCookie, postForm, startDemo, statusOf, type DemoServer } from './server.js';

// Item 7: sign-in throttling (OWASP Authentication Cheat Sheet) with rate-limiter-flexible: failed attempts
// are limited per username and client address, and per client address; a limited attempt gets 429 with
// Retry-After and the login page saying how long to wait; a successful sign-in forgets the username's failures.
// The app runs behind a (pretend) TLS-terminating proxy, TRUST_PROXY=1, so each test is its own client
// address (X-Forwarded-For): the address the limits count by is the one the trusted proxy reports.
const PER_USER = SIGN_IN_LIMITS.perUsernameAndAddress.points;
const PER_ADDRESS = SIGN_IN_LIMITS.perAddress.points;

describe('sign-in throttling: the client address a limit counts by', () => {
  it('IPv4 as it is, IPv4-mapped IPv6 as IPv4, IPv6 by its /64 network', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:1:2::99')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('1:2:3::4:5:6.7.8.9')).toBe('1:2:3:0::/64');
    expect(addressKey('')).toBe('');
  });
});

describe.each(FRAMEWORKS)('sample app: sign-in throttling (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20', TRUST_PROXY: '1' });
  });
  afterAll(async () => server?.stop());

  /** A browser at `address` with the login page open: signs in with `password` (as `username`), keeping its cookies and the form's fresh token. */
  async function browserAt(address: string) {
    const headers = { 'x-forwarded-for': address };
    let { cookie, token } = await loginForm(server.url, headers);
    return {
      headers,
      get cookie() {
        return cookie;
      },
      async signIn(password: string, username = 'demo') {
        const answer = await postForm(server.url, '/login', cookie, { _csrf: token, username, password }, headers);
        cookie = nextCookie(cookie, answer);
        const page = answer.status === 303 ? '' : await answer.text();
        if (answer.status === 303) ({ cookie, token } = await loginFormAfterSignIn(cookie, headers));
        return { status: answer.status, retryAfter: answer.headers.get('retry-after'), page };
      },
    };
  }

  /** After a sign-in the browser has a new session: signing out is not needed to get a login page of it (the home page's token is the session's). */
  async function loginFormAfterSignIn(cookie: string, headers: Record<string, string>) {
    const home = await (await fetch(`${server.url}/`, { headers: { ...headers, cookie } })).text();
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(home)?.[1] ?? '';
    return { cookie, token };
  }

  it(`after ${PER_USER} failed attempts for a username from one address, the next is refused with 429, Retry-After and the page saying to wait, even with the right password`, async () => {
    const browser = await browserAt('198.51.100.1');
    for (let i = 0; i < PER_USER; i++) expect((await browser.signIn('wrong')).status, `attempt ${i + 1}`).toBe(401);
    const refused = await browser.signIn('demo');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.retryAfter);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(SIGN_IN_LIMITS.perUsernameAndAddress.blockDuration);
    expect(refused.page).toContain('Too many failed sign-in attempts. For your security, please wait 15 minutes before you try again.');
    expect(refused.page).toContain('<input type="hidden" name="_csrf"'); // the form, to try again later
    expect(refused.page).toContain('value="demo"');
    expect(await statusOf(server.url, browser.cookie, browser.headers)).toEqual({ state: 'none' });
    // And again, as often as the user retries: refused attempts check no password, so they are no failures
    // for the address's limit either.
    for (let i = 0; i < PER_ADDRESS; i++) expect((await browser.signIn('demo')).status).toBe(429);
    // Another username from the same address, and the same username from another address, are not limited.
    expect((await browser.signIn('wrong', 'someone-else')).status).toBe(401);
    const elsewhere = await browserAt('198.51.100.2');
    expect((await elsewhere.signIn('demo')).status).toBe(303);
  });

  it('a successful sign-in forgets the failures of the username', async () => {
    const browser = await browserAt('198.51.100.3');
    for (let i = 0; i < PER_USER - 1; i++) expect((await browser.signIn('wrong')).status).toBe(401);
    expect((await browser.signIn('demo')).status).toBe(303);
    // Counting from zero again: as many failures as the limit allows, then the refusal.
    for (let i = 0; i < PER_USER; i++) expect((await browser.signIn('wrong')).status, `attempt ${i + 1} after the sign-in`).toBe(401);
    expect((await browser.signIn('demo')).status).toBe(429);
  });

  it(`after ${PER_ADDRESS} failed attempts from one address, whatever the usernames, every attempt from it is refused`, async () => {
    const browser = await browserAt('198.51.100.4');
    for (let i = 0; i < PER_ADDRESS; i++) expect((await browser.signIn('wrong', `user${i}`)).status, `attempt ${i + 1}`).toBe(401);
    const refused = await browser.signIn('demo');
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(SIGN_IN_LIMITS.perUsernameAndAddress.blockDuration); // the address's hour, not a username's 15 minutes
    expect(refused.page).toContain('please wait 1 hour before you try again.');
    // Another address is not limited.
    expect((await (await browserAt('198.51.100.5')).signIn('demo')).status).toBe(303);
  });

  it('parallel attempts cannot get past the limit together', async () => {
    const browser = await browserAt('198.51.100.6');
    const { cookie, token } = await loginForm(server.url, browser.headers);
    const answers = await Promise.all(
      Array.from({ length: PER_USER * 3 }, () => postForm(server.url, '/login', cookie, { _csrf: token, username: 'demo', password: 'wrong' }, browser.headers)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(PER_USER);
    expect(statuses.filter((status) => status === 429)).toHaveLength(PER_USER * 2);
  });
});
