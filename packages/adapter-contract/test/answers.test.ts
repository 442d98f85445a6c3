import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeExchange, normalizeSetCookies, Placeholders, type Answer, type RawExchange } from '../src/answers.js';
import { diffAnswers, expectedAnswers, readGolden, updateGolden, writeGolden, type Golden } from '../src/golden.js';
import { AnswerRecorder } from '../src/recorder.js';

const exchange = (overrides: Partial<RawExchange> = {}): RawExchange => ({
  method: 'GET',
  path: 'page',
  sent: {},
  status: 200,
  headers: {},
  setCookies: [],
  body: new TextEncoder().encode(''),
  ...overrides,
});

const json = (value: unknown) => {
  const body = new TextEncoder().encode(JSON.stringify(value));
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.byteLength) } };
};

describe('whole answers: normalization', () => {
  it('shows the same cookies of express-session and koa-session the same way: name, value placeholder, sorted attributes, signatures folded in', () => {
    const express = normalizeSetCookies(['connect.sid=s%3Aabc.def; Path=/; HttpOnly; SameSite=Lax'], new Placeholders(), 0);
    const koa = normalizeSetCookies(['koa.sess=xyz; path=/; samesite=lax; httponly', 'koa.sess.sig=123; path=/; samesite=lax; httponly'], new Placeholders(), 0);
    expect(express).toEqual(['<session>=<cookie from #0>; httponly; path=/; samesite=lax']);
    expect(koa).toEqual(express);
  });

  it('tells a deletion, a cookie sent again and a new cookie apart', () => {
    const placeholders = new Placeholders();
    expect(normalizeSetCookies(['connect.sid=one; Path=/'], placeholders, 0)).toEqual(['<session>=<cookie from #0>; path=/']);
    expect(normalizeSetCookies(['connect.sid=one; Path=/'], placeholders, 3)).toEqual(['<session>=<cookie from #0>; path=/']);
    expect(normalizeSetCookies(['connect.sid=two; Path=/'], placeholders, 4)).toEqual(['<session>=<cookie from #4>; path=/']);
    expect(normalizeSetCookies(['connect.sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT'], placeholders, 5)).toEqual(['<session>=(deleted); path=/']);
    expect(normalizeSetCookies(['other=1; Max-Age=0'], placeholders, 6)).toEqual(['other=(deleted)']);
  });

  it('keeps a signature cookie that does not travel with its cookie', () => {
    expect(normalizeSetCookies(['koa.sess.sig=123; path=/'], new Placeholders(), 0)).toEqual(['<session>.sig=<cookie from #0>; path=/']);
  });

  it('drops the per-request headers and a Content-Length that frames the body, keeps every other header, and replaces random ids', () => {
    const placeholders = new Placeholders();
    const { body, headers } = json({ state: 'active', sessionId: 'f00', nested: { url: 'http://127.0.0.1:5555/x' } });
    const answer = normalizeExchange(
      exchange({ body, headers: { ...headers, date: 'now', connection: 'keep-alive', 'keep-alive': 'timeout=5', etag: 'W/"1"', vary: 'Accept' } }),
      placeholders,
      0,
    );
    expect(answer).toEqual({
      request: 'GET page',
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', etag: '<etag>', vary: 'Accept' },
      body: { state: 'active', sessionId: '<sessionId#1>', nested: { url: '<origin>/x' } },
    });
    const again = normalizeExchange(exchange({ ...json({ sessionId: 'f00' }), sent: { 'x-idle-session-id': 'F00' } }), placeholders, 1);
    expect(again.sent).toEqual({ 'x-idle-session-id': '<sessionId#1> (other case)' });
    expect(again.body).toEqual({ sessionId: '<sessionId#1>' });
  });

  it('keeps a Content-Length that is not the body\'s (a HEAD answer), and text bodies as text', () => {
    const answer = normalizeExchange(exchange({ method: 'HEAD', headers: { 'content-length': '17', 'content-type': 'text/plain' }, body: new TextEncoder().encode('') }), new Placeholders(), 0);
    expect(answer.headers).toEqual({ 'content-length': '17', 'content-type': 'text/plain' });
    expect(answer.body).toBe('');
    const text = normalizeExchange(exchange({ headers: { 'content-type': 'text/html' }, body: new TextEncoder().encode('<p>hi</p>') }), new Placeholders(), 0);
    expect(text.body).toBe('<p>hi</p>');
  });

  it('shows a replayed cookie the app gave as given, and any other value as it is', () => {
    const placeholders = new Placeholders();
    normalizeSetCookies(['koa.sess=abc; path=/', 'koa.sess.sig=sig; path=/'], placeholders, 0);
    const replay = normalizeExchange(exchange({ sent: { cookie: 'koa.sess=abc; koa.sess.sig=sig' } }), placeholders, 1);
    expect(replay.sent).toEqual({ cookie: '<session>=<given earlier>' });
    const garbage = normalizeExchange(exchange({ sent: { cookie: `koa.sess=%%%; other=${'a'.repeat(50)}` } }), placeholders, 2);
    expect(garbage.sent).toEqual({ cookie: '<session>=%%%; other=<50 characters>' });
  });
});

