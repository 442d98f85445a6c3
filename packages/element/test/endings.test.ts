import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import { resetMouse, sendMouse } from '@web/test-runner-commands';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import type { TemplateResult } from 'lit';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import type { IdleSessionExpiredEvent } from '../src/events.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, part, settle, START, text, watchErrors } from './helpers.js';
import { realDelay } from './tabs.js';
import { LOCALE_LOADERS } from '../src/strings.js';

// Mocha's `before` (not in mocha-globals.d.ts).
declare function before(fn: () => void | Promise<void>): void;

const SECOND = 1_000;
const CHANNEL = 'idle-session /idle-session';
const DRAFT_PREFIX = 'idle-session-draft:';
/** Default FakeServer policy: idle 15 min, warn 2 min, so the warning is due 13 min after load. */
const WARN_AT = 13 * MINUTE;
const TITLE = 'Notes – Demo';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;
let peers: BroadcastChannel[];
let originalTitle: string;

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
  peers = [];
  originalTitle = document.title;
});

afterEach(() => {
  for (const peer of peers) peer.close();
  fixtureCleanup();
  // Back to the real `document.visibilityState` (the prototype's getter).
  delete (document as unknown as Record<string, unknown>).visibilityState;
  document.title = originalTitle;
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

/** Renders `template` and returns its `<idle-session-warning>` once the first status answer is in. */
async function mount(template: TemplateResult = html`<idle-session-warning></idle-session-warning>`): Promise<IdleSessionWarning> {
  const root = await fixture<HTMLElement>(template);
  const el = (root.localName === 'idle-session-warning' ? root : root.querySelector('idle-session-warning')) as IdleSessionWarning;
  await settle(clock, el);
  return el;
}

/** Another tab on the element's channel; every message it receives is recorded. Closed after the test. */
function peer(): { channel: BroadcastChannel; seen: unknown[] } {
  const channel = new BroadcastChannel(CHANNEL);
  const seen: unknown[] = [];
  channel.onmessage = (event) => seen.push(event.data);
  peers.push(channel);
  return { channel, seen };
}

/** Lets cross-tab messages arrive (real time: BroadcastChannel delivery is a real task), then settles. */
/**
 * Lets channel messages arrive (a real task away, later on a loaded machine) and settles. With
 * `until`, waits (up to 5 s of real time) until it holds; without, waits one short real delay
 * (for "nothing happened" checks).
 */
async function deliver(el: IdleSessionWarning, until?: () => boolean): Promise<void> {
  for (let i = 0; i < 250; i++) {
    await realDelay(20);
    await settle(clock, el);
    if (!until || until()) return;
  }
}

function record<E extends Event>(target: EventTarget, type: string): E[] {
  const events: E[] = [];
  target.addEventListener(type, (e) => events.push(e as E));
  return events;
}

/** Emulates the tab being hidden or shown again (restored in afterEach). */
function setVisibility(state: DocumentVisibilityState, dispatch = true): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  if (dispatch) document.dispatchEvent(new Event('visibilitychange'));
}

/** The alpha channel of a computed colour (`rgb(…)` is 1). */
function alpha(color: string): number {
  const numbers = color.match(/-?[\d.]+/g)?.map(Number) ?? [];
  expect(numbers.length, `a colour: ${color}`).to.be.within(3, 4);
  return numbers.length === 4 ? numbers[3]! : 1;
}

function backdropColor(el: IdleSessionWarning): string {
  return getComputedStyle(dialogOf(el), '::backdrop').backgroundColor;
}

function center(node: Element): [number, number] {
  const box = node.getBoundingClientRect();
  return [box.x + box.width / 2, box.y + box.height / 2];
}

/** `m:ss` of a number of seconds. */
function mss(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

describe('check messages from other tabs', () => {
  it('a check with sessionId null makes an active tab ask GET /status at once and once more 1.5 s later', async () => {
    const el = await mount();
    expect(server.statusCalls).to.have.length(1);
    const { channel } = peer();
    await advance(clock, 10 * SECOND, el);
    const checkAt = Date.now();
    channel.postMessage({ v: 1, type: 'check', sessionId: null });
    await deliver(el, () => server.statusCalls.length === 2);
    expect(server.statusCalls.map((c) => c.at - checkAt)).to.deep.equal([-10 * SECOND, 0]);
    await advance(clock, 1_499, el);
    expect(server.statusCalls).to.have.length(2);
    await advance(clock, 1, el);
    expect(server.statusCalls.map((c) => c.at - checkAt)).to.deep.equal([-10 * SECOND, 0, 1_500]);
    await advance(clock, 10 * SECOND, el);
    expect(server.statusCalls, 'no further requests').to.have.length(3);
    expect(el.state).to.equal('active');
  });

  it('a check when the server says "none" (signed out elsewhere) ends the tab as signed-out', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    const { channel } = peer();
    server.signedOut = true;
    channel.postMessage({ v: 1, type: 'check', sessionId: null });
    await deliver(el, () => el.state === 'signed-out');
    expect(server.statusCalls).to.have.length(2);
    expect(el.getAttribute('state')).to.equal('signed-out');
    expect(text(part(el, 'message'))).to.equal('You have been signed out.');
    expect(dialogOf(el).open).to.equal(true);
    expect(expired.map((e) => e.detail)).to.deep.equal([{ reason: null }]);
    await advance(clock, 5 * SECOND, el);
    expect(server.statusCalls, 'no second check once ended').to.have.length(2);
  });

  it('a check naming the tab\'s own session causes no request', async () => {
    const el = await mount();
    const { channel } = peer();
    channel.postMessage({ v: 1, type: 'check', sessionId: 'session-1' });
    await deliver(el);
    await advance(clock, 3 * SECOND, el);
    expect(server.calls).to.have.length(1);
    expect(el.state).to.equal('active');
  });

  it('status and ended messages naming another session are verified with a status request, never applied', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    const { channel } = peer();
    const body = {
      state: 'active',
      remainingMs: 14 * MINUTE,
      idleRemainingMs: 14 * MINUTE,
      absoluteRemainingMs: null,
      idleTimeoutMs: 15 * MINUTE,
      warnBeforeMs: 2 * MINUTE,
      sessionId: 'session-0',
    };
    channel.postMessage({ v: 1, type: 'status', sessionId: 'session-0', receivedAt: Date.now(), body });
    await deliver(el, () => server.statusCalls.length === 2);
    expect(server.statusCalls).to.have.length(2);
    expect(el.state).to.equal('active');
    await advance(clock, 5 * SECOND, el); // past the second check
    const before = server.statusCalls.length;
    channel.postMessage({ v: 1, type: 'ended', sessionId: 'session-0', reason: 'idle' });
    await deliver(el, () => server.statusCalls.length === before + 1);
    expect(server.statusCalls).to.have.length(before + 1);
    expect(el.state, 'not ended by a message about another session').to.equal('active');
    expect(expired).to.deep.equal([]);
    expect(server.keepAliveCalls).to.deep.equal([]);
  });
});

