import { describe, expect, it } from 'vitest';
import {
  checkKeepAliveOrigin,
  guardDecision,
  loginRedirectUrl,
  wantsJson,
  createPolicy,
  keepAliveResponse,
  matchEndpoint,
  methodResponse,
  parseStatusBody,
  statusResponse,
  toStatusBody,
  unknownEndpointResponse,
} from '../src/index.js';

const policy = createPolicy({ idleTimeout: 60_000, warnBefore: 20_000 });
const active = { state: 'active', remainingMs: 5, idleRemainingMs: 5, absoluteRemainingMs: null, lastActivity: 1, sessionId: 'abc' } as const;

describe('wire format', () => {
  it('builds the active, expired and none bodies', () => {
    expect(toStatusBody(active, policy)).toEqual({
      state: 'active',
      remainingMs: 5,
      idleRemainingMs: 5,
      absoluteRemainingMs: null,
      idleTimeoutMs: 60_000,
      warnBeforeMs: 20_000,
      sessionId: 'abc',
    });
    expect(toStatusBody({ state: 'expired', reason: 'absolute', invalid: false }, policy)).toEqual({ state: 'expired', reason: 'absolute' });
    expect(toStatusBody({ state: 'none' }, policy)).toEqual({ state: 'none' });
  });

  it('parses what it builds, keeping only known fields', () => {
    const body = toStatusBody(active, policy);
    expect(parseStatusBody({ ...body, extra: 'x' })).toEqual(body);
    expect(parseStatusBody({ state: 'expired', reason: 'idle', cookie: 'x' })).toEqual({ state: 'expired', reason: 'idle' });
    expect(parseStatusBody({ state: 'none' })).toEqual({ state: 'none' });
    const { sessionId: _omitted, ...older } = body as { sessionId: string };
    expect(parseStatusBody(older)).toEqual({ ...body, sessionId: null });
  });

  it.each([
    ['null', null],
    ['a string of HTML', '<html>login</html>'],
    ['an array', []],
    ['an unknown state', { state: 'alive' }],
    ['an unknown reason', { state: 'expired', reason: 'boredom' }],
    ['a missing duration', { state: 'active', idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1 }],
    ['a negative duration', { state: 'active', remainingMs: -1, idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1 }],
    ['a string duration', { state: 'active', remainingMs: '1', idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1 }],
    ['an infinite duration', { state: 'active', remainingMs: 1, idleRemainingMs: Infinity, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1 }],
    ['warnBefore not under the idle timeout', { state: 'active', remainingMs: 1, idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 2 }],
    ['remaining above the idle remaining', { state: 'active', remainingMs: 3, idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1 }],
    ['a non-string session id', { state: 'active', remainingMs: 1, idleRemainingMs: 1, absoluteRemainingMs: null, idleTimeoutMs: 2, warnBeforeMs: 1, sessionId: 7 }],
    ['a bad absolute remaining', { state: 'active', remainingMs: 1, idleRemainingMs: 1, absoluteRemainingMs: 'soon', idleTimeoutMs: 2, warnBeforeMs: 1 }],
  ])('rejects %s', (_name, value) => {
    expect(parseStatusBody(value)).toBeNull();
  });
});

