import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import { IdleSessionWarning } from '../src/idle-session-warning.js';
import type { IdleSessionExpiredEvent, IdleSessionExtendedEvent, IdleSessionWarningShownEvent } from '../src/events.js';
import { draftKey } from '../src/drafts.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, part, settle, START, text, watchErrors } from './helpers.js';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;

async function mount(configure?: (server: FakeServer) => void): Promise<IdleSessionWarning> {
  configure?.(server);
  const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
  await settle(clock, el);
  return el;
}

function record<E extends Event>(el: EventTarget, type: string): E[] {
  const events: E[] = [];
  el.addEventListener(type, (e) => events.push(e as E));
  return events;
}

/** Default policy: idle 15 min, warn 2 min, so the warning is due 13 min after load. */
const WARN_AT = 13 * MINUTE;

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
});

afterEach(() => {
  fixtureCleanup();
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('<idle-session-warning> loading', () => {
  it('is registered, with the documented defaults', async () => {
    const el = await mount();
    expect(customElements.get('idle-session-warning')).to.equal(IdleSessionWarning);
    expect(el.endpoint).to.equal('/idle-session');
    expect(el.loginUrl).to.equal('/login');
    expect(el.logoutUrl).to.equal('/logout');
  });

  it('asks GET {endpoint}/status once at load and reflects state="active"', async () => {
    const el = await mount();
    expect(server.calls).to.have.length(1);
    expect(server.calls[0]!.method).to.equal('GET');
    expect(server.calls[0]!.url).to.equal('/idle-session/status');
    expect(server.calls[0]!.credentials).to.equal('same-origin');
    expect(el.state).to.equal('active');
    expect(el.getAttribute('state')).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
    expect(el.remainingMs).to.equal(15 * MINUTE);
  });

  it('uses the endpoint attribute', async () => {
    const el = await fixture<IdleSessionWarning>(html`<idle-session-warning endpoint="/auth/idle/"></idle-session-warning>`);
    await settle(clock, el);
    expect(server.calls[0]!.url).to.equal('/auth/idle/status');
  });

  it('stays hidden and inert for {"state":"none"}: no dialog, no keep-alive, no polling', async () => {
    const el = await mount((s) => (s.signedOut = true));
    expect(el.getAttribute('state')).to.equal('none');
    for (let i = 0; i < 20; i++) window.dispatchEvent(new Event('pointerdown'));
    await advance(clock, 60 * MINUTE, el);
    expect(server.calls).to.have.length(1);
    expect(dialogOf(el).open).to.equal(false);
    expect(el.getAttribute('state')).to.equal('none');
  });

  it('stays inert when the page loads after the session expired', async () => {
    const el = await mount((s) => (s.lastActivity = START - 20 * MINUTE));
    expect(el.getAttribute('state')).to.equal('none');
    expect(dialogOf(el).open).to.equal(false);
  });

  it('warns instead of throwing when the define module is loaded twice', async () => {
    const warnings: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args);
    try {
      const again = '../src/define.ts?loaded-twice';
      await import(again);
    } finally {
      console.warn = original;
    }
    expect(warnings).to.have.length(1);
    expect(String(warnings[0]![0])).to.contain('already defined');
  });
});

describe('<idle-session-warning> warning', () => {
  it('shows the warning at remaining − warnBefore, not before, after re-checking the status', async () => {
    const el = await mount();
    const shown = record<IdleSessionWarningShownEvent>(el, 'idle-session-warning-shown');
    await advance(clock, WARN_AT - 1, el);
    expect(el.state).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
    expect(server.statusCalls).to.have.length(1);
    await advance(clock, 1, el);
    expect(server.statusCalls).to.have.length(2);
    expect(el.getAttribute('state')).to.equal('warning');
    expect(dialogOf(el).open).to.equal(true);
    expect(shown).to.have.length(1);
    expect(shown[0]!.detail).to.deep.equal({ remainingMs: 2 * MINUTE });
    expect(shown[0]!.bubbles && shown[0]!.composed).to.equal(true);
  });

  it('is a modal alertdialog with an accessible name and description', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    const dialog = dialogOf(el);
    expect(dialog.matches(':modal')).to.equal(true);
    expect(dialog.getAttribute('role')).to.equal('alertdialog');
    const title = el.shadowRoot!.getElementById(dialog.getAttribute('aria-labelledby')!);
    const message = el.shadowRoot!.getElementById(dialog.getAttribute('aria-describedby')!);
    expect(text(title)).to.equal('Your session is about to end');
    expect(text(message)).to.contain('You will be signed out in 2 minutes');
    expect(text(part(el, 'extend-button'))).to.equal('Stay signed in');
    expect(text(part(el, 'sign-out-button'))).to.equal('Sign out');
  });

  it('counts down in minutes and seconds from the deadline; the countdown is not a live region', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(text(part(el, 'countdown'))).to.equal('2 minutes');
    await advance(clock, 1000, el);
    expect(text(part(el, 'countdown'))).to.equal('1 minute 59 seconds');
    await advance(clock, 60_000, el);
    expect(text(part(el, 'countdown'))).to.equal('59 seconds');
    expect(part(el, 'countdown')!.closest('[aria-live]')).to.equal(null);
  });

  it('announces politely about once a minute plus a final cue, not every second', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    const live = el.shadowRoot!.querySelector('[aria-live="polite"]')!;
    expect(live).to.exist;
    expect(text(live)).to.equal('');
    const seen = new Set<string>();
    for (let i = 0; i < 119; i++) {
      await advance(clock, 1000, el);
      seen.add(text(live));
    }
    seen.delete('');
    expect([...seen]).to.deep.equal(['You will be signed out in 1 minute.', 'You will be signed out in 20 seconds.']);
  });

  it('re-checks before warning and reschedules when another tab extended the session', async () => {
    const el = await mount();
    const extended = record<IdleSessionExtendedEvent>(el, 'idle-session-extended');
    await advance(clock, 5 * MINUTE, el);
    server.lastActivity = Date.now(); // another tab sent a keep-alive
    await advance(clock, WARN_AT - 5 * MINUTE, el);
    expect(server.statusCalls).to.have.length(2);
    expect(el.state).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
    expect(extended.map((e) => e.detail)).to.deep.equal([{ remainingMs: 7 * MINUTE }]);
    await advance(clock, 5 * MINUTE - 1, el);
    expect(el.state).to.equal('active');
    await advance(clock, 1, el);
    expect(el.state).to.equal('warning');
  });

  it('"Stay signed in" POSTs a keep-alive with X-Idle-Session: 1, closes on 200 and fires idle-session-extended', async () => {
    const el = await mount();
    const extended = record<IdleSessionExtendedEvent>(el, 'idle-session-extended');
    await advance(clock, WARN_AT + 30_000, el);
    part(el, 'extend-button')!.click();
    expect(dialogOf(el).open, 'open until the server confirms').to.equal(true);
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    const call = server.keepAliveCalls[0]!;
    expect(call.method).to.equal('POST');
    expect(call.url).to.equal('/idle-session/keepalive');
    expect(call.headers.get('X-Idle-Session')).to.equal('1');
    expect(call.credentials).to.equal('same-origin');
    expect(el.getAttribute('state')).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
    expect(extended).to.have.length(1);
    expect(extended[0]!.detail).to.deep.equal({ remainingMs: 15 * MINUTE });
    expect(extended[0]!.bubbles && extended[0]!.composed).to.equal(true);
    await advance(clock, WARN_AT - 1, el);
    expect(el.state).to.equal('active');
  });

  it('"Stay signed in" answered by 401 switches to the expired state', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    await advance(clock, WARN_AT, el);
    server.script.keepalive.push({ status: 401, body: { state: 'expired', reason: 'idle' } });
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.getAttribute('state')).to.equal('expired');
    expect(dialogOf(el).open).to.equal(true);
    expect(text(part(el, 'message'))).to.contain('inactivity');
    expect(expired.map((e) => e.detail)).to.deep.equal([{ reason: 'idle' }]);
  });

  it('"Stay signed in" that cannot reach the server keeps the warning and says so', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    server.script.keepalive.push('network-error');
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('warning');
    expect(text(part(el, 'note'))).to.equal('We could not reach the server. Please try again.');
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
  });

  it('moves focus to "Stay signed in" and returns it to the previously focused element', async () => {
    const button = document.createElement('button');
    button.textContent = 'Page button';
    document.body.append(button);
    try {
      const el = await mount();
      button.focus();
      await advance(clock, WARN_AT, el);
      expect(el.shadowRoot!.activeElement).to.equal(part(el, 'extend-button'));
      part(el, 'extend-button')!.click();
      await settle(clock, el);
      expect(dialogOf(el).open).to.equal(false);
      expect(document.activeElement).to.equal(button);
    } finally {
      button.remove();
    }
  });

  it('does not close on Escape (cancel is prevented) and reopens if closed anyway', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    const dialog = dialogOf(el);
    const cancel = new Event('cancel', { cancelable: true });
    dialog.dispatchEvent(cancel);
    expect(cancel.defaultPrevented).to.equal(true);
    const escape = new KeyboardEvent('keydown', { key: 'Escape', cancelable: true, bubbles: true });
    part(el, 'extend-button')!.dispatchEvent(escape);
    expect(escape.defaultPrevented).to.equal(true);
    dialog.close();
    await settle(clock, el);
    expect(dialog.open).to.equal(true);
    expect(el.state).to.equal('warning');
  });

  /** Records sign-out navigations instead of leaving the test page. */
  function navigations(el: IdleSessionWarning): string[] {
    const urls: string[] = [];
    el.addEventListener('idle-session-signed-out', (event) => {
      event.preventDefault();
      urls.push(event.detail.url);
    });
    return urls;
  }

  /** Mounts `element`, lets it reach the warning, keeps a (dummy) draft, and presses "Sign out"; returns the navigations. */
  async function signOutFromWarning(element: ReturnType<typeof html>): Promise<{ el: IdleSessionWarning; urls: string[] }> {
    const el = await fixture<IdleSessionWarning>(element);
    const urls = navigations(el);
    await settle(clock, el);
    await advance(clock, WARN_AT, el);
    sessionStorage.setItem(draftKey(location.pathname), JSON.stringify({ owner: null, savedAt: 1, fields: [] }));
    part(el, 'sign-out-button')!.click();
    await settle(clock, el);
    return { el, urls };
  }

  it('"Sign out" POSTs to logout-url, and only once the server confirms tells other tabs, clears the draft and leaves', async () => {
    const { urls } = await signOutFromWarning(html`<idle-session-warning logout-url="/account/logout" keep-drafts></idle-session-warning>`);
    expect(server.logoutCalls).to.have.length(1);
    expect(server.logoutCalls[0]!.method).to.equal('POST');
    expect(new URL(server.logoutCalls[0]!.url, location.href).pathname).to.equal('/account/logout');
    expect(server.logoutCalls[0]!.credentials).to.equal('same-origin');
    expect(urls).to.deep.equal(['/login']);
    expect(sessionStorage.getItem(draftKey(location.pathname))).to.equal(null);
  });

  it('"Sign out" sends the CSRF token of <meta name="csrf-token"> (or csrf-token) as the csrf-field field and the X-CSRF-Token header', async () => {
    const meta = Object.assign(document.createElement('meta'), { name: 'csrf-token', content: 'meta-token' });
    document.head.append(meta);
    try {
      server.csrfToken = 'meta-token';
      const { urls } = await signOutFromWarning(html`<idle-session-warning csrf-field="csrf"></idle-session-warning>`);
      expect(server.logoutCalls[0]!.headers.get('X-CSRF-Token')).to.equal('meta-token');
      expect(new URLSearchParams(server.logoutCalls[0]!.body ?? '').get('csrf')).to.equal('meta-token');
      expect(urls).to.have.length(1);
      server.csrfToken = 'attribute-token';
      server.signedOut = false;
      server.lastActivity = Date.now(); // signed in again
      await signOutFromWarning(html`<idle-session-warning csrf-token="attribute-token"></idle-session-warning>`);
      expect(server.logoutCalls[1]!.headers.get('X-CSRF-Token')).to.equal('attribute-token');
      expect(new URLSearchParams(server.logoutCalls[1]!.body ?? '').get('_csrf')).to.equal('attribute-token');
    } finally {
      meta.remove();
      sessionStorage.removeItem(draftKey(location.pathname));
    }
  });

  it('a sign-out the server refuses (403) or cannot answer: the dialog stays, says so, and nothing is told or cleared', async () => {
    server.csrfToken = 'needed';
    const { el, urls } = await signOutFromWarning(html`<idle-session-warning keep-drafts></idle-session-warning>`);
    expect(el.state).to.equal('warning');
    expect(dialogOf(el).open).to.equal(true);
    expect(text(part(el, 'note'))).to.equal('We could not sign you out, so you are still signed in. Please try again.');
    expect(urls).to.deep.equal([]);
    expect(sessionStorage.getItem(draftKey(location.pathname))).to.not.equal(null);
    server.script.logout.push('network-error');
    part(el, 'sign-out-button')!.click();
    await settle(clock, el);
    expect(text(part(el, 'note'))).to.contain('could not sign you out');
    expect(urls).to.deep.equal([]);
    sessionStorage.removeItem(draftKey(location.pathname));
  });
});

