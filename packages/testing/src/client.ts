import type { ControlsState, UnreachableMode } from './controls.js';

/** Options of {@link controlsClient}. */
export interface ControlsClientOptions {
  /**
   * Where the controls answer: a path on the page's origin in a browser (default
   * `/__idle-session-test`), or an absolute URL in Node (`http://127.0.0.1:3000/__idle-session-test`).
   */
  controls?: string | undefined;
  /**
   * The `fetch` to send with. Default: the global `fetch` (in a page it sends the page's cookies). In
   * Node, pass a {@link SessionAgent}'s `fetch` for `signOut()`, which ends the cookie's session.
   */
  fetch?: ((input: string, init?: RequestInit) => Promise<Response>) | undefined;
}

/** A client of the test controls mounted by `testControls()`; each method resolves with the controls' state. */
export interface ControlsClient {
  /** `GET now`: the moved clock's time and whether the server is "unreachable". */
  now(): Promise<ControlsState>;
  /** `POST advance?ms=N`: moves the server's clock forward by `ms` milliseconds (zero or more). */
  advance(ms: number): Promise<ControlsState>;
  /** `POST set?at=epochMs`: sets the server's clock to `epochMs` (epoch milliseconds), from which it runs on. */
  set(epochMs: number): Promise<ControlsState>;
  /** `POST reset`: the real time again, and the adapter's endpoints answer again. */
  reset(): Promise<ControlsState>;
  /** `POST unreachable?on=…`: the adapter's `status` and `keepalive` fail (`true`) or answer again (`false`). */
  unreachable(on: boolean, mode?: UnreachableMode): Promise<ControlsState>;
  /** `POST sign-out`: ends the session of the cookie sent with it, as the adapter's `signOut()` does. */
  signOut(): Promise<ControlsState>;
}

/**
 * A client of the test controls, for the browser (the page's origin and cookies) and for Node.
 * @throws (each method rejects) Error with the method, URL, HTTP status and the controls' message
 *   when the controls are not mounted there or refuse the request.
 */
export function controlsClient(options: ControlsClientOptions = {}): ControlsClient {
  const base = (options.controls ?? '/__idle-session-test').replace(/\/+$/, '');
  const send = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  async function call(method: 'GET' | 'POST', name: string, query = ''): Promise<ControlsState> {
    const url = `${base}/${name}${query}`;
    const response = await send(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: method === 'POST' ? { Accept: 'application/json', 'X-Idle-Session-Test': '1' } : { Accept: 'application/json' },
    });
    const text = await response.text();
    if (!response.ok || !/\bjson\b/.test(response.headers.get('content-type') ?? '')) {
      throw new Error(
        `@idle-session/testing: ${method} ${url} answered ${response.status}: ${text.replace(/\s+/g, ' ').slice(0, 200)}. ` +
          'Are the test controls (testControls()) mounted there, before the adapter?',
      );
    }
    return JSON.parse(text) as ControlsState;
  }
  return {
    now: () => call('GET', 'now'),
    advance: (ms) => call('POST', 'advance', `?ms=${encodeURIComponent(ms)}`),
    set: (epochMs) => call('POST', 'set', `?at=${encodeURIComponent(epochMs)}`),
    reset: () => call('POST', 'reset'),
    unreachable: (on, mode = 'close') => call('POST', 'unreachable', `?on=${on ? 1 : 0}&mode=${mode}`),
    signOut: () => call('POST', 'sign-out'),
  };
}
