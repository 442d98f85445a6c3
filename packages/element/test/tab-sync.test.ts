import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import { parseTabMessage } from '../src/tab-sync.js';
import { dialogOf, FakeServer, installClock, part, settle, START, text, watchErrors } from './helpers.js';
import { closeTab, closeTabs, openTab, realDelay, runTabs, settleTabs, typeIn, type Tab } from './tabs.js';

const SECOND = 1_000;
const CHANNEL = 'idle-session /idle-session';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;
let tabs: Tab[] = [];

/** Seconds since the tabs loaded (the fake clock starts at START). */
const t = (): number => (Date.now() - START) / SECOND;

async function openTabs(count: number, options?: { noBroadcastChannel?: boolean }): Promise<Tab[]> {
  for (let i = 0; i < count; i++) tabs.push(await openTab(options));
  await settleTabs(clock, tabs);
  for (const tab of tabs) expect(tab.el.state).to.equal('active');
  return tabs;
}

/** Runs the clock until `seconds` after load, calling `each` after every second. */
async function until(seconds: number, each?: () => void): Promise<void> {
  while (t() < seconds) {
    await runTabs(clock, tabs, SECOND);
    each?.();
  }
}

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.idleTimeoutMs = 60 * SECOND;
  server.warnBeforeMs = 20 * SECOND;
  server.install();
  tabs = [];
});

