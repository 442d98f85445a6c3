/**
 * `@idle-session/testing/express`: the test controls for an Express app on `@idle-session/express`.
 * Mount them in tests only, after express-session and before the adapter. See {@link testControls}.
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TestClock } from './clock.js';
import { CONTROL_HEADERS, ControlsCore, withControls, type TestControlsOptions, type UnreachableMode } from './controls.js';

export {
  CONTROLS_HEADER,
  DEFAULT_CONTROLS_PREFIX,
  DEFAULT_ENDPOINT,
  type AdapterLike,
  type ControlsState,
  type TestControlsOptions,
  type UnreachableMode,
} from './controls.js';
export { TestClock } from './clock.js';

/**
 * The Express middleware returned by {@link testControls}, with the same switches for Node-side tests.
 */
export interface ExpressTestControls {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** The clock the controls move (the adapter's). */
  readonly clock: TestClock;
  /** Whether the adapter's endpoints fail as if the server could not be reached. */
  readonly unreachable: boolean;
  /** Makes the adapter's `status` and `keepalive` fail (`on`), by closing the connection or with a 503 (`mode`, default `'close'`). */
  setUnreachable(on: boolean, mode?: UnreachableMode): void;
  /** Back to the real time; the endpoints answer again. */
  reset(): void;
}

function answer(res: ServerResponse, status: number, body: unknown, method: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...CONTROL_HEADERS, 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(method === 'HEAD' ? undefined : text);
}

/**
 * Test controls for an Express app: a middleware that answers, under `prefix` (default
 * `/__idle-session-test`), `GET now`, `POST advance?ms=N`, `POST set?at=epochMs`, `POST reset`,
 * `POST unreachable?on=1|0[&mode=close|503]` and `POST sign-out` (every `POST` with the header
 * `X-Idle-Session-Test: 1`), each with a JSON `ControlsState`. While unreachable, the adapter's
 * `{endpoint}/status` and `{endpoint}/keepalive` fail as if the server could not be reached. Control
 * requests never reach the adapter, so they are never activity.
 *
 * Mount it only in tests, **after express-session** (`sign-out` needs the session) **and before the
 * adapter** (the unreachable switch must answer before it).
 *
 * @param options - see `TestControlsOptions`: `idle` (required), `clock`, `prefix`, `endpoint`.
 * @throws Error when `NODE_ENV` is `production`; TypeError when `idle` is missing, its clock is not a
 *   `TestClock`, or a prefix is not a path such as `/__idle-session-test`.
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000, clock: new TestClock() });
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(testControls({ idle })); // tests only
 * app.use(idle);
 * ```
 */
export function testControls(options: TestControlsOptions): ExpressTestControls {
  const core = new ControlsCore('testControls() (Express)', options);
  const idle = options.idle as unknown as { signOut(req: IncomingMessage): Promise<void> };
  const middleware = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const decision = core.decide({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      header: (name) => {
        const value = req.headers[name.toLowerCase()];
        return Array.isArray(value) ? value[0] : value;
      },
    });
    switch (decision.action) {
      case 'pass':
        return next();
      case 'drop':
        req.socket.destroy();
        return;
      case 'answer':
        return answer(res, decision.status, decision.body, req.method ?? 'GET');
      case 'sign-out':
        idle.signOut(req).then(() => answer(res, 200, core.state(), 'POST'), next);
        return;
    }
  }) as ExpressTestControls;
  return withControls(middleware, core);
}
