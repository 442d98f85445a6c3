import type { ExchangeRecorder } from './recorder.js';

/**
 * A minimal HTTP client with a cookie jar, standing in for one browser in the contract tests.
 * It keeps cookies by name (no domain or path logic: the tests talk to one origin) and never follows redirects.
 */
export class TestBrowser {
  /** Every `Set-Cookie` header received, in order, for attribute checks. */
  readonly setCookieHeaders: string[] = [];

  /**
   * @param baseUrl - where relative paths go.
   * @param cookies - the cookie jar; pass another TestBrowser's to act as the same browser talking to
   *   another instance of the app.
   * @param recorder - told about every request and its answer, for the contract suite's whole-answer comparison.
   */
  constructor(
    private readonly baseUrl: string,
    readonly cookies = new Map<string, string>(),
    private readonly recorder?: ExchangeRecorder,
  ) {}

  /** The `Cookie` header this browser sends now. */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /**
   * Sends a request; `headers` add to (or, with `cookie`, replace) what the browser sends. The recorder,
   * if any, gets a copy of the answer, unless `record` is `false` (the harness's plumbing).
   */
  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: string; record?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...init.headers };
    const recorded = init.record === false ? undefined : this.recorder?.begin(method, path, init.headers ?? {});
    let response: Response;
    try {
      response = await fetch(new URL(path.replace(/^\//, ''), this.baseUrl), { method, headers, body: init.body, redirect: 'manual' });
    } catch (error) {
      recorded?.(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    recorded?.(response.clone());
    for (const header of response.headers.getSetCookie()) {
      this.setCookieHeaders.push(header);
      const pair = header.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    return response;
  }

  /** `GET {prefix}/status`, parsed. */
  async status(prefix: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; response: Response }> {
    const response = await this.request('GET', `${prefix}/status`, { headers });
    return { status: response.status, body: await response.json(), response };
  }

  /** `POST {prefix}/keepalive` with the forgery-guard header (unless `headers` says otherwise), parsed. */
  async keepAlive(prefix: string, headers: Record<string, string> = { 'x-idle-session': '1', 'sec-fetch-site': 'same-origin' }) {
    const response = await this.request('POST', `${prefix}/keepalive`, { headers });
    return { status: response.status, body: (await response.json()) as unknown, response };
  }
}