describe('the page\'s own sign-out tells the other tabs', () => {
  /** Cancels navigation in the bubble phase, after the element's capture listener saw the event. */
  function stayOnPage(target: EventTarget, type: 'submit' | 'click'): void {
    target.addEventListener(type, (event) => event.preventDefault());
  }

  it('submitting a form whose action is logout-url posts check with sessionId null', async () => {
    const el = await mount(
      html`<div><form method="post" action="/logout"><button>Sign out</button></form><idle-session-warning></idle-session-warning></div>`,
    );
    const { seen } = peer();
    const form = el.parentElement!.querySelector('form')!;
    stayOnPage(form, 'submit');
    form.requestSubmit();
    await deliver(el, () => seen.length > 0);
    expect(seen).to.deep.equal([{ v: 1, type: 'check', sessionId: null }]);
  });

  it('clicking a link to logout-url posts check with sessionId null', async () => {
    const el = await mount(html`<div><a href="/logout">Sign out</a><idle-session-warning></idle-session-warning></div>`);
    const { seen } = peer();
    const link = el.parentElement!.querySelector('a')!;
    stayOnPage(link, 'click');
    link.click();
    await deliver(el, () => seen.length > 0);
    expect(seen).to.deep.equal([{ v: 1, type: 'check', sessionId: null }]);
  });

  it('a form to another action posts nothing', async () => {
    const el = await mount(
      html`<div><form method="post" action="/notes/save"><button>Save</button></form><a href="/help">Help</a><idle-session-warning></idle-session-warning></div>`,
    );
    const { seen } = peer();
    const form = el.parentElement!.querySelector('form')!;
    const link = el.parentElement!.querySelector('a')!;
    stayOnPage(form, 'submit');
    stayOnPage(link, 'click');
    form.requestSubmit();
    link.click();
    await deliver(el);
    expect(seen).to.deep.equal([]);
  });
});

