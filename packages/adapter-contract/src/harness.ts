import type { Clock } from '@idle-session/core';

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
 * Max-Age/Expires, HttpOnly, SameSite=Lax), the given options, `isActivity` excluding `/background`,
 * and these app routes (relative to `url`):
 *
 * | route | does |
 * | --- | --- |
 * | `POST sign-in` | the adapter's sign-in, then stores a user; answers 200 `{"ok":true}` |
 * | `POST sign-out` | the adapter's sign-out; 200 `{"ok":true}` |
 * | `GET page` | an ordinary request; 200 `{"endedReason": "idle" \| "absolute" \| null}` |
 * | `GET background` | the app's own polling, excluded from activity by `isActivity`; 200 `{"ok":true}` |
 * | `POST tamper` | test-only: replaces the stored idle-session record with the JSON request body; 200 |
 * | `GET protected` | behind the adapter's protected-route guard with `loginUrl: '/login'`; 200 `{"ok":true}` |
 */
export interface AdapterTarget {
  name: string;
  start(options: HarnessOptions): Promise<RunningApp>;
}
