/**
 * `@idle-session/testing/playwright`: the browser helpers, run in a Playwright (or Puppeteer) page
 * from a Node-side test. See {@link idleSessionTest}.
 *
 * @packageDocumentation
 */
import { runInPage, type DrivableState, type DriveOptions, type DriveResult, type PageCommand } from './browser.js';
import type { ControlsState, UnreachableMode } from './controls.js';

export type { DrivableState, DriveOptions, DriveResult } from './browser.js';
export type { ControlsState, UnreachableMode } from './controls.js';

/** The part of a Playwright (or Puppeteer) `Page` the wrapper uses: evaluating an expression. */
export interface PageLike {
  evaluate(expression: string): Promise<unknown>;
}

/** Options of {@link idleSessionTest}: the defaults of every call. */
export interface IdleSessionTestOptions extends DriveOptions {
  /** The element's CSS selector. Default `idle-session-warning`. */
  selector?: string | undefined;
}

/** What {@link idleSessionTest} returns: each method runs in the page. */
export interface IdleSessionTest {
  /** As `driveTo(el, state)` of `@idle-session/testing/browser`, on the element the selector finds. */
  driveTo(state: DrivableState, options?: DriveOptions): Promise<DriveResult>;
  /** Resolves once the element's `state` is `state`; rejects after `timeoutMs`, naming both. */
  waitForState(state: string, options?: Pick<DriveOptions, 'timeoutMs'>): Promise<DriveResult>;
  /** The element's `state` now. */
  state(): Promise<string>;
  /** `GET now` of the controls. */
  now(): Promise<ControlsState>;
  /** Moves the server's clock forward by `ms` milliseconds. */
  advance(ms: number): Promise<ControlsState>;
  /** Sets the server's clock to `epochMs`. */
  set(epochMs: number): Promise<ControlsState>;
  /** The real time again, and the adapter's endpoints answer again: call it after each test. */
  reset(): Promise<ControlsState>;
  /** The adapter's endpoints fail (`true`) or answer again (`false`). */
  unreachable(on: boolean, mode?: UnreachableMode): Promise<ControlsState>;
  /** Ends the page's session through the controls (the page's cookie). */
  signOut(): Promise<ControlsState>;
}

/**
 * The browser helpers for a Playwright page (also a Puppeteer page: anything with
 * `evaluate(expression)`): every call runs in the page, with its origin and cookies, so the page
 * must be on the app that mounted `testControls()`.
 *
 * @param page - the page showing `<idle-session-warning>`.
 * @param defaults - options for every call; see {@link IdleSessionTestOptions}.
 *
 * @example
 * ```ts
 * const session = idleSessionTest(page);
 * await session.driveTo('warning');
 * expect(await session.state()).toBe('warning');
 * await session.reset();
 * ```
 */
export function idleSessionTest(page: PageLike, defaults: IdleSessionTestOptions = {}): IdleSessionTest {
  const { selector, ...options } = defaults;
  const source = runInPage.toString();
  const run = async <T>(command: PageCommand): Promise<T> =>
    (await page.evaluate(`(${source})(null, ${JSON.stringify(command)})`)) as T;
  const control = (name: Extract<PageCommand, { kind: 'control' }>['name'], query?: string) =>
    run<ControlsState>({ kind: 'control', name, query, options });
  return {
    driveTo: (state, more) => run({ kind: 'drive', selector, state, options: { ...options, ...more } }),
    waitForState: (state, more) => run({ kind: 'wait', selector, state, options: { ...options, ...more } }),
    state: () => page.evaluate(`document.querySelector(${JSON.stringify(selector ?? 'idle-session-warning')})?.state ?? null`) as Promise<string>,
    now: () => control('now'),
    advance: (ms) => control('advance', `?ms=${encodeURIComponent(ms)}`),
    set: (epochMs) => control('set', `?at=${encodeURIComponent(epochMs)}`),
    reset: () => control('reset'),
    unreachable: (on, mode = 'close') => control('unreachable', `?on=${on ? 1 : 0}&mode=${mode}`),
    signOut: () => control('sign-out'),
  };
}
