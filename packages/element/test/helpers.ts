import FakeTimers from '@sinonjs/fake-timers';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import type { StatusBody } from '@idle-session/core';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';

export const START = 1_700_000_000_000;
export const MINUTE = 60_000;

/** A recorded request. */
export interface Call {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly credentials: RequestCredentials | undefined;
  readonly at: number;
  /** The request body as text (form posts), or `null`. */
  readonly body: string | null;
}

/** A scripted answer that overrides the model once. */
export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly text?: string; readonly contentType?: string }
  | 'network-error';

/**
 * An in-page model of the idle-session server: idle and absolute deadlines on the (fake) clock,
 * status and keep-alive endpoints as in the protocol, plus scripted one-off replies for failures.
 */
export class FakeServer {
  idleTimeoutMs = 15 * MINUTE;
  warnBeforeMs = 2 * MINUTE;
  absoluteAt: number | null = null;
  lastActivity = Date.now();
  signedOut = false;
  readonly calls: Call[] = [];
  readonly script: { status: Reply[]; keepalive: Reply[]; logout: Reply[] } = { status: [], keepalive: [], logout: [] };
  /** The CSRF token the sign-out endpoint demands (as csrf-sync would, in the X-CSRF-Token header), or `null` for none. */
  csrfToken: string | null = null;
  #original: typeof window.fetch | null = null;
  /** The non-secret id of the tracked session, as the adapters send it. */
  sessionId = 'session-1';

  body(): StatusBody {
    if (this.signedOut) return { state: 'none' };
    const now = Date.now();
    const idleRemainingMs = Math.max(0, this.lastActivity + this.idleTimeoutMs - now);
    const absoluteRemainingMs = this.absoluteAt === null ? null : Math.max(0, this.absoluteAt - now);
    const remainingMs = absoluteRemainingMs === null ? idleRemainingMs : Math.min(idleRemainingMs, absoluteRemainingMs);
    if (remainingMs <= 0) {
      return { state: 'expired', reason: absoluteRemainingMs !== null && absoluteRemainingMs <= idleRemainingMs ? 'absolute' : 'idle' };
    }
    return {
      state: 'active',
      remainingMs,
      idleRemainingMs,
      absoluteRemainingMs,
      idleTimeoutMs: this.idleTimeoutMs,
      warnBeforeMs: this.warnBeforeMs,
      sessionId: this.sessionId,
    };
  }

  get statusCalls(): Call[] {
    return this.calls.filter((c) => c.url.endsWith('/status'));
  }

  get logoutCalls(): Call[] {
    return this.calls.filter((c) => c.url.includes('logout'));
  }

  get keepAliveCalls(): Call[] {
    return this.calls.filter((c) => c.url.endsWith('/keepalive'));
  }

  install(): void {
    this.#original = window.fetch;
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const method = (init?.method ?? 'GET').toUpperCase();
      const headers = new Headers(init?.headers);
      const body = init?.body === undefined || init.body === null ? null : String(init.body);
      this.calls.push({ url, method, headers, credentials: init?.credentials, at: Date.now(), body });
      const endpoint = url.endsWith('/keepalive') ? 'keepalive' : url.includes('logout') ? 'logout' : 'status';
      const scripted = this.script[endpoint].shift();
      if (scripted === 'network-error') throw new TypeError('Failed to fetch');
      if (scripted) {
        const text = scripted.text ?? JSON.stringify(scripted.body);
        return new Response(text, { status: scripted.status, headers: { 'content-type': scripted.contentType ?? 'application/json' } });
      }
      if (endpoint === 'logout') {
        if (method !== 'POST' || (this.csrfToken !== null && headers.get('X-CSRF-Token') !== this.csrfToken)) {
          return new Response('invalid csrf token', { status: 403 });
        }
        this.signedOut = true;
        return new Response('<h1>Sign in</h1>', { status: 200, headers: { 'content-type': 'text/html' } });
      }
      if (endpoint === 'keepalive') {
        if (method !== 'POST' || headers.get('X-Idle-Session') !== '1') {
          return json(403, { state: 'forbidden', message: 'forged' });
        }
        const current = this.body();
        if (current.state !== 'active') return json(401, current);
        this.lastActivity = Date.now();
        return json(200, this.body());
      }
      return json(200, this.body());
    };
  }

  restore(): void {
    if (this.#original) window.fetch = this.#original;
    this.#original = null;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function installClock(): InstalledClock {
  return FakeTimers.install({
    now: START,
    toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
  });
}

/** Lets pending fetches, body reads and Lit renders finish, without moving the fake clock. */
export async function settle(clock: InstalledClock, el?: IdleSessionWarning): Promise<void> {
  for (let i = 0; i < 6; i++) await clock.tickAsync(0);
  if (el) await el.updateComplete;
}

/** Moves the fake clock on, firing timers, then settles. */
export async function advance(clock: InstalledClock, ms: number, el?: IdleSessionWarning): Promise<void> {
  await clock.tickAsync(ms);
  await settle(clock, el);
}

export function part(el: IdleSessionWarning, name: string): HTMLElement | null {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
}

export function dialogOf(el: IdleSessionWarning): HTMLDialogElement {
  return el.shadowRoot!.querySelector('dialog')!;
}

export function text(node: Element | null | undefined): string {
  return (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Collects uncaught errors and unhandled rejections during a test. */
export function watchErrors(): { errors: unknown[]; stop: () => void } {
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => errors.push(e.error ?? e.message);
  const onRejection = (e: PromiseRejectionEvent) => errors.push(e.reason);
  window.addEventListener('error', onError);
  window.addEventListener('unhandledrejection', onRejection);
  return {
    errors,
    stop: () => {
      window.removeEventListener('error', onError);
      window.removeEventListener('unhandledrejection', onRejection);
    },
  };
}