describe('announce', () => {
  it('the first status answer posts check with the session\'s id, once', async () => {
    const { seen } = peer();
    const el = await mount();
    await deliver(el, () => seen.length > 0);
    const checks = (): unknown[] => seen.filter((m) => (m as { type: string }).type === 'check');
    expect(checks()).to.deep.equal([{ v: 1, type: 'check', sessionId: 'session-1' }]);
    expect((seen[0] as { type: string }).type, 'the announce comes first').to.equal('check');
    el.refresh();
    await deliver(el);
    expect(server.statusCalls).to.have.length(2);
    expect(checks(), 'later answers announce nothing').to.have.length(1);
  });

  it('a page without a session posts check with sessionId null', async () => {
    server.signedOut = true;
    const { seen } = peer();
    const el = await mount();
    await deliver(el, () => seen.length > 0);
    expect(el.state).to.equal('none');
    expect(seen).to.deep.equal([{ v: 1, type: 'check', sessionId: null }]);
  });
});

describe('other-session', () => {
  it('a tab that already shows signed-out moves to other-session when a page of a newer session announces itself', async () => {
    const el = await mount();
    const { channel } = peer();
    server.signedOut = true;
    channel.postMessage({ v: 1, type: 'check', sessionId: null });
    await deliver(el, () => el.state === 'signed-out');
    // The user signs in again in another tab; its page announces the new session.
    server.signedOut = false;
    server.sessionId = 'session-2';
    const before = server.statusCalls.length;
    channel.postMessage({ v: 1, type: 'check', sessionId: 'session-2' });
    await deliver(el, () => el.state === 'other-session');
    expect(el.getAttribute('state')).to.equal('other-session');
    expect(server.statusCalls, 'asked the server once').to.have.length(before + 1);
    expect(server.keepAliveCalls).to.deep.equal([]);
  });

  it('a newer session in the browser: other-session, "Reload page", no expired event, no keep-alive after', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    // Activity before the switch: its keep-alive names the session the page was built for.
    await advance(clock, 2 * SECOND, el);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    expect(server.keepAliveCalls[0]!.headers.get('X-Idle-Session-Id')).to.equal('session-1');

    // The user signs in again in another tab, whose page announces its session.
    server.sessionId = 'session-2';
    const { channel } = peer();
    channel.postMessage({ v: 1, type: 'check', sessionId: 'session-2' });
    await deliver(el, () => el.state === 'other-session');
    expect(el.getAttribute('state')).to.equal('other-session');
    expect(dialogOf(el).open).to.equal(true);
    expect(text(part(el, 'reload-button'))).to.equal('Reload page');
    expect(text(part(el, 'message'))).to.contain('You signed in again in another tab');
    expect(part(el, 'extend-button')).to.equal(null);
    expect(expired).to.deep.equal([]);

    const calls = server.calls.length;
    for (let i = 0; i < 5; i++) {
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
      await advance(clock, 30 * SECOND, el);
    }
    await advance(clock, 20 * MINUTE, el);
    expect(server.keepAliveCalls).to.have.length(1);
    expect(server.calls.slice(calls).map((c) => `${c.method} ${c.url}`)).to.deep.equal([]);
    expect(el.state).to.equal('other-session');
  });

  it('every keep-alive carries X-Idle-Session-Id of its session', async () => {
    const el = await mount();
    for (let i = 0; i < 3; i++) {
      await advance(clock, 61 * SECOND, el);
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
      await settle(clock, el);
    }
    expect(server.keepAliveCalls).to.have.length(3);
    expect(server.keepAliveCalls.map((c) => c.headers.get('X-Idle-Session-Id'))).to.deep.equal(['session-1', 'session-1', 'session-1']);
  });
});

