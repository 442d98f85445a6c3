import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import type { IdleSessionStateChangeEvent } from '../src/events.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, part, settle, START, watchErrors } from './helpers.js';
import { closeTabs, openTab, realDelay, runTabs, settleTabs, type Tab } from './tabs.js';

// Captured before any test replaces `fetch` with the fake server's.
const realFetch = window.fetch.bind(window);

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;
let originalTitle: string;

/** Default policy: idle 15 min, warn 2 min, so the warning is due 13 min after load. */
const WARN_AT = 13 * MINUTE;
const TITLE = 'Case notes – Demo';

async function mount(headless = true): Promise<IdleSessionWarning> {
  const el = await fixture<IdleSessionWarning>(
    headless ? html`<idle-session-warning headless></idle-session-warning>` : html`<idle-session-warning></idle-session-warning>`,
  );
  await settle(clock, el);
  return el;
}

function record<E extends Event>(target: EventTarget, type: string): E[] {
  const events: E[] = [];
  target.addEventListener(type, (e) => events.push(e as E));
  return events;
}

/** Elements in the shadow root (Lit's comment markers aside). */
function rendered(el: IdleSessionWarning): number {
  return el.shadowRoot!.querySelectorAll('*').length;
}

function setVisibility(state: DocumentVisibilityState): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Keeps the test page where it is after a successful sign-out. */
function stayOnSignOut(el: EventTarget): void {
  el.addEventListener('idle-session-signed-out', (event) => event.preventDefault());
}

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
  originalTitle = document.title;
});

