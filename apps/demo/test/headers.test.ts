import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { csrfTokenOf, loginForm, postForm, signInWithFetch, startDemo, type DemoServer } from './server.js';

// Item 3: helmet (Express), koa-helmet (Koa) and @fastify/helmet (Fastify), configured alike
// (src/security.ts), with a strict Content-Security-Policy: every framework sends the same security headers on every page.

/** Every header helmet sets or removes, and the page cache header. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-powered-by',
  'x-xss-protection',
  'cache-control',
];

/** The same requests of a visitor, made against one server: the answers whose headers are compared. */
async function visit(url: string): Promise<[string, Response][]> {
  const cookie = await signInWithFetch(url);
  const form = await loginForm(url);
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${url}${path}`, { headers, redirect: 'manual' });
  return [
    ['GET /login', await get('/login')],
    ['GET / (signed in)', await get('/', { cookie })],
    ['GET / (not signed in: the redirect)', await get('/')],
    ['GET /assets/demo.css', await get('/assets/demo.css')],
    ['GET /assets/idle-session-warning.js', await get('/assets/idle-session-warning.js')],
    ['HEAD /assets/idle-session-check-tabs.js', await fetch(`${url}/assets/idle-session-check-tabs.js`, { method: 'HEAD' })],
    ['GET /nowhere (404)', await get('/nowhere')],
    ['GET /idle-session/status', await get('/idle-session/status', { cookie })],
    ['POST /login, wrong password (401)', await postForm(url, '/login', form.cookie, { _csrf: form.token, username: 'demo', password: 'wrong' })],
    ['POST /login, no token (403)', await postForm(url, '/login', '', { username: 'demo', password: 'demo' })],
    ['POST /notes, no token (403)', await postForm(url, '/notes', cookie, { notes: 'x' })],
    ['POST /notes (303)', await postForm(url, '/notes', cookie, { _csrf: await csrfTokenOf(url, cookie), notes: 'x' })],
    ['POST /login, gzip that is not (400)', await postForm(url, '/login', '', {}, { 'content-encoding': 'gzip' })],
  ];
}

describe('sample app security headers: the same on Express, Koa and Fastify', () => {
  const servers: Partial<Record<(typeof FRAMEWORKS)[number], DemoServer>> = {};
  beforeAll(async () => {
    for (const framework of FRAMEWORKS) servers[framework] = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20' });
  });
  afterAll(async () => Promise.all(Object.values(servers).map((server) => server.stop())));

  it('sends every security header identically, header by header, for the same requests', async () => {
    const [express, ...others] = await Promise.all(FRAMEWORKS.map((framework) => visit(servers[framework]!.url)));
    for (const [i, other] of others.entries()) {
      const framework = FRAMEWORKS[i + 1];
      expect(other.map(([what, answer]) => `${what}: ${answer.status}`), framework).toEqual(express!.map(([what, answer]) => `${what}: ${answer.status}`));
      for (const [index, [what, onExpress]] of express!.entries()) {
        const onOther = other[index]![1];
        for (const name of SECURITY_HEADERS) expect(onOther.headers.get(name), `${framework}: ${what}: ${name}`).toBe(onExpress.headers.get(name));
      }
    }
    for (const [what, onExpress] of express!) {
      expect(onExpress.headers.get('content-security-policy'), what).toBeTruthy();
      expect(onExpress.headers.get('x-powered-by'), what).toBeNull();
    }
  });
});

describe.each(FRAMEWORKS)('sample app security headers (%s)', (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20' });
  });
  afterAll(async () => server?.stop());

  it('a strict Content-Security-Policy (no inline script or style, nothing from elsewhere, no framing), Cross-Origin-Resource-Policy and helmet\'s other headers', async () => {
    const answer = await fetch(`${server.url}/login`);
    const csp = Object.fromEntries(
      (answer.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(csp).toEqual({
      'default-src': ["'none'"],
      'base-uri': ["'none'"],
      'connect-src': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'img-src': ["'self'", 'data:'],
      'object-src': ["'none'"],
      'script-src': ["'self'"],
      'script-src-attr': ["'none'"],
      'style-src': ["'self'"],
    });
    expect(Object.fromEntries(SECURITY_HEADERS.map((name) => [name, answer.headers.get(name)]))).toMatchObject({
      'cross-origin-resource-policy': 'same-origin',
      'cross-origin-opener-policy': 'same-origin',
      'referrer-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-powered-by': null,
      'cache-control': 'no-store',
    });
  });

  it('the pages need nothing the policy forbids: no inline script, no style or event-handler attributes, only scripts and styles of this site', async () => {
    const cookie = await signInWithFetch(server.url);
    const pages = [
      await (await fetch(`${server.url}/login`)).text(),
      await (await fetch(`${server.url}/`, { headers: { cookie } })).text(),
      await (await fetch(`${server.url}/?look=themed`, { headers: { cookie } })).text(),
      await (await fetch(`${server.url}/nowhere`)).text(),
    ];
    for (const page of pages) {
      for (const script of page.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? []) expect(script).toMatch(/^<script type="module" src="\/assets\/[^"]+"><\/script>$/);
      expect(page).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
      for (const [, href] of page.matchAll(/<link\b[^>]*href="([^"]*)"/g)) expect(href).toMatch(/^(\/assets\/|data:,$)/);
    }
  });
});
