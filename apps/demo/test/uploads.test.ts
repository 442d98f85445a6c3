import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../scripts/redis-server.mjs';
import { FRAMEWORKS } from '../src/config.js';
import { csrfTokenOf, signInWithFetch, signOutWithFetch, startDemo, type DemoServer } from './server.js';

// Issue 9, item 1, as a user meets it: a notes form posted slowly (a large text on a slow line) while the
// open page asks for the status beside it. The upload takes longer than the whole idle timeout.
const IDLE_S = 6;
const UPLOAD_MS = 9_000;
const CHUNKS = 9;


async function status(url: string, cookie: string): Promise<Record<string, unknown>> {
  return (await fetch(`${url}/idle-session/status`, { headers: { cookie } })).json() as Promise<Record<string, unknown>>;
}

/** Posts `notes` to /notes in `CHUNKS` pieces over `UPLOAD_MS`, as `curl --limit-rate` would; `during` runs once the first piece is sent. */
/**
 * Posts `notes` in CHUNKS pieces over UPLOAD_MS while `during` runs. With `lastAfterDuring`, the last piece
 * waits for `during` to finish, so what `during` does (a sign-out elsewhere) surely happens while the upload
 * still runs, however slow a loaded machine is.
 */
async function slowUpload(
  url: string,
  cookie: string,
  notes: string,
  during: () => Promise<void>,
  { lastAfterDuring = false } = {},
): Promise<{ status: number; location?: string; body: string }> {
  const body = Buffer.from(new URLSearchParams({ _csrf: await csrfTokenOf(url, cookie), notes }).toString());
  return new Promise((resolve, reject) => {
    const req = request(`${url}/notes`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }));
    });
    req.on('error', reject);
    const size = Math.ceil(body.length / CHUNKS);
    let sent = 0;
    const done = during();
    done.catch(reject);
    const next = (): void => {
      req.write(body.subarray(sent, sent + size));
      sent += size;
      if (sent >= body.length) return void req.end();
      if (lastAfterDuring && sent + size >= body.length) return void done.then(() => setTimeout(next, UPLOAD_MS / CHUNKS), () => {});
      setTimeout(next, UPLOAD_MS / CHUNKS);
    };
    next();
  });
}

const notes = 'A long letter. '.repeat(2_000);

describe.each(FRAMEWORKS.flatMap((framework) => [[framework, 'memory store, one instance'], [framework, 'Redis, two instances']]))('a slow upload is activity for as long as it runs (%s, %s)', (framework, where) => {
  let redis: RedisServer | undefined;
  let a: DemoServer;
  let b: DemoServer;

  beforeAll(async () => {
    const env: Record<string, string> = { FRAMEWORK: framework, IDLE_TIMEOUT: String(IDLE_S), WARN_BEFORE: '4', SESSION_SECRET: 'uploads' };
    if (where.startsWith('Redis')) {
      redis = await startRedisServer('The slow-upload end-to-end tests');
      [a, b] = await Promise.all([startDemo({ ...env, REDIS_URL: redis.url }), startDemo({ ...env, REDIS_URL: redis.url })]);
    } else {
      a = await startDemo(env);
      b = a;
    }
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b !== a ? b?.stop() : undefined]);
    await redis?.stop();
  });

  it('the upload is saved though it outlasts the idle timeout, status checks beside it never end the session, and the idle clock restarts at its end', async () => {
    const cookie = await signInWithFetch(a.url);
    const seen: Record<string, unknown>[] = [];
    let uploading = true;
    const answer = await slowUpload(a.url, cookie, notes, async () => {
      // What the open page does at its deadline: ask, on whichever instance the load balancer picks.
      for (let i = 0; uploading; i++) {
        seen.push(await status(i % 2 ? b.url : a.url, cookie));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }).finally(() => (uploading = false));
    expect(answer, `${answer.status} ${answer.location}: ${answer.body}`).toMatchObject({ status: 303, location: '/' });
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (const body of seen) expect(body).toMatchObject({ state: 'active' });
    // Measured from the server's own answer: just after the upload ended, about a whole idle timeout is left.
    const after = await status(b.url, cookie);
    expect(after).toMatchObject({ state: 'active' });
    expect(after.idleRemainingMs as number).toBeGreaterThan(IDLE_S * 1_000 - 3_000);
    const home = await (await fetch(`${b.url}/`, { headers: { cookie } })).text();
    expect(home).toContain('Your notes were saved.');
    expect(home).toContain('A long letter. A long letter.');
  });

  it('an upload whose session is signed out meanwhile is not saved, and the answer says so and gives the notes back', async () => {
    const cookie = await signInWithFetch(a.url);
    const answer = await slowUpload(a.url, cookie, 'Unsaved words. '.repeat(100), async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000)); // the upload is under way on the server
      const signOut = await signOutWithFetch(b.url, cookie);
      expect(signOut.status).toBe(303);
    }, { lastAfterDuring: true });
    expect(answer.status).toBe(401);
    expect(answer.body).toContain('Your notes were not saved: you were signed out');
    expect(answer.body).toContain('Unsaved words.');
    expect(await status(a.url, cookie)).toEqual({ state: 'none' });
  });
});