afterEach(() => {
  fixtureCleanup();
  delete (document as unknown as Record<string, unknown>).visibilityState;
  document.title = originalTitle;
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('headless', () => {
  it('renders nothing in any state (no dialog, no cover), and the page stays usable', async () => {
    const el = await mount();
    expect(el.headless).to.equal(true);
    expect(rendered(el)).to.equal(0);
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    expect(el.getAttribute('state')).to.equal('warning');
    expect(rendered(el)).to.equal(0);
    expect(document.querySelector(':modal'), 'nothing modal').to.equal(null);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(rendered(el)).to.equal(0);
    const button = document.createElement('button');
    button.textContent = 'page';
    document.body.prepend(button);
    try {
      const box = button.getBoundingClientRect();
      expect(document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2), 'no cover').to.equal(button);
    } finally {
      button.remove();
    }
  });

  it('is reflected, and switching it while the warning is up removes the dialog and gives focus back (and brings it back)', async () => {
    const field = document.createElement('input');
    document.body.append(field);
    try {
      field.focus();
      const el = await mount(false);
      await advance(clock, WARN_AT, el);
      expect(dialogOf(el).open).to.equal(true);
      el.headless = true;
      await settle(clock, el);
      expect(el.hasAttribute('headless')).to.equal(true);
      expect(rendered(el)).to.equal(0);
      expect(document.querySelector(':modal')).to.equal(null);
      expect(document.activeElement).to.equal(field);
      expect(el.state).to.equal('warning');
      el.headless = false;
      await settle(clock, el);
      expect(dialogOf(el).matches(':modal')).to.equal(true);
    } finally {
      field.remove();
    }
  });

  it('keeps keep-alives, deadlines, events and the title cue', async () => {
    document.title = TITLE;
    const el = await mount();
    const shown = record(el, 'idle-session-warning-shown');
    const extended = record(el, 'idle-session-extended');
    await advance(clock, 61_000, el);
    window.dispatchEvent(new Event('keydown'));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    expect(el.remainingMs).to.equal(15 * MINUTE);
    expect(extended).to.have.length(1);
    setVisibility('hidden');
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    expect(shown).to.have.length(1);
    expect(el.remainingMs).to.equal(2 * MINUTE);
    expect(document.title).to.equal(`Signing out in 2:00 · ${TITLE}`);
    await advance(clock, 1_000, el);
    expect(document.title).to.equal(`Signing out in 1:59 · ${TITLE}`);
    expect(el.remainingMs).to.equal(119_000);
    const result = await el.extend();
    expect(result).to.deep.equal({ ok: true, state: 'active', error: null });
    expect(document.title).to.equal(TITLE);
    expect(extended).to.have.length(2);
    await advance(clock, WARN_AT, el);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(document.title).to.equal(`Signed out · ${TITLE}`);
  });

  it('keep-drafts still keeps the input when the session times out', async () => {
    const field = document.createElement('textarea');
    field.id = 'headless-note';
    document.body.append(field);
    try {
      const el = await fixture<IdleSessionWarning>(html`<idle-session-warning headless keep-drafts draft-owner="u1"></idle-session-warning>`);
      await settle(clock, el);
      field.value = 'unsent words';
      await advance(clock, WARN_AT, el);
      await advance(clock, 2 * MINUTE, el);
      expect(el.state).to.equal('expired');
      for (let i = 0; i < 100 && !Object.keys(sessionStorage).some((k) => k.startsWith('idle-session-draft:')); i++) await realDelay(20);
      const key = Object.keys(sessionStorage).find((k) => k.startsWith('idle-session-draft:'));
      expect(key, 'a draft was kept').to.be.a('string');
      expect(sessionStorage.getItem(key!)).to.contain('unsent words');
    } finally {
      field.remove();
      for (const key of Object.keys(sessionStorage)) if (key.startsWith('idle-session-draft:')) sessionStorage.removeItem(key);
    }
  });
});

describe('idle-session-state-change', () => {
  it('fires on every state change with state, previous, remainingMs and reason; bubbles and is composed', async () => {
    const changes = record<IdleSessionStateChangeEvent>(document, 'idle-session-state-change');
    const el = await mount(false);
    await advance(clock, WARN_AT, el);
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    await advance(clock, WARN_AT, el);
    await advance(clock, 2 * MINUTE, el);
    expect(changes.map((e) => e.detail)).to.deep.equal([
      { state: 'active', previous: 'none', remainingMs: 15 * MINUTE, reason: 'idle' },
      { state: 'warning', previous: 'active', remainingMs: 2 * MINUTE, reason: 'idle' },
      { state: 'active', previous: 'warning', remainingMs: 15 * MINUTE, reason: 'idle' },
      { state: 'warning', previous: 'active', remainingMs: 2 * MINUTE, reason: 'idle' },
      { state: 'expired', previous: 'warning', remainingMs: null, reason: 'idle' },
    ]);
    expect(changes.every((e) => e.bubbles && e.composed && !e.cancelable)).to.equal(true);
    expect(el.reason).to.equal('idle');
  });

  it('reason is "absolute" when the maximum session length ends the session first', async () => {
    server.absoluteAt = START + 10 * MINUTE;
    const changes = record<IdleSessionStateChangeEvent>(document, 'idle-session-state-change');
    const el = await mount();
    expect(el.reason).to.equal('absolute');
    await advance(clock, 10 * MINUTE, el);
    expect(changes.map((e) => [e.detail.state, e.detail.reason])).to.deep.equal([
      ['active', 'absolute'],
      ['warning', 'absolute'],
      ['expired', 'absolute'],
    ]);
  });
});

describe('extend(), signOut(), retry()', () => {
  it('extend() resolves ok once the server confirmed; failed (state unchanged) when it cannot; ended on 401', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    server.script.keepalive.push('network-error');
    let result = await el.extend();
    expect(result).to.deep.equal({ ok: false, state: 'warning', error: 'failed' });
    server.script.keepalive.push({ status: 500, text: 'oops', contentType: 'text/plain' });
    result = await el.extend();
    expect(result).to.deep.equal({ ok: false, state: 'warning', error: 'failed' });
    result = await el.extend();
    expect(result).to.deep.equal({ ok: true, state: 'active', error: null });
    expect(server.keepAliveCalls).to.have.length(3);
    await advance(clock, WARN_AT, el);
    server.script.keepalive.push({ status: 401, body: { state: 'expired', reason: 'idle' } });
    result = await el.extend();
    expect(result).to.deep.equal({ ok: false, state: 'expired', error: 'ended' });
  });

  it('extend() works in active too (a keep-alive), and is refused without a live session or while an action is on its way', async () => {
    const el = await mount();
    await advance(clock, 5 * MINUTE, el);
    const first = el.extend();
    const second = await el.extend();
    expect(second).to.deep.equal({ ok: false, state: 'active', error: 'pending' });
    expect(await first).to.deep.equal({ ok: true, state: 'active', error: null });
    expect(server.keepAliveCalls).to.have.length(1);
    expect(el.remainingMs).to.equal(15 * MINUTE);
    await advance(clock, WARN_AT, el);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(await el.extend()).to.deep.equal({ ok: false, state: 'expired', error: 'no-session' });
    expect(await el.signOut()).to.deep.equal({ ok: false, state: 'expired', error: 'no-session' });
    expect(await el.retry()).to.deep.equal({ ok: false, state: 'expired', error: 'no-session' });
    expect(server.keepAliveCalls).to.have.length(1);
    expect(server.logoutCalls).to.have.length(0);
  });

  it('extend() at the maximum session length acknowledges without a request; a keep-alive that finds it resolves "absolute"', async () => {
    server.absoluteAt = START + 15.5 * MINUTE;
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect([el.state, el.reason]).to.deep.equal(['warning', 'idle']);
    await advance(clock, 30_000, el);
    const found = await el.extend();
    expect(found).to.deep.equal({ ok: false, state: 'warning', error: 'absolute' });
    expect(el.reason).to.equal('absolute');
    expect(server.keepAliveCalls).to.have.length(1);
    const acknowledged = await el.extend();
    expect(acknowledged).to.deep.equal({ ok: true, state: 'active', error: null });
    expect(server.keepAliveCalls, 'nothing can extend it: no request').to.have.length(1);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
  });

  it('signOut() resolves ok and ends signed-out once the server confirms; failed (still signed in) when it refuses', async () => {
    const el = await mount();
    stayOnSignOut(el);
    const signedOut = record(el, 'idle-session-signed-out');
    server.script.logout.push({ status: 403, text: 'invalid csrf token', contentType: 'text/plain' });
    let result = await el.signOut();
    expect(result).to.deep.equal({ ok: false, state: 'active', error: 'failed' });
    server.script.logout.push('network-error');
    result = await el.signOut();
    expect(result).to.deep.equal({ ok: false, state: 'active', error: 'failed' });
    expect(signedOut).to.have.length(0);
    result = await el.signOut();
    expect(result).to.deep.equal({ ok: true, state: 'signed-out', error: null });
    expect(signedOut).to.have.length(1);
    expect(server.logoutCalls).to.have.length(3);
    expect(server.logoutCalls.every((c) => c.method === 'POST')).to.equal(true);
  });

  it('retry() in unreachable: failed while the server is down, ok once it answers', async () => {
    const el = await mount();
    for (let i = 0; i < 20; i++) server.script.status.push('network-error');
    await advance(clock, WARN_AT + 2 * MINUTE, el);
    expect(el.state).to.equal('unreachable');
    expect(await el.extend(), 'use retry() there').to.deep.equal({ ok: false, state: 'unreachable', error: 'no-session' });
    expect(await el.retry()).to.deep.equal({ ok: false, state: 'unreachable', error: 'failed' });
    server.script.status.length = 0;
    const result = await el.retry();
    expect(result.ok).to.equal(true);
    expect(result.state).to.equal('expired');
    expect(result.error).to.equal(null);
  });

  it('the built-in buttons do the same as the methods', async () => {
    const el = await mount(false);
    stayOnSignOut(el);
    await advance(clock, WARN_AT, el);
    server.script.logout.push('network-error');
    part(el, 'sign-out-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('warning');
    expect(part(el, 'note')).to.exist;
    part(el, 'sign-out-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('signed-out');
  });
});

describe('headless across tabs', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);
  let tabs: Tab[] = [];

  beforeEach(() => {
    server.idleTimeoutMs = 60_000;
    server.warnBeforeMs = 20_000;
    tabs = [];
  });

  afterEach(() => closeTabs(tabs));

  it('extend() in headless A closes headless B\'s warning; signOut() in A ends B', async () => {
    tabs.push(await openTab(), await openTab());
    const [a, b] = tabs as [Tab, Tab];
    a.el.headless = true;
    b.el.headless = true;
    await settleTabs(clock, tabs);
    const bChanges = record<IdleSessionStateChangeEvent>(b.el, 'idle-session-state-change');
    await runTabs(clock, tabs, 41_000);
    expect([a.el.state, b.el.state]).to.deep.equal(['warning', 'warning']);
    const extended = a.el.extend();
    await settleTabs(clock, tabs);
    expect((await extended).ok).to.equal(true);
    await runTabs(clock, tabs, 2_000);
    expect(b.el.state).to.equal('active');
    a.el.addEventListener('idle-session-signed-out', (event) => event.preventDefault());
    const out = a.el.signOut();
    await settleTabs(clock, tabs);
    expect((await out).ok).to.equal(true);
    await runTabs(clock, tabs, 2_000);
    expect(b.el.state).to.equal('signed-out');
    expect(bChanges.map((e) => e.detail.state)).to.deep.equal(['warning', 'active', 'signed-out']);
    expect(b.el.shadowRoot!.querySelectorAll('*')).to.have.length(0);
  });
});

