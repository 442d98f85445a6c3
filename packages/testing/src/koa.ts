/**
 * `@idle-session/testing/koa`: the test controls for a Koa app on `@idle-session/koa`. Mount them in
 * tests only, after koa-session and before the adapter. See {@link testControls}.
 *
 * @packageDocumentation
 */
import type { IncomingMessage } from 'node:http';
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

/** The part of a Koa context the controls use. */
export interface KoaContextLike {
  readonly method: string;
  /** The path relative to where the middleware is mounted (koa-mount), without the query. */
  readonly path: string;
  readonly querystring: string;
  readonly req: IncomingMessage;
  status: number;
  body: unknown;
  respond?: boolean | undefined;
  get(field: string): string;
  set(field: string, value: string): void;
}

/** The Koa middleware returned by {@link testControls}, with the same switches for Node-side tests. */
export interface KoaTestControls {
  (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void>;
  /** The clock the controls move (the adapter's). */
  readonly clock: TestClock;
  /** Whether the adapter's endpoints fail as if the server could not be reached. */
  readonly unreachable: boolean;
  /** Makes the adapter's `status` and `keepalive` fail (`on`), by closing the connection or with a 503 (`mode`, default `'close'`). */
  setUnreachable(on: boolean, mode?: UnreachableMode): void;
  /** Back to the real time; the endpoints answer again. */
  reset(): void;
}

function answer(ctx: KoaContextLike, status: number, body: unknown): void {
  ctx.status = status;
  for (const [name, value] of Object.entries(CONTROL_HEADERS)) ctx.set(name, value);
  ctx.body = JSON.stringify(body);
}

/**
 * Test controls for a Koa app: a middleware that answers, under `prefix` (default
 * `/__idle-session-test`), `GET now`, `POST advance?ms=N`, `POST set?at=epochMs`, `POST reset`,
 * `POST unreachable?on=1|0[&mode=close|503]` and `POST sign-out` (every `POST` with the header
 * `X-Idle-Session-Test: 1`), each with a JSON `ControlsState`. While unreachable, the adapter's
 * `{endpoint}/status` and `{endpoint}/keepalive` fail as if the server could not be reached. Control
 * requests never reach the adapter, so they are never activity.
 *
 * Mount it only in tests, **after koa-session** (`sign-out` needs the session) **and before the
 * adapter** (the unreachable switch must answer before it).
 *
 * @param options - see `TestControlsOptions`: `idle` (required), `clock`, `prefix`, `endpoint`.
 * @throws Error when `NODE_ENV` is `production`; TypeError when `idle` is missing, its clock is not a
 *   `TestClock`, or a prefix is not a path such as `/__idle-session-test`.
 *
 * @example
 * ```ts
 * const idle = idleSession({ idleTimeout: 15 * 60_000, clock: new TestClock() });
 * app.use(session({ maxAge: 'session', store: new MemoryStore({ policy: idle.policy }) }, app));
 * app.use(testControls({ idle })); // tests only
 * app.use(idle);
 * ```
 */
export function testControls(options: TestControlsOptions): KoaTestControls {
  const core = new ControlsCore('testControls() (Koa)', options);
  const idle = options.idle as unknown as { signOut(ctx: KoaContextLike): Promise<void> };
  const middleware = (async (ctx: KoaContextLike, next: () => Promise<unknown>) => {
    const decision = core.decide({
      method: ctx.method,
      path: ctx.path,
      query: new URLSearchParams(ctx.querystring),
      header: (name) => ctx.get(name) || undefined,
    });
    switch (decision.action) {
      case 'pass':
        await next();
        return;
      case 'drop':
        ctx.respond = false;
        ctx.req.socket.destroy();
        return;
      case 'answer':
        answer(ctx, decision.status, decision.body);
        return;
      case 'sign-out':
        await idle.signOut(ctx);
        answer(ctx, 200, core.state());
        return;
    }
  }) as KoaTestControls;
  return withControls(middleware, core);
}
