import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { loginForm, signInWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Item 4: every framework answers bad bodies, asset requests, HEAD requests and letter-case variants alike;
// no client input produces a 5xx; asset requests never count as activity.
const FORM = 'application/x-www-form-urlencoded';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One raw request (node:http, so that any header, such as Content-Encoding, and the path go out as given, `..` included). */
function send(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Requests no browser of the app would send, and what each must get (the same on every framework). */
const BAD_REQUESTS: [what: string, method: string, path: string, headers: Record<string, string>, body: string | Buffer | undefined, status: number][] = [
  ['a corrupt gzip body', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'gzip' }, 'not gzip at all', 400],
  ['a corrupt deflate body', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'deflate' }, 'not deflate', 400],
  ['a corrupt brotli body', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'br' }, 'not brotli', 400],
  ['a truncated gzip body', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'gzip' }, gzipSync('username=demo&password=demo').subarray(0, 12), 400],
  ['an unknown Content-Encoding', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'compress' }, 'x=1', 415],
  ['charset=koi8-r', 'POST', '/login', { 'content-type': `${FORM}; charset=koi8-r` }, 'username=demo', 415],
  ['charset=iso-8859-1', 'POST', '/login', { 'content-type': `${FORM}; charset=iso-8859-1` }, 'username=demo', 415],
  ['charset=utf8 (not a charset name)', 'POST', '/login', { 'content-type': `${FORM}; charset=utf8` }, 'username=demo', 415],
  ['a charset nobody knows', 'POST', '/login', { 'content-type': `${FORM}; charset="x-nonsense"` }, 'username=demo', 415],
  ['koi8-r on the notes form, not signed in (the guard answers first)', 'POST', '/notes', { 'content-type': `${FORM}; charset=koi8-r` }, 'notes=x', 303],
  ['a body over the limit', 'POST', '/login', { 'content-type': FORM }, `username=${'a'.repeat(8_000)}`, 413],
  ['broken percent-encoding', 'POST', '/login', { 'content-type': FORM }, 'username=%E0%A4%A&password=%&_csrf=%ZZ', 403],
  ['a JSON body to a form', 'POST', '/login', { 'content-type': 'application/json' }, '{"username":"demo","password":"demo"}', 403],
  ['a malformed Content-Type', 'POST', '/login', { 'content-type': `${FORM}; charset` }, 'username=demo', 403],
  ['a gzip body of a form without its token', 'POST', '/login', { 'content-type': FORM, 'content-encoding': 'gzip' }, gzipSync('username=demo&password=demo'), 403],
  ['a session cookie that is not one', 'GET', '/', { cookie: 'demo.sid=%E0%A4%A; demo.sid.sig=%' }, undefined, 303],
  ['a forged signed cookie', 'GET', '/idle-session/status', { cookie: 'demo.sid=s%3Anope.nope; demo.sid.sig=nope' }, undefined, 200],
  ['a broken path', 'GET', '/%E0%A4%A', {}, undefined, 404],
  ['a broken query', 'GET', '/login?next=%E0%A4%A&reason[]=idle&look[x]=1', {}, undefined, 200],
  ['PUT on a page', 'PUT', '/login', { 'content-type': FORM }, 'x=1', 404],
  ['DELETE on an asset', 'DELETE', '/assets/demo.css', {}, undefined, 404],
  ['an asset in capitals', 'GET', '/ASSETS/demo.css', {}, undefined, 404],
  ['an asset with a trailing slash', 'GET', '/assets/demo.css/', {}, undefined, 404],
  ['an asset percent-encoded', 'GET', '/assets/%64emo.css', {}, undefined, 404],
  ['an asset up a folder', 'GET', '/assets/../assets/demo.css', {}, undefined, 404],
  ['an asset that is not there', 'GET', '/assets/chunks/nothing.js', {}, undefined, 404],
  ['HEAD of the status endpoint', 'HEAD', '/idle-session/status', {}, undefined, 200],
  ['HEAD of the login page', 'HEAD', '/login', {}, undefined, 200],
  ['HEAD of a protected page', 'HEAD', '/', {}, undefined, 303],
  ['sign-out without a session', 'POST', '/logout', { 'content-type': FORM }, '_csrf=x', 303],
];

/** Every asset the pages load, by their own markup, and the chunks the element loads on demand. */
const ASSETS = ['/assets/demo.css', '/assets/clock.js', '/assets/idle-session-warning.js', '/assets/idle-session-check-tabs.js'];

