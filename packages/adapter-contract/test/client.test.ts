import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../src/index.js';

describe('TestBrowser (the suite\'s stand-in for a browser)', () => {
  let server: Server;
  let url: string;
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers.cookie);
      if (req.url === '/set') res.setHeader('Set-Cookie', ['sid=abc; Path=/; HttpOnly', 'other=1=2; Path=/']);
      if (req.url === '/redirect') {
        res.writeHead(302, { Location: '/elsewhere' });
        return res.end();
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/base/`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('keeps cookies by name, sends them back and records every Set-Cookie header', async () => {
    const browser = new TestBrowser(url.replace('/base/', '/'));
    await browser.request('GET', '/set');
    expect(browser.cookieHeader()).toBe('sid=abc; other=1=2');
    expect(browser.setCookieHeaders).toEqual(['sid=abc; Path=/; HttpOnly', 'other=1=2; Path=/']);
    await browser.request('GET', '/next');
    expect(seen.at(-1)).toBe('sid=abc; other=1=2');
  });

  it('resolves paths against a base URL with a sub-path and never follows redirects', async () => {
    const browser = new TestBrowser(url);
    const response = await browser.request('GET', '/redirect');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/base/redirect' });
    const direct = new TestBrowser(url.replace('/base/', '/'));
    const redirect = await direct.request('GET', 'redirect');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/elsewhere');
  });
});
