import { IdlePolicyError, SessionEndedError, type AuditHook, type Clock, type SessionLimits } from '@idle-session/core';

/** The policy and settings the suite asks a harness to start an app with. Durations in milliseconds. */
export interface HarnessOptions {
  idleTimeout: number;
  warnBefore: number;
  absoluteTimeout?: number;
  touchInterval?: number;
  /** Endpoint prefix to pass to the adapter; `undefined` means the adapter's default (`/idle-session`). */
  prefix?: string;
  /** The clock the adapter must use (pass it as the `clock` option). The suite moves it. */
  clock: Clock;
  /**
   * When set (such as `/app`), the whole test app (session middleware, adapter and routes) is mounted
   * under this path of an outer app, and `RunningApp.url` ends with it and a slash.
   */
  basePath?: string;
  /**
   * Trust one TLS-terminating proxy in front (`X-Forwarded-Proto`): Express `app.set('trust proxy', 1)`,
   * Koa `app.proxy = true`. Default `false`.
   */
  trustProxy?: boolean;
  /**
   * The session cookie's `Secure` setting: `'auto'` follows the request (express-session `secure: 'auto'`,
   * koa-session `secure` unset), `'always'` is `secure: true` for both. Default: never `Secure` (express-session's
   * default, and koa-session `secure: false`), so that every app answers the same.
   */
  secureCookie?: 'auto' | 'always';
  /** The adapter's `audit` option (pass it on as it is). */
  audit?: AuditHook;
}

/** A running test app. */
export interface RunningApp {
  /** Base URL, such as `http://127.0.0.1:53211/`. When the app is mounted under a sub-path, include it with a trailing slash. */
  url: string;
  close(): Promise<void>;
}

/**
 * What an adapter's test file provides: a name and a function that starts a real HTTP server on
 * 127.0.0.1 with the adapter mounted after the framework's session middleware (session cookie without
 * Max-Age/Expires, HttpOnly, SameSite=Lax), the given options, `isActivity` excluding `/background`
 * and any request with the query `background=1`, and these app routes (relative to `url`):
 *
 * | route | does |
 * | --- | --- |
 * | `POST sign-in` | the adapter's sign-in, then stores `user: 'demo'` and `profile: { visits: 0 }`; answers 200 `{"ok":true}`. With the query `idle`, `absolute` or `warn` (milliseconds, read by {@link limitsFromQuery}), the sign-in gets those per-session limits; an `IdlePolicyError` is answered by {@link answerCaught} (400 `{"error":400,"option":…}`) |
 * | `POST sign-out` | the adapter's sign-out (with `?clear=1`: `{ clearSiteData: true }`); 200 `{"ok":true}` |
 * | `GET page` | an ordinary request; 200 `{"endedReason": "idle" \| "absolute" \| null, "visits": n \| null}` (`session.profile.visits`) |
 * | `GET background` | the app's own polling, excluded from activity by `isActivity`; 200 `{"ok":true}` |
 * | `POST tamper` | test-only: replaces the stored idle-session record with the JSON request body; 200 |
 * | `GET protected` (and `POST`) | behind the adapter's protected-route guard with `loginUrl: '/login'`; 200 `{"ok":true}` |
 * | `GET login` | the login page: 200 `{"endedReason": …}`, never guarded |
 * | `GET writes` | 200 `{"writes": n}`: how many times a session was saved so far (store writes, or session cookies set when cookie-only) |
 * | `GET slow?id=X` | an ordinary request that, once the adapter has run, waits until `POST release?id=X`, then (with `&mutate=1`) adds 1 to `session.profile.visits` in place, and answers 200 `{"ok":true}` (a slow request); with `&confirm=1` it calls the adapter's `confirmActive()` first and answers a `SessionEndedError` with 409 `{"ended": reason}`. `POST slow?…` does the same (its body, an upload, is not read) |
 * | `GET form` | behind the guard (`loginUrl: '/login'`), then the framework's usual CSRF protection (Express: csrf-sync; Koa: koa-csrf), a synchronizer token kept in the session: 200 `{"token": …}` |
 * | `POST form` | behind the guard, then the CSRF check of the token in the `X-CSRF-Token` header (403 without a valid one): 200 `{"ok":true}` |
 * | `GET stream` | an event stream (`text/event-stream`): answers at once (`: open`), then, when the adapter's `sessionSignal()` aborts, sends `event: ended` with `data: <reason>` (the `SessionEndedError`'s) and ends |
 * | `GET waiting?id=X` | 200 `{"waiting": true}` while `slow?id=X` is waiting, else `{"waiting": false}` |
 * | `POST release?id=X` | lets `slow?id=X` finish; 200 `{"ok":true}` |
 * | `POST limits?idle=&absolute=&warn=` | the adapter's `setLimits()` with the limits of {@link limitsFromQuery} (`{}` without any), and `{ allowLonger: true }` with `&longer=1`; 200 `{"ok":true}`, or what {@link answerCaught} answers for its error |
 * | `POST activity` | the adapter's `recordActivity()`; 200 `{"ok":true,"idleRemainingMs":n}` (the evaluation it returns), or what {@link answerCaught} answers |
 * | `POST handle?id=X` | takes the adapter's `activityHandle()` for the request's session and keeps it under `X` in {@link SlowRequests.handles}; 200 `{"sessionId": …}` (the handle's) |
 * | `POST handle-touch?id=X` | (sent without a cookie, after the request that took it ended) `touch()` of the handle kept under `X`; 200 `{"ok":true,"idleRemainingMs":n}`, or what {@link answerCaught} answers |
 *
 * {@link SlowRequests} implements `slow`, `waiting` and `release` for any framework, and keeps the handles.
 *
 * The suite compares whole answers (status, body, every header) across adapters, so the app's own
 * answers must be the same on every framework, and any difference left is the adapter's:
 * - every JSON answer of the app's routes is written as `Content-Type: application/json; charset=utf-8`
 *   with `Content-Length` and no other header of the app's (no `ETag`, no `X-Powered-By`);
 * - a path no route takes answers 404 `{"error":404}`, the same way;
 * - an error the app's code or a library throws (such as the CSRF protection's 403) is answered by the
 *   app's error handler with the error's `status` (500 without one), its `headers` (such as a
 *   `StoreUnavailableError`'s `Retry-After`), and the JSON body `{"error": status}`;
 * - the event stream of `GET stream` has `Content-Type: text/event-stream; charset=utf-8` and
 *   `Cache-Control: no-store`.
 */