describe('<idle-session-warning> activity and keep-alives', () => {
  const activity = (): void => {
    window.dispatchEvent(new Event('pointermove'));
    window.dispatchEvent(new Event('keydown'));
    window.dispatchEvent(new Event('wheel'));
    window.dispatchEvent(new Event('pointerdown'));
    window.dispatchEvent(new Event('touchstart'));
    document.dispatchEvent(new Event('scroll'));
    document.body.dispatchEvent(new Event('input', { bubbles: false }));
  };

  it('sends no keep-alive without activity', async () => {
    const el = await mount();
    await advance(clock, WARN_AT - 1, el);
    expect(server.keepAliveCalls).to.have.length(0);
    expect(server.calls).to.have.length(1);
  });

  it('throttles keep-alives to one per interval however many events (interval = min(60 s, (idle − warn) / 3))', async () => {
    const el = await mount();
    for (let i = 0; i < 50; i++) activity();
    await settle(clock, el);
    expect(server.keepAliveCalls, 'the page load itself was activity').to.have.length(0);
    await advance(clock, 60_000, el);
    for (let i = 0; i < 50; i++) activity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 30_000, el);
    for (let i = 0; i < 50; i++) activity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 30_000, el);
    for (let i = 0; i < 50; i++) activity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(2);
    for (const call of server.keepAliveCalls) expect(call.headers.get('X-Idle-Session')).to.equal('1');
  });

  it('an active user never sees the warning', async () => {
    const el = await mount();
    const shown = record(el, 'idle-session-warning-shown');
    for (let t = 0; t < 40; t++) {
      activity();
      await advance(clock, MINUTE, el);
    }
    expect(shown).to.have.length(0);
    expect(el.state).to.equal('active');
    expect(server.keepAliveCalls.length).to.be.within(38, 41);
  });

  it('sends unsent activity as a keep-alive instead of warning', async () => {
    const el = await mount();
    await advance(clock, 61_000, el);
    activity(); // sent at once
    await advance(clock, 20_000, el);
    activity(); // throttled, pending
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, WARN_AT - 20_000, el);
    expect(server.keepAliveCalls).to.have.length(2);
    expect(el.state).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
  });

  it('activity while the warning is open does not extend', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    for (let i = 0; i < 20; i++) activity();
    await advance(clock, 61_000, el);
    for (let i = 0; i < 20; i++) activity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(0);
    expect(el.state).to.equal('warning');
  });
});

