import { isTestClock, type TestClock } from './clock.js';
import { assertNotProduction } from './guard.js';

/** Where the test controls answer by default: `POST /__idle-session-test/advance?ms=…` and the rest. */
export const DEFAULT_CONTROLS_PREFIX = '/__idle-session-test';
/** The adapters' default endpoint prefix, whose `status` and `keepalive` the `unreachable` switch cuts off. */
export const DEFAULT_ENDPOINT = '/idle-session';
/**
 * The header every `POST` to the controls must carry (value `1`): a custom header makes a cross-site
 * request need a CORS preflight, which the controls never approve, so no other site can move the clock.
 */
export const CONTROLS_HEADER = 'X-Idle-Session-Test';

/**
 * How an unreachable server fails the adapter's endpoints: `'close'` destroys the connection without an
 * answer (a network error in the browser, as when the server is down); `'503'` answers
 * `503 {"state":"unavailable"}` (as a proxy in front of a stopped app would).
 */
export type UnreachableMode = 'close' | '503';

/** The part of an adapter's middleware (`idleSession()` of `@idle-session/express` or `/koa`) the controls use. */
export interface AdapterLike {
  /** The adapter's validated policy: its `clock` is the one the controls move, unless `clock` is given. */
  readonly policy: { readonly clock: { now(): number } };
  /** Ends the request's session (the `POST sign-out` control). */
  // A method (bivariant), so the Express and Koa middlewares, whose signOut takes their own request type, fit.
  signOut(request: never, options?: { clearSiteData?: boolean }): Promise<void>;
}

/** Options of `testControls()` (Express and Koa alike). */
export interface TestControlsOptions {
  /**
   * The adapter middleware of the app (`idleSession({ …, clock: new TestClock() })`): the `sign-out`
   * control calls its `signOut()`, and its policy's clock is the one moved when `clock` is not given.
   */
  idle: AdapterLike;
  /** The clock to move. Default: `idle.policy.clock`, which must then be a {@link TestClock}. */
  clock?: TestClock | undefined;
  /** Where the controls answer, as the middleware sees the path. Default `/__idle-session-test`. */
  prefix?: string | undefined;
  /**
   * The adapter's endpoint prefix, as the controls middleware sees the path, for the `unreachable`
   * switch. Default `/idle-session` (the adapters' default `prefix`).
   */
  endpoint?: string | undefined;
}

/** The body of every successful control answer. */
export interface ControlsState {
  /** The moved clock's time, epoch milliseconds. */
  now: number;
  /** How far it is ahead of the real time, in milliseconds. */
  offsetMs: number;
  /** Whether the adapter's endpoints fail as if the server could not be reached. */
  unreachable: boolean;
  /** How they fail while `unreachable`. */
  mode: UnreachableMode;
}

/** What the controls do with one request. */
export type ControlDecision =
  | { readonly action: 'pass' }
  | { readonly action: 'drop' }
  | { readonly action: 'answer'; readonly status: number; readonly body: unknown }
  | { readonly action: 'sign-out' };

/** A request as the framework-free part of the controls reads it. */
export interface ControlRequest {
  readonly method: string;
  /** The path, without the query, relative to where the middleware is mounted. */
  readonly path: string;
  readonly query: URLSearchParams;
  header(name: string): string | undefined;
}

/** The headers of every control answer. */
export const CONTROL_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'Content-Type': 'application/json; charset=utf-8',
});

/**
 * The state and routing shared by the Express and Koa controls: which requests are controls, what
 * they do, and which adapter requests fail while unreachable. Framework-free; used by both.
 */
export class ControlsCore {
  readonly clock: TestClock;
  readonly prefix: string;
  readonly endpoint: string;
  #unreachable = false;
  #mode: UnreachableMode = 'close';

  constructor(what: string, options: TestControlsOptions) {
    assertNotProduction(what);
    if (options === null || typeof options !== 'object' || typeof options.idle?.signOut !== 'function' || typeof options.idle.policy?.clock?.now !== 'function') {
      throw new TypeError(`@idle-session/testing: ${what} needs { idle }, the adapter middleware returned by idleSession().`);
    }
    const clock = options.clock ?? options.idle.policy.clock;
    if (!isTestClock(clock)) {
      throw new TypeError(
        `@idle-session/testing: ${what}: the adapter's clock is not a TestClock, so the controls could not move it. ` +
          'Create the adapter with idleSession({ …, clock: new TestClock() }), or pass that clock as { clock }.',
      );
    }
    if (options.clock && options.idle.policy.clock !== options.clock) {
      throw new TypeError(`@idle-session/testing: ${what}: { clock } is not the clock the adapter was given (idle.policy.clock), so moving it would change nothing.`);
    }
    this.clock = clock;
    this.prefix = checkPrefix(what, 'prefix', options.prefix ?? DEFAULT_CONTROLS_PREFIX);
    this.endpoint = checkPrefix(what, 'endpoint', options.endpoint ?? DEFAULT_ENDPOINT);
  }