afterEach(() => {
  closeTabs(tabs);
  fixtureCleanup();
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('tabs of one origin act as one (BroadcastChannel)', function (this: { timeout(ms: number): void }) {
  // Each simulated second lets real messages arrive between the tabs, so these run for seconds.
  this.timeout(60_000);

  it('typing only in B at t=30, 55, 80 keeps A quiet until 120; both warn at ~120 and expire at ~140; one keep-alive stream', async () => {
    const [a, b] = await openTabs(2);
    const aStates = new Set<string>();
    await until(30);
    typeIn(b!);
    await until(55, () => aStates.add(`${t()}:${a!.el.state}`));
    typeIn(b!);
    await until(80);
    typeIn(b!);
    const warnedEarly: number[] = [];
    await until(119, () => {
      if (a!.el.state !== 'active' && t() >= 40) warnedEarly.push(t());
    });
    expect(warnedEarly, 'A warned while B was in use').to.deep.equal([]);
    expect(a!.el.state).to.equal('active');
    expect(b!.el.state).to.equal('active');
    await until(121);
    expect(a!.el.state).to.equal('warning');
    expect(b!.el.state).to.equal('warning');
    expect(server.keepAliveCalls.map((c) => (c.at - START) / SECOND)).to.deep.equal([30, 55, 80]);
    await until(139);
    expect(a!.el.state).to.equal('warning');
    await until(141);
    expect(a!.el.getAttribute('state')).to.equal('expired');
    expect(b!.el.getAttribute('state')).to.equal('expired');
    expect(text(part(a!.el, 'message'))).to.contain('inactivity');
  });

  it('"Stay signed in" in A at t=45 closes B\'s warning within 2 s; neither expires at 60; both warn again at ~85', async () => {
    const [a, b] = await openTabs(2);
    await until(40);
    expect(a!.el.state).to.equal('warning');
    expect(b!.el.state).to.equal('warning');
    await until(45);
    part(a!.el, 'extend-button')!.click();
    await settleTabs(clock, tabs);
    expect(a!.el.state).to.equal('active');
    await until(47);
    expect(b!.el.state).to.equal('active');
    expect(dialogOf(b!.el).open).to.equal(false);
    await until(84);
    expect([a!.el.state, b!.el.state]).to.deep.equal(['active', 'active']);
    await until(86);
    expect([a!.el.state, b!.el.state]).to.deep.equal(['warning', 'warning']);
    expect(server.keepAliveCalls).to.have.length(1);
  });

  it('sign-out in A: B shows "signed out" within 2 s, then sends no keep-alive when the user types and shows no countdown', async () => {
    const [a, b] = await openTabs(2);
    await until(40);
    const left: string[] = [];
    a!.el.addEventListener('idle-session-signed-out', (event) => {
      event.preventDefault(); // the test page stays; a real tab would go to the login page
      left.push(event.detail.url);
    });
    part(a!.el, 'sign-out-button')!.click();
    await settleTabs(clock, [a!, b!]);
    expect(server.signedOut).to.equal(true); // the server confirmed it before B was told
    expect(left).to.deep.equal(['/login']);
    // The sign-out navigates A away.
    await realDelay(10);
    closeTab(a!);
    tabs = [b!];
    await until(42);
    expect(b!.el.getAttribute('state')).to.equal('signed-out');
    expect(text(part(b!.el, 'message'))).to.equal('You have been signed out.');
    expect(part(b!.el, 'countdown')).to.equal(null);
    const before = server.calls.length;
    for (let i = 0; i < 5; i++) typeIn(b!);
    await until(100);
    expect(server.keepAliveCalls).to.have.length(0);
    expect(server.calls.slice(before).map((c) => `${c.url} at ${(c.at - START) / SECOND}`)).to.deep.equal([]);
  });

  it('expiry in A (the server says why) reaches B within 2 s with the server\'s reason', async () => {
    const [a, b] = await openTabs(2);
    await until(41);
    server.script.keepalive.push({ status: 401, body: { state: 'expired', reason: 'absolute' } });
    part(a!.el, 'extend-button')!.click();
    await until(43);
    expect(a!.el.state).to.equal('expired');
    expect(b!.el.getAttribute('state')).to.equal('expired');
    expect(text(part(b!.el, 'message'))).to.contain('maximum session length');
    expect(part(b!.el, 'countdown')).to.equal(null);
    typeIn(b!);
    await until(50);
    expect(server.keepAliveCalls).to.have.length(1);
  });

  it('activity in both tabs: one keep-alive per interval, not one per tab', async () => {
    await openTabs(3);
    // interval = (60 − 20) / 3 s; the tabs take turns every 2 s for 40 s.
    for (let i = 0; i < 20; i++) {
      typeIn(tabs[i % 3]!);
      await runTabs(clock, tabs, 2 * SECOND);
    }
    const times = server.keepAliveCalls.map((c) => c.at - START);
    expect(times.length, `keep-alives at ${times.join(', ')}`).to.be.within(3, 4);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).to.be.at.least(13_000);
    for (const tab of tabs) expect(tab.el.state).to.equal('active');
  });

  it('a discarded tab never stops another from warning or expiring (each tab keeps its own timers)', async () => {
    const [a, b] = await openTabs(2);
    // A is discarded (its document goes away mid-session); B keeps its own timers.
    closeTab(a!);
    tabs = [b!];
    await until(39);
    expect(b!.el.state).to.equal('active');
    await until(40);
    expect(b!.el.state).to.equal('warning');
    await until(60);
    expect(b!.el.state).to.equal('expired');
  });

  it('a frozen tab never holds another back, and when it thaws it cannot pull a live session back', async () => {
    const a = await openTab({ freezable: true });
    const b = await openTab();
    tabs.push(a, b);
    await settleTabs(clock, tabs);
    expect([a.el.state, b.el.state]).to.deep.equal(['active', 'active']);
    // A is frozen from t=0: its timers stand still and messages to it wait in its queue.
    a.setFrozen!(true);
    await until(40);
    expect(b.el.state).to.equal('warning');
    await until(45);
    part(b.el, 'extend-button')!.click();
    await until(70);
    expect(b.el.state).to.equal('active');
    // A thaws at t=70 (its wall clock jumps; its timers and queued messages run now).
    a.clock!.setSystemTime(Date.now());
    a.setFrozen!(false);
    const both = async (): Promise<void> => {
      await a.clock!.tickAsync(SECOND);
      await runTabs(clock, tabs, SECOND);
    };
    for (let i = 0; i < 3; i++) await both();
    expect(a.el.state, 'A re-checked with the server instead of expiring on its stale deadline').to.equal('active');
    expect(b.el.state).to.equal('active');
    // The queued message from t=45 was aged by its wait: A's deadline is the true one (105), not 70 + 60.
    expect(a.el.remainingMs! / SECOND).to.be.within(31, 33);
    while (t() < 86) await both();
    expect([a.el.state, b.el.state]).to.deep.equal(['warning', 'warning']);
    expect(server.keepAliveCalls).to.have.length(1);
  });

  it('works over the storage-event fallback where BroadcastChannel is missing', async () => {
    const [a, b] = await openTabs(2, { noBroadcastChannel: true });
    await until(30);
    typeIn(b!);
    await until(41);
    expect(a!.el.state).to.equal('active');
    await until(70);
    expect([a!.el.state, b!.el.state]).to.deep.equal(['warning', 'warning']);
    part(b!.el, 'extend-button')!.click();
    await until(72);
    expect([a!.el.state, b!.el.state]).to.deep.equal(['active', 'active']);
    expect(server.keepAliveCalls).to.have.length(2);
  });
});

describe('messages between tabs are validated', () => {
  async function mount(): Promise<IdleSessionWarning> {
    const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
    await settle(clock, el);
    return el;
  }

  async function deliver(el: IdleSessionWarning): Promise<void> {
    await realDelay(10);
    await settle(clock, el);
  }

  const body = (remainingMs: number, sessionId: string) => ({
    state: 'active',
    remainingMs,
    idleRemainingMs: remainingMs,
    absoluteRemainingMs: null,
    idleTimeoutMs: 60_000,
    warnBeforeMs: 20_000,
    sessionId,
  });

  it('parseTabMessage accepts only well-formed messages naming a session', () => {
    expect(parseTabMessage({ v: 1, type: 'sending', sessionId: 's' })).to.deep.equal({ type: 'sending', sessionId: 's' });
    expect(parseTabMessage({ v: 1, type: 'ended', sessionId: 's', reason: 'idle', extra: 1 })).to.deep.equal({ type: 'ended', sessionId: 's', reason: 'idle' });
    expect(parseTabMessage({ v: 1, type: 'status', sessionId: 's', receivedAt: 1, body: body(5_000, 's') })?.type).to.equal('status');
    // A check names the browser's session, or none (`null`, or left out by an older sender).
    expect(parseTabMessage({ v: 1, type: 'check', sessionId: null })).to.deep.equal({ type: 'check', sessionId: null });
    expect(parseTabMessage({ v: 1, type: 'check' })).to.deep.equal({ type: 'check', sessionId: null });
    expect(parseTabMessage({ v: 1, type: 'check', sessionId: 's', extra: 1 })).to.deep.equal({ type: 'check', sessionId: 's' });
    for (const bad of [
      { v: 1, type: 'check', sessionId: '' },
      { v: 1, type: 'check', sessionId: 7 },
      { v: 1, type: 'check', sessionId: 'x'.repeat(101) },
      { v: 2, type: 'check', sessionId: null },
      null,
      'text',
      [],
      { type: 'sending', sessionId: 's' },
      { v: 2, type: 'sending', sessionId: 's' },
      { v: 1, type: 'sending', sessionId: '' },
      { v: 1, type: 'sending' },
      { v: 1, type: 'ended', sessionId: 's', reason: 'bored' },
      { v: 1, type: 'status', sessionId: 's', body: body(5_000, 's') },
      { v: 1, type: 'status', sessionId: 's', receivedAt: 'now', body: body(5_000, 's') },
      { v: 1, type: 'status', sessionId: 's', receivedAt: 1, body: body(5_000, 'other') },
      { v: 1, type: 'status', sessionId: 's', receivedAt: 1, body: { ...body(5_000, 's'), remainingMs: -1 } },
      { v: 1, type: 'status', sessionId: 's', receivedAt: 1, body: { state: 'none' } },
      { v: 1, type: 'jump', sessionId: 's' },
    ]) {
      expect(parseTabMessage(bad), JSON.stringify(bad)).to.equal(null);
    }
  });

  it('ignores malformed messages, other sessions, and anything that would bring the deadline forward', async () => {
    const el = await mount();
    const peer = new BroadcastChannel(CHANNEL);
    try {
      peer.postMessage('garbage');
      peer.postMessage({ v: 1, type: 'status', sessionId: 'session-1', body: { state: 'active', remainingMs: 'soon' } });
      // A tab of an old session cannot extend or end this one.
      peer.postMessage({ v: 1, type: 'status', sessionId: 'old-session', receivedAt: Date.now(), body: body(10 * 60_000, 'old-session') });
      peer.postMessage({ v: 1, type: 'ended', sessionId: 'old-session', reason: 'idle' });
      // A stale message of this session cannot bring the warning forward.
      peer.postMessage({ v: 1, type: 'status', sessionId: 'session-1', receivedAt: Date.now(), body: body(1_000, 'session-1') });
      // Nor can a message that waited a long time in a queue, however much time it once gave.
      peer.postMessage({ v: 1, type: 'status', sessionId: 'session-1', receivedAt: Date.now() - 190_000, body: body(200_000, 'session-1') });
      await deliver(el);
      expect(el.state).to.equal('active');
      expect(el.remainingMs).to.equal(60_000);
      await clock.tickAsync(39_000);
      await settle(clock, el);
      expect(el.state).to.equal('active');
      await clock.tickAsync(1_000);
      await settle(clock, el);
      expect(el.state).to.equal('warning');
      // "ended" for the same session is honoured.
      peer.postMessage({ v: 1, type: 'ended', sessionId: 'session-1', reason: 'idle' });
      await deliver(el);
      expect(el.state).to.equal('expired');
    } finally {
      peer.close();
    }
  });

  it('2,000 pointer moves in one second cost at most one keep-alive and at most two cross-tab messages', async () => {
    const el = await mount();
    const seen: unknown[] = [];
    const peer = new BroadcastChannel(CHANNEL);
    peer.onmessage = (event) => seen.push(event.data);
    try {
      await clock.tickAsync(5_000);
      for (let i = 0; i < 2_000; i++) {
        window.dispatchEvent(new PointerEvent('pointermove', { screenX: i % 640, screenY: Math.floor(i / 640) }));
        if (i % 2) clock.tick(1);
      }
      await deliver(el);
      expect(server.keepAliveCalls).to.have.length(1);
      expect(seen.length).to.be.at.most(2);
      expect(seen.map((m) => (m as { type: string }).type)).to.deep.equal(['sending', 'status']);
    } finally {
      peer.close();
    }
  });
});
