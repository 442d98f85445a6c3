import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/config.js';
import { signInWithFetch, startDemo, statusOf, type DemoServer } from './server.js';

// Item 6: the README's tables of the status endpoint show every field the server sends, sessionId included.
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The rows of the first Markdown table after `heading` whose header row starts with `| firstColumn |`. */
function tableAfter(heading: string, firstColumn: string): string[][] {
  const section = README.slice(README.indexOf(heading));
  const start = section.indexOf(`\n| ${firstColumn} |`);
  expect(start, `a table with the column "${firstColumn}" after ${heading}`).toBeGreaterThan(0);
  const rows: string[][] = [];
  for (const line of section.slice(start + 1).split('\n')) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
  }
  return rows.slice(2); // without the header and the separator
}

const HEADING = '### `GET /idle-session/status`';

describe.each(FRAMEWORKS)("README: the status body's fields are those the sample app sends (%s)", (framework) => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemo({ FRAMEWORK: framework, IDLE_TIMEOUT: '1', WARN_BEFORE: '0.5', ABSOLUTE_TIMEOUT: '60' });
  });
  afterAll(async () => server?.stop());

  it('the field table lists every field of every body, in the body it is in; the active body\'s example shows them all', async () => {
    const cookie = await signInWithFetch(server.url);
    const active = await statusOf(server.url, cookie);
    expect(active).toMatchObject({ state: 'active', sessionId: expect.any(String) });
    const none = await statusOf(server.url, '');
    // Past the 1 s idle deadline (the status endpoint, asked by the page, finds it expired).
    let expired: Record<string, unknown> = {};
    await expect.poll(async () => (expired = await statusOf(server.url, cookie)), { interval: 200 }).toMatchObject({ state: 'expired' });
    const sent = new Map<string, Set<string>>();
    for (const body of [active, expired, none]) {
      for (const field of Object.keys(body)) sent.set(field, (sent.get(field) ?? new Set()).add(String(body.state)));
    }

    const documented = new Map(
      tableAfter(HEADING, 'field').map(([field = '', states = '']) => [field.replaceAll('`', ''), states === 'every body' ? null : states.replaceAll('`', '')]),
    );
    expect([...documented.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [field, states] of sent) {
      const documentedIn = documented.get(field);
      if (documentedIn === null) expect([...states].sort(), field).toEqual(['active', 'expired', 'none']);
      else expect([...states], field).toEqual([documentedIn]);
    }
    // The example of the active body, in the table of bodies, names every field of it.
    const example = tableAfter(HEADING, 'body').find(([body = '']) => body.includes('"state":"active"'))?.[0] ?? '';
    expect([...example.matchAll(/"(\w+)":/g)].map(([, field]) => field).sort()).toEqual(Object.keys(active).sort());
  });
});

describe('README: what the sample app does is what it recommends', () => {
  it('recommends a __Host- session cookie over HTTPS, login CSRF protection, and a store that drops abandoned sessions', () => {
    expect(README).toMatch(/Name the cookie with the `__Host-` prefix over HTTPS/);
    expect(README).toContain("name: '__Host-app.sid'");
    expect(README).toContain("key: '__Host-app.sid'");
    expect(README).toMatch(/The sign-in form needs a token too\*\* \(OWASP CSRF Prevention Cheat Sheet, "Login CSRF"\)/);
    expect(README).toContain('ttl: sessionTtl(idle.policy)');
  });
});