describe('endpoints', () => {
  it('matches the two endpoints like Express routes: any letter case, one optional trailing slash', () => {
    expect(matchEndpoint('/idle-session', '/idle-session/status')).toBe('status');
    expect(matchEndpoint('/idle-session', '/idle-session/keepalive')).toBe('keepalive');
    expect(matchEndpoint('/idle-session', '/IDLE-SESSION/Status/')).toBe('status');
    expect(matchEndpoint('/Auth/Timeout', '/auth/timeout/keepalive')).toBe('keepalive');
  });

  it('claims every other path under the prefix as unknown, and leaves the app its own paths', () => {
    for (const path of ['/idle-session', '/idle-session/', '/idle-session/status/x', '/idle-session//status', '/idle-session/status//']) {
      expect(matchEndpoint('/idle-session', path)).toBe('unknown');
    }
    for (const path of ['/idle-sessionx/status', '/status', '/', '/x/idle-session/status']) {
      expect(matchEndpoint('/idle-session', path)).toBeNull();
    }
    expect(unknownEndpointResponse('/idle-session')).toMatchObject({ status: 404, body: { state: 'error' } });
  });

  it('answers status with 200 and no-store, keep-alive with 200 or 401', () => {
    const status = statusResponse({ state: 'expired', reason: 'idle', invalid: false }, policy);
    expect(status.status).toBe(200);
    expect(status.headers['Cache-Control']).toBe('no-store');
    expect(keepAliveResponse(active, policy).status).toBe(200);
    expect(keepAliveResponse({ state: 'none' }, policy)).toMatchObject({ status: 401, body: { state: 'none' } });
  });

  it('answers other methods with 405 and OPTIONS with 204, both with Allow', () => {
    expect(methodResponse('keepalive', 'GET')).toMatchObject({ status: 405, headers: { Allow: 'POST, OPTIONS' } });
    expect(methodResponse('status', 'OPTIONS')).toMatchObject({ status: 204, body: null, headers: { Allow: 'GET, HEAD, OPTIONS' } });
  });
});

describe('checkKeepAliveOrigin', () => {
  it('accepts the custom header from the same origin or without fetch metadata', () => {
    expect(checkKeepAliveOrigin(headers({ 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' }))).toEqual({ ok: true });
    expect(checkKeepAliveOrigin(headers({ 'x-idle-session': '1' }))).toEqual({ ok: true });
  });
  it.each([
    [{}, /X-Idle-Session/],
    [{ 'x-idle-session': 'yes' }, /X-Idle-Session/],
    [{ 'x-idle-session': '1', 'sec-fetch-site': 'cross-site' }, /same origin.*cross-site/],
    [{ 'x-idle-session': '1', 'sec-fetch-site': 'same-site' }, /same-site/],
  ])('refuses %j', (values, message) => {
    const check = checkKeepAliveOrigin(headers(values));
    expect(check.ok).toBe(false);
    expect(!check.ok && check.message).toMatch(message);
  });
});

const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];

describe('protected-route guard', () => {
  it('lets an active session through', () => {
    expect(guardDecision(active, '/login', headers({ accept: 'text/html' }))).toEqual({ action: 'allow' });
  });
  it('redirects HTML requests once to the login page with the reason', () => {
    expect(guardDecision({ state: 'expired', reason: 'idle', invalid: false }, '/login', headers({ accept: 'text/html,*/*' }))).toEqual({
      action: 'redirect',
      location: '/login?reason=idle',
    });
    expect(guardDecision({ state: 'none' }, '/login', headers({}))).toEqual({ action: 'redirect', location: '/login' });
    expect(loginRedirectUrl('/login?next=%2F#top', 'absolute')).toBe('/login?next=%2F&reason=absolute#top');
  });
  it('answers JSON requests with 401 naming the reason', () => {
    expect(guardDecision({ state: 'expired', reason: 'absolute', invalid: false }, '/login', headers({ accept: 'application/json' }))).toEqual({
      action: 'reject',
      status: 401,
      body: { state: 'expired', reason: 'absolute' },
    });
    expect(wantsJson(headers({ accept: 'text/html, application/json' }))).toBe(false);
  });
  it('treats fetch() and XMLHttpRequest from a page as wanting JSON, whatever their Accept', () => {
    expect(wantsJson(headers({ accept: '*/*', 'sec-fetch-dest': 'empty' }))).toBe(true);
    expect(wantsJson(headers({ 'x-requested-with': 'XMLHttpRequest' }))).toBe(true);
    expect(wantsJson(headers({ accept: 'text/html', 'sec-fetch-dest': 'document' }))).toBe(false);
  });
});
