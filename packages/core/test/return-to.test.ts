import { describe, expect, it } from 'vitest';
import { guardDecision, loginRedirectUrl, safeNextPath } from '../src/index.js';

// Known open-redirect bypasses (from the OWASP Unvalidated Redirects and Forwards Cheat Sheet, PortSwigger's
// URL validation bypass list and reports against Django's url_has_allowed_host_and_scheme): none may pass.
const BYPASSES = [
  'https://evil.example',
  'http://evil.example/path',
  'HTTPS://evil.example',
  '//evil.example',
  '///evil.example',
  '////evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '/%2F%2Fevil.example',
  '/%2f%2fevil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  '/%5cevil.example',
  '%5C%5Cevil.example',
  '/%252F%252Fevil.example',
  '/%25252F%25252Fevil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r/evil.example',
  '\t//evil.example',
  ' //evil.example',
  ' /path',
  '/%09/evil.example',
  '/%0d%0aSet-Cookie:x=1',
  '/path\r\nLocation: https://evil.example',
  '/%00/evil.example',
  '/\u0000',
  '/\u0085/evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'http:/evil.example',
  'http:evil.example',
  'https:\\\\evil.example',
  'evil.example',
  'path/without/slash',
  './/evil.example',
  '../evil',
  '?next=//evil.example',
  '#//evil.example',
  '%',
  '/%E0%A4%A',
  '\uFF0F\uFF0Fevil.example',
  '',
  `/${'a'.repeat(2_100)}`,
];

describe('safeNextPath', () => {
  it.each(BYPASSES)('refuses %j', (value) => {
    expect(safeNextPath(value)).toBeNull();
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 42, ['/'], { toString: () => '/' }]) expect(safeNextPath(value)).toBeNull();
  });

  it('keeps same-site paths, with their query and fragment, as a browser would follow them', () => {
    expect(safeNextPath('/')).toBe('/');
    expect(safeNextPath('/notes')).toBe('/notes');
    expect(safeNextPath('/notes?draft=1&tab=2#end')).toBe('/notes?draft=1&tab=2#end');
    expect(safeNextPath('/search?q=a%2Fb')).toBe('/search?q=a%2Fb');
    expect(safeNextPath('/caf%C3%A9')).toBe('/caf%C3%A9');
    expect(safeNextPath('/café')).toBe('/caf%C3%A9');
    expect(safeNextPath('/a/../b')).toBe('/b');
    expect(safeNextPath('/login?next=%2Fnotes')).toBe('/login?next=%2Fnotes');
  });

  it('never returns a path that a second pass would read as another host', () => {
    for (const value of ['/..//evil.example', '/.//evil.example', '/a/..//evil.example']) {
      const path = safeNextPath(value);
      expect(path === null || !path.startsWith('//')).toBe(true);
    }
  });
});

describe('the login redirect carries where the user was', () => {
  const none = () => undefined;

  it('adds next= (encoded) after the reason, only for a safe path', () => {
    expect(loginRedirectUrl('/login', 'idle', '/notes?x=1')).toBe('/login?reason=idle&next=%2Fnotes%3Fx%3D1');
    expect(loginRedirectUrl('/login', null, '/notes')).toBe('/login?next=%2Fnotes');
    expect(loginRedirectUrl('/login?lang=de#top', 'absolute', '/a')).toBe('/login?lang=de&reason=absolute&next=%2Fa#top');
    expect(loginRedirectUrl('/login', 'idle', '//evil.example')).toBe('/login?reason=idle');
    expect(loginRedirectUrl('/login', null, null)).toBe('/login');
  });

  it('guardDecision puts the page asked for into the redirect, and nothing into a 401', () => {
    expect(guardDecision({ state: 'expired', reason: 'idle', invalid: false }, '/login', none, '/notes')).toEqual({
      action: 'redirect',
      location: '/login?reason=idle&next=%2Fnotes',
    });
    expect(guardDecision({ state: 'none' }, '/login', (name) => (name === 'accept' ? 'application/json' : undefined), '/notes')).toMatchObject({
      action: 'reject',
      status: 401,
    });
  });
});