describe('<idle-session-warning> expiry', () => {
  it('idle expiry: re-checks at the deadline, names the idle timeout and links to sign in', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    await advance(clock, WARN_AT, el);
    await advance(clock, 2 * MINUTE - 1, el);
    expect(el.state).to.equal('warning');
    await advance(clock, 1, el);
    expect(server.statusCalls).to.have.length(3);
    expect(el.getAttribute('state')).to.equal('expired');
    expect(dialogOf(el).open).to.equal(true);
    expect(text(part(el, 'title'))).to.equal('Your session has ended');
    expect(text(part(el, 'message'))).to.equal('You were signed out after 15 minutes of inactivity.');
    const link = part(el, 'login-link') as HTMLAnchorElement;
    expect(text(link)).to.equal('Sign in again');
    const here = encodeURIComponent(location.pathname + location.search);
    expect(link.getAttribute('href')).to.equal(`/login?reason=idle&next=${here}`);
    expect(el.shadowRoot!.activeElement).to.equal(link);
    expect(expired).to.have.length(1);
    expect(expired[0]!.detail).to.deep.equal({ reason: 'idle' });
    expect(expired[0]!.bubbles && expired[0]!.composed).to.equal(true);
  });

  it('formats tiny demo timeouts in seconds', async () => {
    const el = await mount((s) => {
      s.idleTimeoutMs = 6_000;
      s.warnBeforeMs = 3_000;
    });
    await advance(clock, 3_000, el);
    expect(el.state).to.equal('warning');
    expect(text(part(el, 'countdown'))).to.equal('3 seconds');
    await advance(clock, 3_000, el);
    expect(text(part(el, 'message'))).to.equal('You were signed out after 6 seconds of inactivity.');
  });

  it('absolute expiry: warns about and then names the maximum session length', async () => {
    const el = await fixture<IdleSessionWarning>(html`<idle-session-warning login-url="/sign-in"></idle-session-warning>`);
    server.absoluteAt = START + 10 * MINUTE;
    el.remove();
    document.body.append(el);
    await settle(clock, el);
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    await advance(clock, 8 * MINUTE, el);
    expect(el.state).to.equal('warning');
    expect(text(part(el, 'message'))).to.contain('maximum session length');
    expect(text(part(el, 'extend-button'))).to.equal('Continue');
    await advance(clock, 2 * MINUTE, el);
    expect(el.getAttribute('state')).to.equal('expired');
    expect(text(part(el, 'message'))).to.equal('You were signed out because you reached the maximum session length.');
    expect((part(el, 'login-link') as HTMLAnchorElement).getAttribute('href')).to.equal(
      `/sign-in?reason=absolute&next=${encodeURIComponent(location.pathname + location.search)}`,
    );
    expect(expired.map((e) => e.detail)).to.deep.equal([{ reason: 'absolute' }]);
    el.remove();
  });

  it('"Continue" at the maximum session length closes the warning without a keep-alive', async () => {
    const el = await mount((s) => (s.absoluteAt = START + 10 * MINUTE));
    await advance(clock, 8 * MINUTE, el);
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(server.keepAliveCalls).to.have.length(0);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
  });

  it('signed out elsewhere: {"state":"none"} at the deadline shows "You have been signed out."', async () => {
    const el = await mount();
    const expired = record<IdleSessionExpiredEvent>(el, 'idle-session-expired');
    await advance(clock, WARN_AT, el);
    server.signedOut = true;
    await advance(clock, 2 * MINUTE, el);
    expect(el.getAttribute('state')).to.equal('signed-out');
    expect(text(part(el, 'message'))).to.equal('You have been signed out.');
    expect(text(part(el, 'login-link'))).to.equal('Sign in again');
    expect(expired.map((e) => e.detail)).to.deep.equal([{ reason: null }]);
  });

  it('after laptop sleep, re-checks on visibilitychange and shows the expiry', async () => {
    const el = await mount();
    clock.setSystemTime(START + 3 * 60 * MINUTE); // time jumps, timers did not run
    document.dispatchEvent(new Event('visibilitychange'));
    await settle(clock, el);
    expect(server.statusCalls).to.have.length(2);
    expect(el.state).to.equal('expired');
  });

  it('chains timers for very long sessions (no setTimeout delay above 2^31 − 1)', async () => {
    const el = await mount((s) => (s.idleTimeoutMs = 40 * 24 * 60 * MINUTE));
    await advance(clock, 30 * 24 * 60 * MINUTE, el);
    expect(server.calls).to.have.length(1);
    expect(el.state).to.equal('active');
  });
});