describe('whole answers: recording', () => {
  it('numbers exchanges in the order they were started, groups parallel ones as a set, and leaves out unrecorded ones', async () => {
    const recorder = new AnswerRecorder();
    const answer = (status: number) => new Response(null, { status });
    const first = recorder.begin('GET', 'a', {});
    const [second, third] = await recorder.unordered(async () => [recorder.begin('GET', 'b', {}), recorder.begin('GET', 'c', {})]);
    await recorder.unrecorded(async () => recorder.begin('GET', 'plumbing', {})(answer(200)));
    const fourth = recorder.begin('GET', 'd', {});
    fourth(answer(204));
    third!(answer(202));
    second!(answer(201));
    first(answer(200));
    expect(await recorder.settle(1_000)).toBe(true);
    const entries = await recorder.entries();
    expect(entries.map((entry) => ('unordered' in entry ? entry.unordered.map((a) => a.request) : entry.request))).toEqual([
      'GET a',
      ['GET b', 'GET c'],
      'GET d',
    ]);
  });
});

describe('whole answers: the golden file', () => {
  const answer = (status: number, setCookie?: string[]): Answer => ({
    request: 'GET page',
    status,
    headers: setCookie ? { 'set-cookie': setCookie } : {},
    body: '',
  });

  it('lists each difference by exchange, field by field', () => {
    const diff = diffAnswers([answer(200), answer(403)], [answer(200), { ...answer(200), headers: { etag: '<etag>' } }, answer(200)]);
    expect(diff).toBe(
      [
        '#1 GET page',
        '    status: expected 403, got 200',
        '    header etag: expected (none), got "<etag>"',
        '#2 not in the golden file: {"request":"GET page","status":200,"headers":{},"body":""}',
      ].join('\n'),
    );
    expect(diffAnswers([answer(200), answer(200)], [answer(200)], true)).toBeNull();
    expect(diffAnswers([answer(200), answer(200)], [answer(200)])).toMatch(/^#1 not made/);
  });

  it('lets a cookie-only session differ in Set-Cookie only, and never a store-backed one', () => {
    const golden: Golden = { cases: {}, modes: {} };
    expect(updateGolden(golden, 'case', 'cookie', [answer(200)])).toMatch(/no store-mode answers/);
    expect(updateGolden(golden, 'case', 'store', [answer(200), answer(200)])).toBeNull();
    expect(updateGolden(golden, 'case', 'cookie', [answer(200), answer(200, ['<session>=<cookie from #1>'])])).toBeNull();
    expect(golden.modes.cookie).toEqual({ case: { 1: answer(200, ['<session>=<cookie from #1>']) } });
    expect(expectedAnswers(golden, 'case', 'cookie')).toEqual([answer(200), answer(200, ['<session>=<cookie from #1>'])]);
    expect(expectedAnswers(golden, 'case', 'store')).toEqual([answer(200), answer(200)]);
    expect(updateGolden(golden, 'case', 'cookie', [answer(200), answer(401)])).toMatch(/#1 differs from the store-mode answer in more than set-cookie/);
    // New store-mode answers drop the variants that no longer differ from them only in Set-Cookie.
    expect(updateGolden(golden, 'case', 'store', [answer(200), answer(401)])).toBeNull();
    expect(golden.modes.cookie).toEqual({});
  });

  it('writes one exchange per line, in the suite\'s order, drops cases the suite no longer has, and reads back', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'answers-')), 'answers.json');
    const golden: Golden = {
      cases: { b: [answer(200)], a: [{ unordered: [answer(200), answer(201)] }], gone: [answer(500)] },
      modes: { cookie: { b: { 0: answer(200, ['x']) } } },
    };
    writeGolden(golden, ['a', 'b'], path);
    const text = readFileSync(path, 'utf8');
    expect(text.indexOf('"a"')).toBeLessThan(text.indexOf('"b"'));
    expect(text).toContain('\n      {"request":"GET page","status":200,"headers":{},"body":""}');
    const read = readGolden(path);
    expect(Object.keys(read.cases)).toEqual(['a', 'b']);
    expect(read.modes.cookie).toEqual({ b: { 0: answer(200, ['x']) } });
    expect(readGolden(join(path, '..', 'absent.json'))).toEqual({ cases: {}, modes: {} });
  });
});