export interface AdapterTarget {
  name: string;
  start(options: HarnessOptions): Promise<RunningApp>;
  /**
   * Where the app keeps sessions: `'store'` (a server-side store; the default) or `'cookie'` (the session
   * data in the cookie itself, such as koa-session without a store). The only differences of whole
   * answers allowed between adapters are per mode (`MODE_EXCEPTIONS` in `golden.ts`), never per framework.
   */
  mode?: SessionMode;
  /**
   * The name of the session cookie, shown as `<session>` in the recorded answers. Default: express-session's
   * `connect.sid` and koa-session's `koa.sess` (with its signature cookie `koa.sess.sig`).
   */
  sessionCookie?: string;
}

/** Where an app keeps its sessions: in a server-side store, or in the cookie itself. */
export type SessionMode = 'store' | 'cookie';

/**
 * The per-session limits of a test app's request, from its query (`idle`, `absolute`, `warn`: milliseconds,
 * as `Number()` reads them, so `idle=x` gives `NaN`), or `undefined` when it names none.
 */
export function limitsFromQuery(query: Readonly<Record<string, unknown>>): SessionLimits | undefined {
  const limits: Record<string, number> = {};
  const params = [
    ['idle', 'idleTimeout'],
    ['absolute', 'absoluteTimeout'],
    ['warn', 'warnBefore'],
  ] as const;
  for (const [param, name] of params) if (typeof query[param] === 'string') limits[name] = Number(query[param]);
  return Object.keys(limits).length > 0 ? limits : undefined;
}

/**
 * How every test app answers the errors of the per-session routes: an `IdlePolicyError` with 400
 * `{"error":400,"option":<the value it names>}`, a `SessionEndedError` with 409 `{"ended":<reason>}`;
 * `null` for any other error (the app's error handler answers it).
 */
export function answerCaught(error: unknown): { status: number; body: unknown } | null {
  if (error instanceof IdlePolicyError) return { status: 400, body: { error: 400, option: error.option } };
  if (error instanceof SessionEndedError) return { status: 409, body: { ended: error.reason } };
  return null;
}

/** The waiting room behind the harness routes `slow`, `waiting` and `release`. Framework-free. */
export class SlowRequests {
  readonly #waiting = new Map<string, () => void>();
  /**
   * The activity handles the route `POST handle?id=X` took, by `X`, shared by every instance of one app
   * (as the waiting room is), so `POST handle-touch?id=X` finds them on any instance.
   */
  readonly handles = new Map<string, unknown>();

  /** Called by `GET slow?id=X`: resolves when `release(id)` is called. */
  wait(id: string): Promise<void> {
    return new Promise((resolve) => this.#waiting.set(id, resolve));
  }

  /** Answers `GET waiting?id=X`. */
  isWaiting(id: string): boolean {
    return this.#waiting.has(id);
  }

  /** Called by `POST release?id=X`. */
  release(id: string): void {
    this.#waiting.get(id)?.();
    this.#waiting.delete(id);
  }
}