describe('<idle-session-warning> failures', () => {
  const failures: Array<[string, () => void]> = [
    ['an HTML login page', () => server.script.status.push({ status: 200, text: '<!doctype html><title>Login</title>', contentType: 'text/html' })],
    ['a 500', () => server.script.status.push({ status: 500, body: { error: 'boom' } })],
    ['a network error', () => server.script.status.push('network-error')],
    ['garbage JSON', () => server.script.status.push({ status: 200, text: '{"state":"act' })],
    ['JSON of the wrong shape', () => server.script.status.push({ status: 200, body: { state: 'active', remainingMs: -5 } })],
  ];

  for (const [name, fail] of failures) {
    it(`at load, ${name} does not throw and is retried after 1 s`, async () => {
      fail();
      const el = await mount();
      expect(el.state).to.equal('none');
      expect(server.statusCalls).to.have.length(1);
      await advance(clock, 999, el);
      expect(server.statusCalls).to.have.length(1);
      await advance(clock, 1, el);
      expect(server.statusCalls).to.have.length(2);
      expect(el.state).to.equal('active');
    });
  }

  it('backs off 1 s, 2 s, 5 s, 10 s between failed retries', async () => {
    for (let i = 0; i < 5; i++) server.script.status.push({ status: 500, body: {} });
    const el = await mount();
    const times = (): number[] => server.statusCalls.map((c) => c.at - START);
    await advance(clock, 1_000 + 2_000 + 5_000 + 10_000 + 30_000, el);
    expect(times()).to.deep.equal([0, 1_000, 3_000, 8_000, 18_000, 48_000]);
    expect(el.state).to.equal('active');
  });

  it('unreachable at the deadline: says so, offers "Try again", and recovers', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    for (let i = 0; i < 20; i++) server.script.status.push(i % 2 ? 'network-error' : { status: 502, text: 'Bad gateway', contentType: 'text/html' });
    await advance(clock, 2 * MINUTE, el);
    expect(el.getAttribute('state')).to.equal('unreachable');
    expect(dialogOf(el).open).to.equal(true);
    expect(text(part(el, 'title'))).to.equal('Cannot reach the server');
    expect(text(part(el, 'message'))).to.contain('cannot reach the server');
    expect(text(part(el, 'message'))).to.contain('may have ended');
    expect(text(part(el, 'retry-button'))).to.equal('Try again');
    expect(el.shadowRoot!.activeElement).to.equal(part(el, 'retry-button'));
    server.script.status.length = 0;
    server.lastActivity = Date.now(); // e.g. another tab reached the server meanwhile
    part(el, 'retry-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(dialogOf(el).open).to.equal(false);
  });

  it('a session store outage (503 {"state":"unavailable"}) is "cannot reach the server", never expired or signed out', async () => {
    const el = await mount();
    const unavailable = { status: 503, body: { state: 'unavailable' } };
    await advance(clock, WARN_AT, el);
    for (let i = 0; i < 20; i++) server.script.status.push(unavailable);
    server.script.keepalive.push(unavailable);
    window.dispatchEvent(new Event('keydown'));
    await advance(clock, 2 * MINUTE, el);
    expect(el.getAttribute('state')).to.equal('unreachable');
    expect(text(part(el, 'title'))).to.equal('Cannot reach the server');
    // The store is back and the session carried on meanwhile (another tab, or the outage was short).
    server.script.status.length = 0;
    server.lastActivity = Date.now();
    part(el, 'retry-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
  });

  it('warns on the last known deadline when the re-check fails, and keeps retrying', async () => {
    const el = await mount();
    server.script.status.push('network-error');
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    server.lastActivity = Date.now();
    await advance(clock, 1_000, el);
    expect(el.state).to.equal('active');
  });

  it('a failed activity keep-alive never throws and is retried on later activity', async () => {
    const el = await mount();
    await advance(clock, 60_000, el);
    server.script.keepalive.push({ status: 500, text: 'oops', contentType: 'text/plain' });
    window.dispatchEvent(new Event('keydown'));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    window.dispatchEvent(new Event('keydown'));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 1_000, el);
    window.dispatchEvent(new Event('keydown'));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(2);
    expect(el.state).to.equal('active');
  });
});