describe('coming back to the tab', () => {
  beforeEach(() => setVisibility('visible', false));

  it('focus re-checks when the last answer is older than 5 s', async () => {
    const el = await mount();
    await advance(clock, 6 * SECOND, el);
    window.dispatchEvent(new FocusEvent('focus'));
    await settle(clock, el);
    expect(server.statusCalls).to.have.length(2);
  });

  it('focus does not re-check when the last answer is fresh (< 5 s)', async () => {
    const el = await mount();
    await advance(clock, 4 * SECOND, el);
    window.dispatchEvent(new FocusEvent('focus'));
    await settle(clock, el);
    expect(server.statusCalls).to.have.length(1);
  });

  it('visibilitychange to visible re-checks when the last answer is older than 5 s, not when fresh', async () => {
    const el = await mount();
    await advance(clock, 3 * SECOND, el);
    setVisibility('visible');
    await settle(clock, el);
    expect(server.statusCalls, 'fresh').to.have.length(1);
    await advance(clock, 3 * SECOND, el);
    setVisibility('visible');
    await settle(clock, el);
    expect(server.statusCalls, 'older than 5 s').to.have.length(2);
  });

  it('pageshow from the back-forward cache (persisted) always re-checks', async () => {
    const el = await mount();
    await advance(clock, 1 * SECOND, el);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    await settle(clock, el);
    expect(server.statusCalls).to.have.length(2);
    window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: false }));
    await settle(clock, el);
    expect(server.statusCalls, 'a fresh, non-persisted pageshow').to.have.length(2);
  });
});

