import FakeTimers from '@sinonjs/fake-timers';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';

// Captured before any test installs fake timers: real time lets BroadcastChannel and storage events arrive.
const realSetTimeout = window.setTimeout.bind(window);

/** Waits real (not fake) milliseconds. */
export function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/** A browser tab: a same-origin iframe with its own document, window and element, registered by its own copy of the module. */
export interface Tab {
  readonly frame: HTMLIFrameElement;
  readonly win: Window & typeof globalThis;
  readonly el: IdleSessionWarning;
  /** With `freezable`: the tab's own fake clock, which stands still while the tab is frozen. */
  readonly clock?: InstalledClock;
  /** With `freezable`: stops (`true`) or resumes (`false`) delivery of cross-tab messages, as the browser does for a frozen page. */
  readonly setFrozen?: (frozen: boolean) => void;
}

const SHARED_GLOBALS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance', 'fetch'] as const;

/**
 * Opens a "tab": an iframe that loads `src/define.ts` itself, then shares this page's fake clock and
 * fake server (its timers, `Date`, `performance` and `fetch` become this page's fakes) before the
 * element connects. Its BroadcastChannel (or `storage` events) are real.
 * @param options.noBroadcastChannel - remove `BroadcastChannel` in the tab, to exercise the `storage` fallback.
 */
export async function openTab(options: { noBroadcastChannel?: boolean; freezable?: boolean } = {}): Promise<Tab> {
  const frame = document.createElement('iframe');
  frame.srcdoc = '<!doctype html><html lang="en"><title>tab</title><body><input id="field"><script type="module" src="/src/define.ts"></script></body></html>';
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.append(frame);
  await loaded;
  const win = frame.contentWindow as Window & typeof globalThis;
  for (let i = 0; i < 200 && !win.customElements.get('idle-session-warning'); i++) await realDelay(10);
  const shared = win as unknown as Record<string, unknown>;
  let clock: InstalledClock | undefined;
  let setFrozen: ((frozen: boolean) => void) | undefined;
  if (options.freezable) {
    // Its own clock (started at this page's time) and a channel whose deliveries can be held back.
    clock = FakeTimers.withGlobal(win).install({
      now: Date.now(),
      toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
    });
    shared.fetch = window.fetch;
    let frozen = false;
    const held: Array<() => void> = [];
    setFrozen = (value) => {
      frozen = value;
      if (!frozen) for (const deliver of held.splice(0)) deliver();
    };
    const Native = win.BroadcastChannel;
    shared.BroadcastChannel = class extends Native {
      override addEventListener(type: string, listener: EventListenerOrEventListenerObject, opts?: boolean | AddEventListenerOptions): void {
        const call = (event: Event) => (typeof listener === 'function' ? listener.call(this, event) : listener.handleEvent(event));
        super.addEventListener(type, (event) => (frozen ? held.push(() => call(event)) : call(event)), opts);
      }
    };
  } else {
    for (const name of SHARED_GLOBALS) shared[name] = (window as unknown as Record<string, unknown>)[name];
  }
  if (options.noBroadcastChannel) shared.BroadcastChannel = undefined;
  // A real sign-out would navigate the tab away; here it only records the form.
  win.HTMLFormElement.prototype.submit = function submit(this: HTMLFormElement) {
    this.dataset.submitted = 'true';
  };
  const el = win.document.createElement('idle-session-warning') as IdleSessionWarning;
  win.document.body.append(el);
  return { frame, win, el, clock, setFrozen };
}

/** Lets pending fetches, cross-tab messages and renders finish, without moving the fake clock far. */
export async function settleTabs(clock: InstalledClock, tabs: readonly Tab[]): Promise<void> {
  for (let i = 0; i < 3; i++) await clock.tickAsync(0);
  await realDelay(2);
  for (let i = 0; i < 4; i++) await clock.tickAsync(0);
  for (const tab of tabs) await tab.el.updateComplete;
}

/**
 * Moves the fake clock on by `ms` in steps (1 s by default), letting messages between tabs arrive
 * after each step, as they would within milliseconds in a real browser.
 */
export async function runTabs(clock: InstalledClock, tabs: readonly Tab[], ms: number, step = 1_000): Promise<void> {
  for (let done = 0; done < ms; done += step) {
    await clock.tickAsync(Math.min(step, ms - done));
    await settleTabs(clock, tabs);
  }
}

/** The user presses a key in this tab. */
export function typeIn(tab: Tab): void {
  tab.win.dispatchEvent(new tab.win.KeyboardEvent('keydown', { key: 'a' }));
}

/**
 * Closes a tab: its element disconnects first (as its document goes away), since its timers live
 * on this page's shared fake clock and would otherwise outlive the iframe.
 */
export function closeTab(tab: Tab): void {
  tab.el.remove();
  tab.frame.remove();
}

export function closeTabs(tabs: readonly Tab[]): void {
  for (const tab of tabs) closeTab(tab);
}
