import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The built sample app, started as `pnpm start` starts it, on a free port. */
export interface DemoServer {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `node dist/main.js` with the given environment (seconds) and waits for its "listening" line. */
export function startDemo(env: Record<string, string>): Promise<DemoServer> {
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start within 15 s:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1] as string,
        output: () => output,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with code ${code} before listening:\n${output}`));
    });
  });
}

/** The CSRF token of the signed-in home page (its `<meta name="csrf-token">`), as a form would send it. */
export async function csrfTokenOf(url: string, cookie: string): Promise<string> {
  const page = await (await fetch(`${url}/`, { headers: { cookie } })).text();
  const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
  if (!token) throw new Error(`no CSRF token on the home page:\n${page.slice(0, 500)}`);
  return token;
}

/** The CSRF token of a page's form (its hidden `_csrf` field). */
export function formTokenOf(page: string): string {
  const token = /<input type="hidden" name="_csrf" value="([^"]+)">/.exec(page)?.[1];
  if (!token) throw new Error(`no CSRF token in the page's form:\n${page.slice(0, 500)}`);
  return token;
}

/**
 * The sign-in form as a browser gets it (`GET /login`, with `headers`, such as a proxy's or a `cookie`):
 * the `Cookie` header of the pre-session it belongs to (the one the browser had, or the one the page set),
 * and the form's CSRF token.
 */
export async function loginForm(url: string, headers: Record<string, string> = {}): Promise<{ cookie: string; token: string }> {
  const response = await fetch(`${url}/login`, { headers, redirect: 'manual' });
  if (response.status !== 200) throw new Error(`GET /login answered ${response.status}, not 200`);
  const token = formTokenOf(await response.text());
  return { cookie: cookieOf(response) || headers.cookie || '', token };
}

/**
 * Signs in as a browser does, without following the redirect: gets the sign-in form (with `headers`, such as
 * a proxy's), and posts it with its pre-session cookie and token, as `fields` (default demo/demo).
 */
export async function postLogin(url: string, headers: Record<string, string> = {}, fields: Record<string, string> = { username: 'demo', password: 'demo' }): Promise<Response> {
  const { cookie, token } = await loginForm(url, headers);
  return fetch(`${url}/login`, {
    method: 'POST',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, ...fields }).toString(),
    redirect: 'manual',
  });
}

/** The `Cookie` header a browser would send after this answer's `Set-Cookie` headers. */
export function cookieOf(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';', 1)[0])
    .join('; ');
}

/** Signs in as demo/demo with `fetch` and returns the session's `Cookie` header. */
export async function signInWithFetch(url: string): Promise<string> {
  const response = await postLogin(url);
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}, not 303`);
  return cookieOf(response);
}

/** Posts the page's own sign-out form (`POST /logout` with the home page's CSRF token), without following the redirect. */
export async function signOutWithFetch(url: string, cookie: string): Promise<Response> {
  return fetch(`${url}/logout`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: await csrfTokenOf(url, cookie) }).toString(),
    redirect: 'manual',
  });
}

/** The status endpoint's answer for this `Cookie` header. */
export async function statusOf(url: string, cookie: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  return (await fetch(`${url}/idle-session/status`, { headers: { ...headers, cookie } })).json() as Promise<Record<string, unknown>>;
}

/** The `Cookie` header a browser would send after `response`, given the one it sent (`Set-Cookie` adds, replaces, or deletes with a past expiry). */
export function nextCookie(cookie: string, response: Response): string {
  const jar = new Map(cookie.split(/;\s*/).filter(Boolean).map((pair) => [pair.split('=', 1)[0]!, pair] as const));
  for (const header of response.headers.getSetCookie()) {
    const pair = header.split(';', 1)[0]!;
    const name = pair.split('=', 1)[0]!;
    if (/;\s*expires=Thu, 01 Jan 1970/i.test(header)) jar.delete(name);
    else jar.set(name, pair);
  }
  return [...jar.values()].join('; ');
}

/** Posts a form (`fields`, URL-encoded) to `path` with this `Cookie` header, without following the redirect. */
export function postForm(url: string, path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

/** One line of the sample app's audit log (JSON on stdout, see src/main.ts). */
export interface AuditLine {
  log: string;
  time: string;
  event: string;
  sessionId: string | null;
  reason: string | null;
  method: string | null;
  path: string | null;
  source: string;
}

/** The audit lines the server has written so far, in order. */
export function auditLines(server: DemoServer): AuditLine[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{"log":"idle-session"'))
    .map((line) => JSON.parse(line) as AuditLine);
}