describe('the README example of a headless element with its own <dialog>', () => {
  let container: HTMLElement | null = null;

  afterEach(() => {
    container?.remove();
    container = null;
  });

  /** Puts the README's example into the page as it stands: markup, style and module script. */
  async function mountExample(): Promise<IdleSessionWarning> {
    const readme = await realFetch('/README.md').then((r) => r.text());
    const block = readme.split('<!-- example: headless -->')[1]!.split('```html\n')[1]!.split('\n```')[0]!;
    const template = document.createElement('template');
    template.innerHTML = block;
    const source = template.content.querySelector('script')!;
    source.remove();
    container = document.createElement('div');
    const field = document.createElement('input');
    field.id = 'example-field';
    container.append(field, template.content);
    document.body.append(container);
    const el = container.querySelector('idle-session-warning') as IdleSessionWarning;
    await settle(clock, el);
    const script = document.createElement('script');
    script.type = 'module';
    script.textContent = source.textContent;
    container.append(script);
    for (let i = 0; i < 5; i++) {
      await realDelay(20);
      await settle(clock, el);
    }
    return el;
  }

  const byId = (id: string): HTMLElement => document.getElementById(id)!;
  const shown = (id: string): boolean => byId(id).getClientRects().length > 0;

  it('warns with a countdown, survives a failed sign-out, extends, gives focus back, and shows the ending over an opaque backdrop', async () => {
    const el = await mountExample();
    const dialog = byId('timeout') as HTMLDialogElement;
    expect(el.headless).to.equal(true);
    expect(rendered(el)).to.equal(0);
    expect(el.state).to.equal('active');
    expect(dialog.open).to.equal(false);
    byId('example-field').focus();

    await advance(clock, WARN_AT, el);
    expect(dialog.matches(':modal')).to.equal(true);
    expect(byId(dialog.getAttribute('aria-labelledby')!).textContent).to.equal('You are about to be signed out');
    expect(byId(dialog.getAttribute('aria-describedby')!).textContent).to.equal('For your security, we will sign you out in 2 minutes.');
    expect(document.activeElement).to.equal(byId('timeout-main'));
    expect(byId('timeout-main').textContent).to.equal('Stay signed in');
    expect([shown('timeout-sign-out'), shown('timeout-sign-in')]).to.deep.equal([true, false]);
    await advance(clock, 1_000, el);
    expect(byId('timeout-message').textContent).to.equal('For your security, we will sign you out in 1 minute 59 seconds.');
    expect(byId('timeout-live').textContent, 'not announced every second').to.equal('');
    await advance(clock, 59_000, el);
    expect(byId('timeout-live').textContent).to.equal('You will be signed out in 1 minute.');

    dialog.dispatchEvent(new Event('cancel', { cancelable: true }));
    expect(dialog.open, 'Escape does not dismiss it').to.equal(true);
    server.script.logout.push('network-error');
    byId('timeout-sign-out').click();
    await settle(clock, el);
    expect(el.state).to.equal('warning');
    expect(byId('timeout-error').textContent).to.contain('did not work');

    byId('timeout-main').click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    expect(server.keepAliveCalls).to.have.length(1);
    expect(dialog.open).to.equal(false);
    expect(document.activeElement, 'focus back where it was').to.equal(byId('example-field'));

    await advance(clock, WARN_AT, el);
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect(dialog.matches(':modal')).to.equal(true);
    expect(byId('timeout-title').textContent).to.equal('Your session has ended');
    expect(byId('timeout-message').textContent).to.equal('You were signed out because you were inactive.');
    expect([shown('timeout-main'), shown('timeout-sign-out'), shown('timeout-sign-in')]).to.deep.equal([false, false, true]);
    expect(document.activeElement).to.equal(byId('timeout-sign-in'));
    expect(getComputedStyle(dialog, '::backdrop').backgroundColor).to.equal('rgb(43, 43, 43)');
  });
});