describe('sample app: bad bodies, assets and HEAD answered alike by Express, Koa and Fastify', () => {
  const servers: Partial<Record<(typeof FRAMEWORKS)[number], DemoServer>> = {};
  beforeAll(async () => {
    for (const framework of FRAMEWORKS) servers[framework] = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '60', WARN_BEFORE: '20' });
  });
  afterAll(async () => Promise.all(Object.values(servers).map((server) => server.stop())));

  it.each(BAD_REQUESTS)('%s: the same 4xx (or page) on every framework, never a 5xx', async (_what, method, path, headers, body, status) => {
    for (const framework of FRAMEWORKS) {
      const answer = await send(servers[framework]!.url, method, path, headers, body);
      expect(answer.status, framework).toBe(status);
    }
  });

  it('signed in, the notes and sign-out forms refuse the same bodies alike, and the session stays', async () => {
    for (const framework of FRAMEWORKS) {
      const { url } = servers[framework]!;
      const cookie = await signInWithFetch(url);
      for (const path of ['/notes', '/logout']) {
        const koi8 = await send(url, 'POST', path, { cookie, 'content-type': `${FORM}; charset=koi8-r` }, 'notes=x');
        expect(koi8.status, `${framework} ${path}`).toBe(415);
        const gzip = await send(url, 'POST', path, { cookie, 'content-type': FORM, 'content-encoding': 'gzip' }, 'not gzip');
        expect(gzip.status, `${framework} ${path}`).toBe(400);
      }
      expect(await statusOf(url, cookie), framework).toMatchObject({ state: 'active' });
    }
  });

  it('a sign-in with a valid gzip body is read like a plain one', async () => {
    for (const framework of FRAMEWORKS) {
      const { url } = servers[framework]!;
      const { cookie, token } = await loginForm(url);
      const body = gzipSync(new URLSearchParams({ _csrf: token, username: 'demo', password: 'demo' }).toString());
      const answer = await send(url, 'POST', '/login', { cookie, 'content-type': FORM, 'content-encoding': 'gzip' }, body);
      expect(answer.status, framework).toBe(303);
    }
  });

  it('GET, HEAD and If-None-Match of every asset and chunk: the same status and headers on every framework; HEAD without a body', async () => {
    const bundle = (await (await fetch(`${servers.express!.url}/assets/idle-session-warning.js`)).text());
    const chunks = [...bundle.matchAll(/["'`]\.\/chunks\/([\w.-]+\.js)["'`]/g)].map(([, name]) => `/assets/chunks/${name}`);
    expect(chunks.length).toBeGreaterThan(0);
    const compared = ['content-type', 'content-length', 'etag', 'cache-control', 'cross-origin-resource-policy', 'x-content-type-options'];
    for (const path of [...ASSETS, ...chunks]) {
      const answers = await Promise.all(
        FRAMEWORKS.map(async (framework) => {
          const { url } = servers[framework]!;
          const get = await send(url, 'GET', path);
          const head = await send(url, 'HEAD', path);
          const cached = await send(url, 'GET', path, { 'if-none-match': String(get.headers.etag) });
          return { get, head, cached };
        }),
      );
      const [express, ...others] = answers as [(typeof answers)[number], ...(typeof answers)[number][]];
      expect(express.get.status, path).toBe(200);
      expect(express.get.body.length, path).toBe(Number(express.get.headers['content-length']));
      expect(express.get.headers['content-type'], path).toMatch(path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      for (const [index, other] of others.entries()) {
        const framework = FRAMEWORKS[index + 1];
        for (const [name, answer] of Object.entries(express)) {
          const theirs = other[name as keyof typeof other];
          expect(theirs.status, `${framework}: ${name} ${path}`).toBe(answer.status);
          expect(theirs.body.equals(answer.body), `${framework}: ${name} ${path}`).toBe(true);
          for (const header of compared) expect(theirs.headers[header], `${framework}: ${name} ${path}: ${header}`).toEqual(answer.headers[header]);
        }
      }
      for (const { get, head, cached } of answers) {
        expect(head.status, path).toBe(200);
        expect(head.body.length, path).toBe(0);
        for (const header of compared) expect(head.headers[header], `HEAD ${path}: ${header}`).toEqual(get.headers[header]);
        expect(cached.status, path).toBe(304);
        expect(cached.body.length, path).toBe(0);
      }
    }
  });

  it('no request above made either server log an error', () => {
    for (const framework of FRAMEWORKS) expect(servers[framework]!.output(), framework).not.toMatch(/Error|error:/);
  });
});

describe.each(FRAMEWORKS)('sample app: asset requests are never activity (%s)', (framework) => {
  const IDLE_S = 20;
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '10' });
  });
  afterAll(async () => server?.stop());

  it('fetching the assets with the session cookie (GET, HEAD, revalidation, case variants, missing chunks) leaves the idle deadline where it was; a page moves it', async () => {
    const cookie = await signInWithFetch(server.url);
    const idleRemaining = async () => {
      const status = await statusOf(server.url, cookie);
      expect(status).toMatchObject({ state: 'active' });
      return status.idleRemainingMs as number;
    };
    // Wait, by the server's own answers, until activity now would move the deadline: the session's last
    // write is more than touchInterval (IDLE_S / 20) old.
    const touchIntervalMs = (IDLE_S * 1_000) / 20;
    await expect.poll(idleRemaining, { interval: 100 }).toBeLessThan(IDLE_S * 1_000 - 2 * touchIntervalMs);
    const before = await idleRemaining();
    const bundle = await (await fetch(`${server.url}/assets/idle-session-warning.js`, { headers: { cookie } })).text();
    const chunks = [...bundle.matchAll(/["'`]\.\/chunks\/([\w.-]+\.js)["'`]/g)].map(([, name]) => `/assets/chunks/${name}`);
    for (const path of [...ASSETS, ...chunks, '/ASSETS/demo.css', '/Assets/clock.js', '/assets/chunks/gone-ABCDEF.js', '/assets/demo.css/']) {
      for (const method of ['GET', 'HEAD']) {
        const answer = await send(server.url, method, path, { cookie, 'sec-fetch-dest': path.endsWith('.css') ? 'style' : 'script' });
        expect([200, 404], `${method} ${path}`).toContain(answer.status);
      }
      await send(server.url, 'GET', path, { cookie, 'if-none-match': '*' });
    }
    const after = await idleRemaining();
    expect(after).toBeLessThanOrEqual(before); // not moved later: no asset request counted as activity
    // The same test sees activity: a page request moves the deadline later.
    expect((await fetch(`${server.url}/`, { headers: { cookie } })).status).toBe(200);
    expect(await idleRemaining()).toBeGreaterThan(before);
  });
});