describe('ended states are opaque', () => {
  it('the backdrop is translucent in warning and opaque in expired', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    const warningAlpha = alpha(backdropColor(el));
    expect(warningAlpha, backdropColor(el)).to.be.greaterThan(0).and.lessThan(1);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(alpha(backdropColor(el)), backdropColor(el)).to.equal(1);
  });

  it('the backdrop is opaque in signed-out', async () => {
    const el = await mount();
    server.signedOut = true;
    el.refresh();
    await settle(clock, el);
    expect(el.state).to.equal('signed-out');
    expect(alpha(backdropColor(el)), backdropColor(el)).to.equal(1);
  });

  it('the backdrop is opaque in other-session', async () => {
    const el = await mount();
    server.sessionId = 'session-2';
    el.refresh();
    await settle(clock, el);
    expect(el.state).to.equal('other-session');
    expect(alpha(backdropColor(el)), backdropColor(el)).to.equal(1);
  });

  it('with keep-page-visible the backdrop stays translucent in expired', async () => {
    const el = await mount(html`<idle-session-warning keep-page-visible></idle-session-warning>`);
    await advance(clock, WARN_AT + 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    const a = alpha(backdropColor(el));
    expect(a, backdropColor(el)).to.be.greaterThan(0).and.lessThan(1);
  });

  it('page content cannot be clicked while ended', async () => {
    const el = await mount(
      html`<div>
        <button id="behind" style="position: fixed; inset-block-start: 0; inset-inline-start: 0; inline-size: 120px; block-size: 40px; margin: 0">Behind</button>
        <idle-session-warning></idle-session-warning>
      </div>`,
    );
    const button = el.parentElement!.querySelector('#behind')!;
    const [x, y] = center(button);
    expect(document.elementFromPoint(x, y), 'reachable while active').to.equal(button);
    await advance(clock, WARN_AT + 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(document.elementFromPoint(x, y)).to.not.equal(button);
  });
});

describe('title cue', () => {
  beforeEach(() => {
    document.title = TITLE;
  });

  it('while hidden, the warning puts m:ss in the title, at most once a second; "Stay signed in" puts it back exactly', async () => {
    const el = await mount();
    setVisibility('hidden');
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    expect(document.title).to.equal(`Signing out in 2:00 · ${TITLE}`);
    const titleElement = document.querySelector('title')!;
    let writes = 0;
    const observer = new MutationObserver((records) => (writes += records.length));
    observer.observe(titleElement, { childList: true, characterData: true, subtree: true });
    const values: string[] = [document.title];
    try {
      for (let i = 0; i < 100; i++) {
        await advance(clock, 100, el);
        if (values[values.length - 1] !== document.title) values.push(document.title);
      }
    } finally {
      observer.disconnect();
    }
    const expected = Array.from({ length: 11 }, (_, i) => `Signing out in ${mss(120 - i)} · ${TITLE}`);
    expect(values).to.deep.equal(expected);
    expect(writes, 'title writes in 10 s').to.be.at.most(10);
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(server.keepAliveCalls).to.have.length(1);
    expect(document.title).to.equal(TITLE);
  });

  it('the title is not touched while the tab is visible, and is restored exactly on return to visible', async () => {
    setVisibility('visible', false);
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    expect(document.title, 'visible: no cue').to.equal(TITLE);
    setVisibility('hidden');
    await advance(clock, 3 * SECOND, el);
    expect(document.title).to.equal(`Signing out in 1:57 · ${TITLE}`);
    setVisibility('visible');
    expect(document.title).to.equal(TITLE);
    await advance(clock, 2 * SECOND, el);
    expect(el.state).to.equal('warning');
    expect(document.title).to.equal(TITLE);
  });

  it('after expiry the title starts with "Signed out"', async () => {
    const el = await mount();
    setVisibility('hidden');
    await advance(clock, WARN_AT + 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(document.title.startsWith('Signed out'), document.title).to.equal(true);
    expect(document.title).to.equal(`Signed out · ${TITLE}`);
  });

  it('a title the app sets while the cue is shown is the one put back', async () => {
    const el = await mount();
    setVisibility('hidden');
    await advance(clock, WARN_AT, el);
    expect(document.title).to.equal(`Signing out in 2:00 · ${TITLE}`);
    document.title = 'Inbox (3) – Demo';
    await advance(clock, 1 * SECOND, el);
    expect(document.title).to.equal('Signing out in 1:59 · Inbox (3) – Demo');
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(document.title).to.equal('Inbox (3) – Demo');
  });
});

describe('unseen element', () => {
  it('inside display: none it warns once in the console and shows the countdown in the title of a visible tab', async () => {
    setVisibility('visible', false);
    document.title = TITLE;
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const el = await mount(html`<div style="display: none"><idle-session-warning></idle-session-warning></div>`);
      expect(el.state).to.equal('active');
      expect(warnings, 'nothing while active').to.deep.equal([]);
      await advance(clock, WARN_AT, el);
      expect(el.state).to.equal('warning');
      await advance(clock, 5 * SECOND, el);
      expect(warnings).to.have.length(1);
      expect(String(warnings[0]![0])).to.contain('display: none');
      expect(document.visibilityState).to.equal('visible');
      expect(document.title).to.equal(`Signing out in 1:55 · ${TITLE}`);
    } finally {
      console.warn = original;
    }
  });
});

describe('drafts (keep-drafts, draft-owner)', () => {
  before(async () => {
    await import('../src/drafts.js');
  });

  const keys = (): string[] =>
    Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i)!)
      .filter((k) => k.startsWith(DRAFT_PREFIX))
      .sort();

  beforeEach(() => sessionStorage.clear());
  afterEach(() => sessionStorage.clear());

  it('on the first active status: drops other owners\' and too old drafts, restores its own fresh one', async () => {
    const now = Date.now();
    const save = (path: string, owner: string | null, ageMs: number, fields: unknown[] = [{ key: 'notes|body', value: 'x' }]): void =>
      sessionStorage.setItem(DRAFT_PREFIX + path, JSON.stringify({ owner, savedAt: now - ageMs, fields }));
    save('/other-user', 'u2', 1 * MINUTE);
    save('/anonymous', null, 1 * MINUTE);
    save('/too-old', 'u1', 2 * 60 * MINUTE);
    save('/fresh-elsewhere', 'u1', 10 * MINUTE);
    save(location.pathname, 'u1', 10 * MINUTE, [{ key: 'notes|body', value: 'Unsent text' }]);
    sessionStorage.setItem('unrelated', 'kept');

    const el = await mount(
      html`<div>
        <form id="notes"><textarea name="body"></textarea></form>
        <idle-session-warning keep-drafts draft-owner="u1" draft-max-age-ms="3600000"></idle-session-warning>
      </div>`,
    );
    const textarea = el.parentElement!.querySelector('textarea')!;
    await deliver(el, () => textarea.value !== '');
    expect(el.state).to.equal('active');
    expect(textarea.value).to.equal('Unsent text');
    expect(keys()).to.deep.equal([`${DRAFT_PREFIX}/fresh-elsewhere`]);
    expect(sessionStorage.getItem('unrelated')).to.equal('kept');

    // Only the first answer prunes: a later one leaves the storage alone.
    save('/other-user-later', 'u2', 0);
    el.refresh();
    await deliver(el);
    expect(keys()).to.deep.equal([`${DRAFT_PREFIX}/fresh-elsewhere`, `${DRAFT_PREFIX}/other-user-later`]);
  });

  it('a too old draft of its own page is deleted unread', async () => {
    sessionStorage.setItem(
      DRAFT_PREFIX + location.pathname,
      JSON.stringify({ owner: 'u1', savedAt: Date.now() - 2 * 60 * MINUTE, fields: [{ key: 'notes|body', value: 'Stale text' }] }),
    );
    const el = await mount(
      html`<div>
        <form id="notes"><textarea name="body"></textarea></form>
        <idle-session-warning keep-drafts draft-owner="u1" draft-max-age-ms="3600000"></idle-session-warning>
      </div>`,
    );
    await deliver(el, () => keys().length === 0);
    expect(el.parentElement!.querySelector('textarea')!.value).to.equal('');
    expect(keys()).to.deep.equal([]);
  });
});

