/**
 * `@idle-session/testing/browser`: drive `<idle-session-warning>` into each state from a browser
 * test (web-test-runner, vitest browser mode, or any page), against an app that mounted the test
 * controls (`testControls()` of `@idle-session/testing/express` or `/koa`). No dependencies; plain ES2022.
 *
 * @packageDocumentation
 */
export { controlsClient, type ControlsClient, type ControlsClientOptions } from './client.js';
export type { ControlsState, UnreachableMode } from './controls.js';

/** The states {@link driveTo} can drive the element into. */
export type DrivableState = 'warning' | 'expired' | 'signed-out' | 'unreachable';

/** The part of `<idle-session-warning>` the helpers use (`IdleSessionWarning` of `@idle-session/element`). */
export interface IdleSessionElementLike extends Element {
  /** `none`, `active`, `warning`, `expired`, `signed-out`, `unreachable` or `other-session`. */
  readonly state: string;
  /** Milliseconds left by the last server answer (`null` outside `active`, `warning`, `unreachable`). */
  readonly remainingMs: number | null;
  /** The adapter's endpoint prefix the element talks to. */
  readonly endpoint?: string;
  /** Asks the status endpoint again; never extends. */
  refresh(): void;
}

/** Options of {@link driveTo}. Durations in milliseconds. */
export interface DriveOptions {
  /** Where the test controls answer. Default `/__idle-session-test`. */
  controls?: string | undefined;
  /** The adapter's endpoint prefix. Default: the element's `endpoint`, else `/idle-session`. */
  endpoint?: string | undefined;
  /** How long to wait for each change of the element before failing. Default 10 000. */
  timeoutMs?: number | undefined;
  /**
   * For `warning`: how much time is left when the warning shows. Default `warnBeforeMs` less one
   * second (less half of it, when it is under two seconds). At most `warnBeforeMs`.
   */
  remainingMs?: number | undefined;
  /**
   * For `unreachable`: how long before the deadline the server stops answering. The element reaches
   * `unreachable` when it finds the server gone at its deadline, so this is real time the drive
   * takes. Default 1 000 (at most half of `warnBeforeMs`).
   */
  leadMs?: number | undefined;
}

/** What {@link driveTo} resolves with. */
export interface DriveResult {
  /** The element's state now (the one asked for). */
  state: string;
  /** The element's `remainingMs` now. */
  remainingMs: number | null;
  /** How far the drive moved the server's clock, in milliseconds. */
  advancedMs: number;
}

/** One request to {@link runInPage} (internal: the playwright wrapper sends these). */
export type PageCommand =
  | { kind: 'drive'; selector?: string | undefined; state: DrivableState; options?: DriveOptions | undefined }
  | { kind: 'wait'; selector?: string | undefined; state: string; options?: DriveOptions | undefined }
  | { kind: 'control'; name: 'now' | 'advance' | 'set' | 'reset' | 'unreachable' | 'sign-out'; query?: string | undefined; options?: DriveOptions | undefined };

/**
 * Everything the helpers do in a page, in one self-contained function (no imports, no outer
 * variables), so that the playwright wrapper can send its source with `page.evaluate`. Internal: use
 * {@link driveTo}, `controlsClient()` or `idleSessionTest(page)`.
 * @param el - the element, or `null` to find it by `command.selector`.
 */
