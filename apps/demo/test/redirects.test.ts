import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { cookieOf, postLogin, signOutWithFetch, startDemo, type DemoServer } from './server.js';

// Issue 11, item 2, for the sample app's own redirects: every 303 (after signing in, saving notes, signing
// out, and the guard's) is the same answer on Express, Koa and Fastify: Location, no body, no Content-Type,
// no Vary. Express's res.redirect and Koa's ctx.redirect each write their own "Redirecting to" text.
type Shape = { status: number; location: string | null; contentType: string | null; vary: string | null; length: string | null; body: string };

async function shape(response: Response): Promise<Shape> {
  const { headers } = response;
  return { status: response.status, location: headers.get('location'), contentType: headers.get('content-type'), vary: headers.get('vary'), length: headers.get('content-length'), body: await response.text() };
}

const servers: Record<string, DemoServer> = {};
beforeAll(async () => {
  for (const framework of FRAMEWORKS) servers[framework] = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '600', WARN_BEFORE: '60' });
});
afterAll(async () => {
  for (const server of Object.values(servers)) await server.stop();
});

describe('sample app: its own redirects are one answer on every framework', () => {
  it('after signing in (with Accept: text/html and without), after signing out, and from the guard', async () => {
    const seen: Record<string, Shape[]> = {};
    for (const [framework, server] of Object.entries(servers)) {
      const answers: Shape[] = [];
      for (const accept of [{}, { accept: 'text/html' }] as Record<string, string>[]) {
        const signedIn = await postLogin(server.url, accept);
        answers.push(await shape(signedIn));
        const cookie = cookieOf(signedIn);
        answers.push(await shape(await signOutWithFetch(server.url, cookie)));
      }
      answers.push(await shape(await fetch(`${server.url}/`, { headers: { accept: 'text/html' }, redirect: 'manual' })));
      seen[framework] = answers;
    }
    for (const answer of seen.express!) expect(answer).toMatchObject({ status: 303, contentType: null, vary: null, length: '0', body: '' });
    for (const framework of FRAMEWORKS) expect(seen[framework], framework).toEqual(seen.express);
  });
});
