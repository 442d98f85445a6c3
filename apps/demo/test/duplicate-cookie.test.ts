import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { signInWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Issue 11, item 5: a second cookie with the session cookie's name (planted from a sibling subdomain, or
// sent first because of a longer path) must not sign the user out, on any framework: not by hiding the
// real session, and not by making the server delete the real cookie (koa-session did, even on the status
// endpoint, through the cookies library's reaction to a signature that does not match).
describe.each(FRAMEWORKS)('sample app: a planted second session cookie (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '600', WARN_BEFORE: '60' });
  });
  afterAll(async () => server?.stop());

  it('never deletes the real session cookie, and the real session is still found (planted first or last)', async () => {
    const cookie = await signInWithFetch(server.url);
    const name = cookie.split('=', 1)[0]!;
    for (const sent of [`${name}=planted; ${cookie}`, `${cookie}; ${name}=planted`, `${name}.sig=planted; ${cookie}`]) {
      const response = await fetch(`${server.url}/idle-session/status`, { headers: { cookie: sent } });
      expect(response.status, sent).toBe(200);
      const deletions = response.headers.getSetCookie().filter((header) => header.startsWith(`${name}`) && /expires=Thu, 01 Jan 1970/i.test(header));
      expect(deletions, sent).toEqual([]);
      // The real session is found on all three: koa-session through safeExternalKey, express-session and
      // @fastify/session through preferSignedSessionCookie (they read only the first cookie of the name).
      expect(((await response.json()) as { state: string }).state, sent).toBe('active');
    }
    expect((await statusOf(server.url, cookie)).state).toBe('active');
  });
});