export async function runInPage(el: IdleSessionElementLike | null, command: PageCommand): Promise<unknown> {
  const options = command.options ?? {};
  const base = (options.controls ?? '/__idle-session-test').replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const fail = (message: string): never => {
    throw new Error(`@idle-session/testing: ${message}`);
  };
  const control = async (name: string, query = ''): Promise<{ now: number; offsetMs: number; unreachable: boolean }> => {
    const method = name === 'now' ? 'GET' : 'POST';
    const url = `${base}/${name}${query}`;
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers: method === 'POST' ? { Accept: 'application/json', 'X-Idle-Session-Test': '1' } : { Accept: 'application/json' },
    });
    const text = await response.text();
    if (!response.ok) fail(`${method} ${url} answered ${response.status}: ${text.replace(/\s+/g, ' ').slice(0, 200)}. Are the test controls (testControls()) mounted there, before the adapter?`);
    return JSON.parse(text);
  };
  if (command.kind === 'control') return control(command.name, command.query);

  const element =
    el ?? (document.querySelector(command.selector ?? 'idle-session-warning') as IdleSessionElementLike | null) ?? fail(`no element matches ${JSON.stringify(command.selector ?? 'idle-session-warning')} in this page.`);
  const endpoint = (options.endpoint ?? element.endpoint ?? '/idle-session').replace(/\/+$/, '');
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const waitFor = async (what: string, done: () => boolean, ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (!done()) {
      if (Date.now() > until) fail(`the element did not reach ${what} within ${ms} ms: it is in "${element.state}" (remainingMs ${element.remainingMs}).`);
      await sleep(20);
    }
  };
  if (typeof element.refresh !== 'function') {
    // Not upgraded yet: wait for the bundle to define it.
    await Promise.race([customElements.whenDefined(element.localName), sleep(timeoutMs)]);
    if (typeof element.refresh !== 'function') fail(`<${element.localName}> is not defined after ${timeoutMs} ms: is the element's bundle loaded in this page?`);
  }
  if (command.kind === 'wait') {
    await waitFor(`"${command.state}"`, () => element.state === command.state, timeoutMs);
    return { state: element.state, remainingMs: element.remainingMs, advancedMs: 0 };
  }
  const target = command.state;
  const live = () => element.state === 'active' || element.state === 'warning' || element.state === 'unreachable';
  if (element.state === target) return { state: element.state, remainingMs: element.remainingMs, advancedMs: 0 };
  // The element must know the session first (it asks the server when it connects).
  await waitFor('a signed-in state (active, warning or unreachable); sign in before driving it', live, timeoutMs);
  const response = await fetch(`${endpoint}/status`, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
  const status = await response.json().catch(() => null);
  if (status?.state !== 'active') {
    fail(`cannot drive to "${target}": GET ${endpoint}/status answered ${response.status} ${JSON.stringify(status)}, not an active session.`);
  }
  const { remainingMs, warnBeforeMs } = status as { remainingMs: number; warnBeforeMs: number };
  let advancedMs = 0;
  const advance = async (ms: number) => {
    const by = Math.max(0, Math.ceil(ms));
    if (by > 0) await control('advance', `?ms=${by}`);
    advancedMs += by;
  };
  switch (target) {
    case 'warning': {
      const left = options.remainingMs ?? warnBeforeMs - Math.min(1_000, warnBeforeMs / 2);
      if (!(left > 0 && left <= warnBeforeMs)) fail(`remainingMs must be more than 0 and at most warnBeforeMs (${warnBeforeMs}), got ${left}.`);
      await advance(remainingMs - left);
      element.refresh();
      await waitFor('"warning"', () => element.state === 'warning' && (element.remainingMs ?? Infinity) <= left, timeoutMs);
      break;
    }
    case 'expired':
      await advance(remainingMs + 1_000);
      element.refresh();
      await waitFor('"expired"', () => element.state === 'expired', timeoutMs);
      break;
    case 'signed-out':
      await control('sign-out');
      element.refresh();
      await waitFor('"signed-out"', () => element.state === 'signed-out', timeoutMs);
      break;
    case 'unreachable': {
      const lead = Math.min(options.leadMs ?? 1_000, warnBeforeMs / 2);
      if (!(lead > 0)) fail(`leadMs must be more than 0, got ${options.leadMs}.`);
      // A deadline `lead` away, then a server that no longer answers: at the deadline the element finds it gone.
      await advance(remainingMs - lead);
      element.refresh();
      await waitFor('"warning" with the new deadline', () => element.state === 'warning' && (element.remainingMs ?? Infinity) <= lead, timeoutMs);
      await control('unreachable', '?on=1');
      await waitFor('"unreachable"', () => element.state === 'unreachable', lead + timeoutMs);
      break;
    }
    default:
      fail(`cannot drive to ${JSON.stringify(target)}: use "warning", "expired", "signed-out" or "unreachable".`);
  }
  return { state: element.state, remainingMs: element.remainingMs, advancedMs };
}

/**
 * Drives the element into `state` by moving the server's clock through the test controls, then
 * `el.refresh()`, and resolves once `el.state` is `state`:
 *
 * - `warning`: the clock moves to `remainingMs` (option) before the deadline;
 * - `expired`: the clock moves one second past the deadline (the reason is `idle`, or `absolute`
 *   when the maximum session length came first);
 * - `signed-out`: the controls end the session (`POST sign-out`), as a sign-out in another tab or by
 *   an administrator would;
 * - `unreachable`: the clock moves to `leadMs` before the deadline, the adapter's endpoints stop
 *   answering, and the element finds the server gone at its deadline (`leadMs` of real time).
 *
 * The session must be active (signed in) and the element must have heard from the server. Call
 * `controlsClient().reset()` after each test: the clock and the unreachable switch stay as they are.
 *
 * @param el - the `<idle-session-warning>` element.
 * @param state - the state to reach.
 * @param options - see {@link DriveOptions}.
 * @throws (rejects) Error naming the state it expected and the one the element is in, when it does
 *   not get there within `timeoutMs`; when the session is not active; when the controls are not mounted.
 */
export async function driveTo(el: IdleSessionElementLike, state: DrivableState, options: DriveOptions = {}): Promise<DriveResult> {
  return (await runInPage(el, { kind: 'drive', state, options })) as DriveResult;
}

/**
 * Resolves once `el.state` is `state` (polled every 20 ms), for states the page reaches by itself,
 * such as `active` after **Stay signed in**.
 * @param options - `timeoutMs` (default 10 000).
 * @throws (rejects) Error naming both states, after `timeoutMs`.
 */
export async function waitForState(el: IdleSessionElementLike, state: string, options: Pick<DriveOptions, 'timeoutMs'> = {}): Promise<DriveResult> {
  return (await runInPage(el, { kind: 'wait', state, options })) as DriveResult;
}