  /** Whether the adapter's endpoints fail as if the server could not be reached. */
  get unreachable(): boolean {
    return this.#unreachable;
  }

  /**
   * Makes the adapter's `status` and `keepalive` fail (or answer again).
   * @param on - `true` to fail them.
   * @param mode - how they fail; default `'close'`.
   */
  setUnreachable(on: boolean, mode: UnreachableMode = 'close'): void {
    this.#unreachable = on;
    this.#mode = mode;
  }

  /** Back to the real time, and the endpoints answer again. */
  reset(): void {
    this.clock.reset();
    this.#unreachable = false;
    this.#mode = 'close';
  }

  /** The body every control answers with. */
  state(): ControlsState {
    return { now: this.clock.now(), offsetMs: this.clock.offsetMs, unreachable: this.#unreachable, mode: this.#mode };
  }

  /** What to do with one request (see {@link ControlDecision}). */
  decide(request: ControlRequest): ControlDecision {
    const path = request.path.toLowerCase().replace(/(.)\/$/, '$1');
    const prefix = this.prefix.toLowerCase();
    if (path !== prefix && !path.startsWith(`${prefix}/`)) {
      if (!this.#unreachable) return { action: 'pass' };
      const endpoint = this.endpoint.toLowerCase();
      if (path !== `${endpoint}/status` && path !== `${endpoint}/keepalive`) return { action: 'pass' };
      return this.#mode === 'close' ? { action: 'drop' } : { action: 'answer', status: 503, body: { state: 'unavailable' } };
    }
    const name = path.slice(prefix.length + 1);
    const method = request.method.toUpperCase();
    const routes: Record<string, string> = { now: 'GET', advance: 'POST', set: 'POST', reset: 'POST', unreachable: 'POST', 'sign-out': 'POST' };
    const allowed = routes[name];
    if (!allowed) return error(404, `No such test control; use ${Object.entries(routes).map(([route, verb]) => `${verb} ${this.prefix}/${route}`).join(', ')}.`);
    if (method !== allowed && !(allowed === 'GET' && method === 'HEAD')) return error(405, `${method} is not allowed here; use ${allowed}.`);
    if (method === 'POST' && request.header(CONTROLS_HEADER) !== '1') {
      return error(403, `A POST to the test controls must carry the header ${CONTROLS_HEADER}: 1.`);
    }
    try {
      switch (name) {
        case 'advance':
          this.clock.advance(Number(request.query.get('ms') ?? Number.NaN));
          break;
        case 'set':
          this.clock.set(Number(request.query.get('at') ?? Number.NaN));
          break;
        case 'reset':
          this.reset();
          break;
        case 'unreachable': {
          const on = request.query.get('on');
          const mode = request.query.get('mode') ?? 'close';
          if ((on !== '1' && on !== '0') || (mode !== 'close' && mode !== '503')) {
            return error(400, 'Use unreachable?on=1 or unreachable?on=0, with mode=close (default) or mode=503.');
          }
          this.setUnreachable(on === '1', mode);
          break;
        }
        case 'sign-out':
          return { action: 'sign-out' };
        default:
          break;
      }
    } catch (caught) {
      return error(400, (caught as Error).message);
    }
    return { action: 'answer', status: 200, body: this.state() };
  }
}

function error(status: number, message: string): ControlDecision {
  return { action: 'answer', status, body: { error: status, message } };
}

function checkPrefix(what: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/[^?#\s]*[^/?#\s]$/.test(value)) {
    throw new TypeError(`@idle-session/testing: ${what}: option "${option}" must be a path that starts with "/" and does not end with one, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Gives a framework's middleware the switches of its {@link ControlsCore}: `clock`, `unreachable`
 * (read-only), `setUnreachable(on, mode?)` and `reset()`, the same on Express and Koa.
 */
export function withControls<M extends object>(middleware: M, core: ControlsCore): M {
  Object.defineProperties(middleware, {
    clock: { value: core.clock, enumerable: true },
    unreachable: { get: () => core.unreachable, enumerable: true },
    setUnreachable: { value: (on: boolean, mode?: UnreachableMode) => core.setUnreachable(on, mode) },
    reset: { value: () => core.reset() },
  });
  return middleware;
}
