import { parseStatusBody, type StatusBody } from '@idle-session/core';
import { assertNotProduction } from './guard.js';

/** What `GET {endpoint}/status` answers: the `StatusBody` of `@idle-session/core` (the protocol's one definition). */
export type StatusAnswer = StatusBody;

/**
 * A tiny cookie-keeping HTTP client for server-side tests (vitest and Node's `fetch`), like a
 * browser with one tab: it sends back the cookies the app set (name and value; path, domain and
 * `Secure` are ignored, an expired or emptied cookie is dropped) and never follows redirects.
 *
 * Refuses to be created when `NODE_ENV` is `production`.
 *
 * @example
 * ```ts
 * const agent = new SessionAgent('http://127.0.0.1:3000');
 * await agent.fetch('/sign-in', { method: 'POST' });
 * expect(await agent.status()).toMatchObject({ state: 'active' });
 * ```
 */
export class SessionAgent {
  /** The app's origin (and base path), such as `http://127.0.0.1:3000`; relative paths are resolved against it. */
  readonly baseUrl: string;
  /** The cookies held, by name. */
  readonly cookies = new Map<string, string>();

  /**
   * @param baseUrl - the app's origin, such as `http://127.0.0.1:3000`.
   * @throws Error when `NODE_ENV` is `production`.
   */
  constructor(baseUrl: string) {
    assertNotProduction('SessionAgent');
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /**
   * `fetch` with this agent's cookies; keeps the ones the answer sets. Bound, so it can be passed on
   * (`controlsClient({ fetch: agent.fetch })`).
   * @param path - a path such as `/idle-session/status` (or an absolute URL).
   */
  readonly fetch = async (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('Cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const url = /^https?:/.test(path) ? path : `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
    const response = await globalThis.fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#keep(line);
    return response;
  };

  /**
   * `GET {endpoint}/status`, the adapter's status endpoint (never activity).
   * @param endpoint - the adapter's prefix; default `/idle-session`.
   * @throws Error when the answer is not a status body (not JSON, or not the protocol's shape).
   */
  async status(endpoint = '/idle-session'): Promise<StatusAnswer> {
    const response = await this.fetch(`${endpoint.replace(/\/+$/, '')}/status`, { headers: { Accept: 'application/json' } });
    const text = await response.text();
    let body: StatusBody | null = null;
    try {
      body = parseStatusBody(JSON.parse(text)); // checked by the protocol's own parser, never a cast
    } catch {
      // not JSON: said below
    }
    if (body === null) throw new Error(`@idle-session/testing: GET ${endpoint}/status answered ${response.status}, not a status body: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
    return body;
  }

  #keep(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    if (at <= 0) return;
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', raw = ''] = attribute.split('=');
      const field = key.trim().toLowerCase();
      if (field === 'max-age') return Number(raw) <= 0;
      if (field === 'expires') return Date.parse(raw) <= Date.now();
      return false;
    });
    if (expired || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
