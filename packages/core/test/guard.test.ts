import { describe, expect, it } from 'vitest';
import { checkKeepAliveOrigin, guardResponse } from '../src/index.js';

const headers = (values: Record<string, string>) => (name: string) => values[name];

describe('checkKeepAliveOrigin: the keep-alive forgery guard (OWASP CSRF Prevention Cheat Sheet)', () => {
  const base = { 'x-idle-session': '1', host: 'app.example:3000' };

  it('needs the custom header', () => {
    expect(checkKeepAliveOrigin(headers({ host: 'app.example:3000', 'sec-fetch-site': 'same-origin' })).ok).toBe(false);
  });

  it('Fetch Metadata first: only same-origin passes, and an empty or unknown Sec-Fetch-Site is refused', () => {
    expect(checkKeepAliveOrigin(headers({ ...base, 'sec-fetch-site': 'same-origin' })).ok).toBe(true);
    for (const site of ['', 'same-site', 'cross-site', 'none', 'SAME-ORIGIN']) {
      expect(checkKeepAliveOrigin(headers({ ...base, 'sec-fetch-site': site })), site).toMatchObject({ ok: false });
    }
  });

  it('without Sec-Fetch-Site, Origin is the second layer: another site or an opaque origin is refused, the same host passes', () => {
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'https://evil.example' })).ok).toBe(false);
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'null' })).ok).toBe(false);
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'http://app.example:3001' })).ok).toBe(false);
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'file://' })).ok).toBe(false);
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'http://APP.example:3000' })).ok).toBe(true);
    expect(checkKeepAliveOrigin(headers({ ...base, origin: 'https://app.example:3000' })).ok).toBe(true);
    expect(checkKeepAliveOrigin(headers({ 'x-idle-session': '1', origin: 'https://app.example' })).ok, 'no Host to compare').toBe(false);
  });

  it('neither header (a non-browser client, an old browser): the custom header suffices', () => {
    expect(checkKeepAliveOrigin(headers(base)).ok).toBe(true);
  });
});

describe('guardResponse: one answer from every adapter', () => {
  it('a redirect is a bare 303', () => {
    expect(guardResponse({ action: 'redirect', location: '/login?reason=idle' })).toEqual({
      status: 303,
      headers: { Location: '/login?reason=idle', 'Cache-Control': 'no-store' },
      body: null,
    });
  });

  it('a rejection is 401 JSON without ETag', () => {
    expect(guardResponse({ action: 'reject', status: 401, body: { state: 'expired', reason: 'idle' } })).toEqual({
      status: 401,
      headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json; charset=utf-8' },
      body: { state: 'expired', reason: 'idle' },
    });
  });
});