describe('activity in frames', () => {
  before(async () => {
    await import('../src/frame-activity.js');
  });

  it('typing in a same-origin iframe sends a keep-alive at the next allowed time', async () => {
    const el = await mount(html`<div><iframe srcdoc="<textarea></textarea>"></iframe><idle-session-warning></idle-session-warning></div>`);
    const frame = el.parentElement!.querySelector('iframe')!;
    for (let i = 0; i < 100 && !(frame.contentDocument?.URL === 'about:srcdoc' && frame.contentDocument.readyState === 'complete'); i++) {
      await realDelay(10);
    }
    await deliver(el);
    expect(frame.contentDocument!.querySelector('textarea'), 'the frame loaded').to.not.equal(null);
    const win = frame.contentWindow as Window & typeof globalThis;
    const type = (): void => {
      win.dispatchEvent(new win.KeyboardEvent('keydown', { key: 'a' }));
    };

    await advance(clock, 2 * SECOND, el);
    type();
    await settle(clock, el);
    expect(server.keepAliveCalls.map((c) => c.at - START)).to.deep.equal([2 * SECOND]);

    // Within the interval (60 s): deferred to its end, not dropped.
    await advance(clock, 8 * SECOND, el);
    type();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 62 * SECOND - (Date.now() - START) - 1, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 300, el);
    expect(server.keepAliveCalls).to.have.length(2);
    const at = server.keepAliveCalls[1]!.at - START;
    expect(at).to.be.within(62 * SECOND, 62 * SECOND + 250);
    expect(el.state).to.equal('active');
  });
});

describe('the warning stays on top and usable', () => {
  afterEach(async () => {
    await resetMouse();
  });

  /** A real mouse click (not `.click()`, which even inert or covered content receives). */
  async function clickAt(node: Element): Promise<void> {
    const [x, y] = center(node);
    await sendMouse({ type: 'click', position: [Math.round(x), Math.round(y)] });
  }

  it('above a modal dialog the app opens later: on top again within a tick, and "Stay signed in" works', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    const appDialog = document.createElement('dialog');
    appDialog.innerHTML = '<p style="inline-size: 40rem; block-size: 20rem">App dialog</p>';
    document.body.append(appDialog);
    try {
      appDialog.showModal();
      await advance(clock, 1 * SECOND, el);
      const dialog = dialogOf(el);
      expect(dialog.open).to.equal(true);
      expect(document.elementFromPoint(...center(dialog)), 'the warning is on top').to.equal(el);
      const extend = part(el, 'extend-button')!;
      expect(document.elementFromPoint(...center(extend))).to.equal(el);
      await clickAt(extend);
      await settle(clock, el);
      expect(server.keepAliveCalls).to.have.length(1);
      expect(el.state).to.equal('active');
    } finally {
      appDialog.close();
      appDialog.remove();
    }
  });

  it('inside an ancestor the app made inert: its buttons work, and the app\'s inert comes back after', async () => {
    const el = await mount(html`<div id="app"><idle-session-warning></idle-session-warning></div>`);
    const app = el.parentElement!;
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    app.setAttribute('inert', '');
    await advance(clock, 1 * SECOND, el);
    const extend = part(el, 'extend-button')!;
    expect(document.elementFromPoint(...center(extend)), 'hit-testable (not inert)').to.equal(el);
    await clickAt(extend);
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    expect(el.state).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
    expect(app.hasAttribute('inert'), 'the app\'s inert is back').to.equal(true);
  });
});

describe('what trying to break it found', () => {
  it('a language whose chunk cannot be fetched shows English, and the page keeps working (no endless re-render)', async () => {
    LOCALE_LOADERS.xx = () => Promise.reject(new TypeError('Failed to fetch dynamically imported module'));
    try {
      const el = await mount(html`<div lang="xx"><idle-session-warning></idle-session-warning></div>`);
      await advance(clock, WARN_AT, el);
      expect(el.state).to.equal('warning');
      expect(text(part(el, 'title'))).to.equal('Your session is about to end');
      // A page in an endless render loop never gets here: a click still works.
      part(el, 'extend-button')!.click();
      await settle(clock, el);
      expect(el.state).to.equal('active');
    } finally {
      delete LOCALE_LOADERS.xx;
    }
  });

  it('moved to another container while the warning is up, the dialog is modal again', async () => {
    const el = await mount(html`<div><section></section><idle-session-warning></idle-session-warning></div>`);
    await advance(clock, WARN_AT, el);
    expect(dialogOf(el).matches(':modal')).to.equal(true);
    el.parentElement!.querySelector('section')!.append(el); // a move: disconnected, then connected
    await settle(clock, el);
    await el.updateComplete;
    expect(el.state).to.equal('warning');
    expect(dialogOf(el).matches(':modal'), 'modal again, with its backdrop, above the page').to.equal(true);
  });

  it('the warning opens once, and a mouse click on "Stay signed in" puts the caret and selection back', async () => {
    const el = await mount(html`<div><textarea>Hello brave new world</textarea><idle-session-warning></idle-session-warning></div>`);
    const textarea = el.parentElement!.querySelector('textarea')!;
    textarea.focus();
    textarea.setSelectionRange(6, 11);
    let opened = 0;
    const showModal = HTMLDialogElement.prototype.showModal;
    HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
      opened++;
      showModal.call(this);
    };
    try {
      await advance(clock, WARN_AT, el);
    } finally {
      HTMLDialogElement.prototype.showModal = showModal;
    }
    expect(el.state).to.equal('warning');
    expect(opened, 'shown once, not once by the timer and again by the render').to.equal(1);
    const box = part(el, 'extend-button')!.getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(box.x + box.width / 2), Math.round(box.y + box.height / 2)] });
    await resetMouse();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(document.activeElement).to.equal(textarea);
    expect([textarea.selectionStart, textarea.selectionEnd]).to.deep.equal([6, 11]);
  });

  it('a hidden tab that cannot reach the server at the deadline says so in its title', async () => {
    document.title = TITLE;
    const el = await mount();
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    server.script.status.push(...Array.from({ length: 20 }, () => 'network-error' as const));
    server.script.keepalive.push(...Array.from({ length: 20 }, () => 'network-error' as const));
    await advance(clock, 2 * MINUTE + 5 * SECOND, el);
    expect(el.state).to.equal('unreachable');
    expect(document.title).to.equal(`Cannot reach the server · ${TITLE}`);
  });
});
