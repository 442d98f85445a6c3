import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import { BUSY_MAX_MS, type IdleSessionWarning } from '../src/idle-session-warning.js';
import { ACTIVITY_EVENT, BUSY_EVENT } from '../src/events.js';
import { advance, FakeServer, installClock, MINUTE, part, settle, START, text, watchErrors } from './helpers.js';
import { closeTabs, openTab, runTabs, settleTabs, type Tab } from './tabs.js';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;

/** Default policy: idle 15 min, warn 2 min (warning due 13 min after the last activity), keep-alive interval 60 s. */
const WARN_AT = 13 * MINUTE;
const INTERVAL = 60_000;

async function mount(): Promise<IdleSessionWarning> {
  const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
  await settle(clock, el);
  return el;
}

function record(target: EventTarget, type: string): Event[] {
  const events: Event[] = [];
  target.addEventListener(type, (e) => events.push(e));
  return events;
}

/** Minutes since load of each keep-alive. */
function keepAliveMinutes(): number[] {
  return server.keepAliveCalls.map((c) => (c.at - START) / MINUTE);
}

/** Runs the clock minute by minute (as a long busy period would see it), `minutes` times. */
async function minutes(el: IdleSessionWarning, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await advance(clock, MINUTE, el);
}

function busyEvent(detail: unknown, target: EventTarget = document): void {
  target.dispatchEvent(new CustomEvent(BUSY_EVENT, { detail }));
}

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

describe('activity the page reports (reportActivity, idle-session-activity)', () => {
  it('reportActivity() sends keep-alives like user input: none for the page load, then one per interval however many calls', async () => {
    const el = await mount();
    for (let i = 0; i < 50; i++) el.reportActivity();
    await settle(clock, el);
    expect(server.keepAliveCalls, 'the page load itself was activity').to.have.length(0);
    await advance(clock, INTERVAL, el);
    for (let i = 0; i < 50; i++) el.reportActivity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 30_000, el);
    for (let i = 0; i < 50; i++) el.reportActivity();
    await settle(clock, el);
    expect(server.keepAliveCalls, 'throttled').to.have.length(1);
    await advance(clock, 30_250, el);
    expect(server.keepAliveCalls, 'the pending activity is sent when the interval ends').to.have.length(2);
    expect(server.keepAliveCalls[1]!.at - server.keepAliveCalls[0]!.at).to.be.within(INTERVAL, INTERVAL + 250);
    for (const call of server.keepAliveCalls) expect(call.headers.get('X-Idle-Session')).to.equal('1');
  });

  it('the idle-session-activity event counts from window, document or any element (bubbling or not)', async () => {
    const el = await mount();
    const inner = document.createElement('div');
    document.body.append(inner);
    try {
      await advance(clock, INTERVAL + 1_000, el);
      document.dispatchEvent(new CustomEvent(ACTIVITY_EVENT));
      await settle(clock, el);
      expect(server.keepAliveCalls).to.have.length(1);
      await advance(clock, INTERVAL + 1_000, el);
      inner.dispatchEvent(new CustomEvent(ACTIVITY_EVENT)); // does not bubble: heard in the capture phase
      await settle(clock, el);
      expect(server.keepAliveCalls).to.have.length(2);
      await advance(clock, INTERVAL + 1_000, el);
      window.dispatchEvent(new Event(ACTIVITY_EVENT));
      await settle(clock, el);
      expect(server.keepAliveCalls).to.have.length(3);
      expect(ACTIVITY_EVENT).to.equal('idle-session-activity');
    } finally {
      inner.remove();
    }
  });

  it('reported activity while the warning is up does not extend (the user decides)', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    for (let i = 0; i < 20; i++) {
      el.reportActivity();
      document.dispatchEvent(new CustomEvent(ACTIVITY_EVENT));
    }
    await advance(clock, INTERVAL + 1_000, el);
    el.reportActivity();
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(0);
    expect(el.state).to.equal('warning');
  });

  it('after disconnecting, the event is no longer heard', async () => {
    const el = await mount();
    await advance(clock, INTERVAL + 1_000, el);
    el.remove();
    document.dispatchEvent(new CustomEvent(ACTIVITY_EVENT));
    await settle(clock);
    expect(server.keepAliveCalls).to.have.length(0);
  });
});

describe('busy periods (beginBusy, idle-session-busy)', () => {
  it('keep the session alive at the keep-alive pace without input, for longer than the idle timeout', async () => {
    const el = await mount();
    const shown = record(el, 'idle-session-warning-shown');
    const done = el.beginBusy();
    await settle(clock, el);
    expect(server.keepAliveCalls, 'nothing at once: the server saw the page load').to.have.length(0);
    await minutes(el, 45);
    expect(el.state).to.equal('active');
    expect(shown).to.have.length(0);
    const at = server.keepAliveCalls.map((c) => c.at);
    expect(at.length).to.be.within(43, 45);
    expect(at[0]! - START).to.be.within(INTERVAL, INTERVAL + 250);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!, `gap ${i}`).to.be.within(INTERVAL, INTERVAL + 250);
    done();
    done(); // idempotent
    const count = server.keepAliveCalls.length;
    const last = at[at.length - 1]!;
    await advance(clock, last + WARN_AT - Date.now() - 1_000, el);
    expect(el.state).to.equal('active');
    await advance(clock, 2_000, el);
    expect(el.state, 'the warning comes 13 min after the last keep-alive').to.equal('warning');
    expect(server.keepAliveCalls).to.have.length(count);
  });

  it('never extend past the absolute timeout: they stop once it bounds the session, and the absolute warning and expiry come', async () => {
    server.absoluteAt = START + 30 * MINUTE;
    const el = await mount();
    const expired = record(el, 'idle-session-expired');
    el.beginBusy({ maxMs: 2 * 60 * MINUTE });
    await minutes(el, 27);
    expect(el.state).to.equal('active');
    expect(el.reason).to.equal('absolute');
    const sent = keepAliveMinutes();
    expect(sent.length).to.be.within(14, 15);
    expect(Math.max(...sent), 'nothing once the absolute deadline bounds the session').to.be.at.most(15.1);
    await advance(clock, MINUTE, el);
    expect(el.state, 'warned 2 min before the maximum session length').to.equal('warning');
    expect(text(part(el, 'message'))).to.contain('maximum');
    await advance(clock, 2 * MINUTE, el);
    expect(el.state).to.equal('expired');
    expect((expired[0] as CustomEvent).detail).to.deep.equal({ reason: 'absolute' });
    expect(server.keepAliveCalls).to.have.length(sent.length);
  });

  it('end by themselves after maxMs, even if the page forgets', async () => {
    const el = await mount();
    el.beginBusy({ maxMs: 10 * MINUTE });
    await minutes(el, 12);
    const sent = keepAliveMinutes();
    expect(sent.length).to.be.within(9, 10);
    expect(Math.max(...sent)).to.be.below(10);
    await minutes(el, 10);
    expect(server.keepAliveCalls, 'none after maxMs').to.have.length(sent.length);
    expect(el.state).to.equal('active');
    await minutes(el, 2);
    expect(el.state, '13 min after the last keep-alive').to.equal('warning');
  });

  it('default to BUSY_MAX_MS (60 minutes)', async () => {
    const el = await mount();
    expect(BUSY_MAX_MS).to.equal(60 * MINUTE);
    el.beginBusy({ maxMs: Number.NaN });
    await minutes(el, 70);
    const sent = keepAliveMinutes();
    expect(Math.max(...sent)).to.be.within(58, 60);
    expect(el.state).to.equal('active');
  });

  it('the end function ends only its own period, and each period is counted once', async () => {
    const el = await mount();
    const endA = el.beginBusy();
    const endB = el.beginBusy();
    await minutes(el, 5);
    expect(server.keepAliveCalls.length, 'two periods, one stream').to.be.within(4, 5);
    endA();
    endA();
    await minutes(el, 5);
    expect(server.keepAliveCalls.length, 'B still open').to.be.within(9, 10);
    endB();
    const count = server.keepAliveCalls.length;
    await minutes(el, 10);
    expect(server.keepAliveCalls).to.have.length(count);
  });

  it('the idle-session-busy event opens and ends periods by id; opening an open one again does not move its end; malformed details are ignored', async () => {
    const el = await mount();
    for (const detail of [null, undefined, 'upload', { busy: true }, { id: '', busy: true }, { id: 7, busy: true }, { id: 'x', busy: 'yes' }]) {
      busyEvent(detail);
    }
    await minutes(el, 5);
    expect(server.keepAliveCalls, 'malformed details open nothing').to.have.length(0);

    busyEvent({ id: 'upload', busy: true });
    await minutes(el, 5);
    expect(server.keepAliveCalls.length).to.be.within(4, 5);
    const inner = document.createElement('p');
    document.body.append(inner);
    busyEvent({ id: 'other', busy: false }, inner); // unknown id: nothing
    await minutes(el, 2);
    expect(server.keepAliveCalls.length).to.be.within(6, 7);
    busyEvent({ id: 'upload', busy: false }, inner);
    inner.remove();
    const count = server.keepAliveCalls.length;
    await minutes(el, 10);
    expect(server.keepAliveCalls, 'ended').to.have.length(count);

    busyEvent({ id: 'job', busy: true, maxMs: 5 * MINUTE });
    await minutes(el, 3);
    busyEvent({ id: 'job', busy: true, maxMs: 60 * MINUTE }); // still open: its end stays
    await minutes(el, 2);
    const after = server.keepAliveCalls.length;
    expect(after).to.be.greaterThan(count);
    await minutes(el, 5);
    expect(server.keepAliveCalls, 'ended after its first maxMs').to.have.length(after);
  });

  it('do not close a warning that is up; after "Stay signed in" they keep the session alive again', async () => {
    const el = await mount();
    await advance(clock, WARN_AT, el);
    expect(el.state).to.equal('warning');
    el.beginBusy();
    await minutes(el, 1);
    expect(el.state).to.equal('warning');
    expect(server.keepAliveCalls).to.have.length(0);
    part(el, 'extend-button')!.click();
    await settle(clock, el);
    expect(el.state).to.equal('active');
    await minutes(el, 20);
    expect(el.state).to.equal('active');
    expect(server.keepAliveCalls.length).to.be.within(20, 21);
  });
});

describe('busy periods across tabs', function (this: { timeout(ms: number): void }) {
  this.timeout(60_000);
  let tabs: Tab[] = [];

  beforeEach(() => {
    server.idleTimeoutMs = 60_000;
    server.warnBeforeMs = 20_000; // interval (60 − 20) / 3 = 13.3 s
    tabs = [];
  });

  afterEach(() => closeTabs(tabs));

  it('a busy period in B keeps A from warning (A learns the extensions), with one keep-alive stream', async () => {
    tabs.push(await openTab(), await openTab());
    const [a, b] = tabs as [Tab, Tab];
    await settleTabs(clock, tabs);
    const done = b.el.beginBusy();
    const states = new Set<string>();
    for (let s = 0; s < 120; s++) {
      await runTabs(clock, tabs, 1_000);
      states.add(a.el.state).add(b.el.state);
    }
    expect([...states]).to.deep.equal(['active']);
    const at = server.keepAliveCalls.map((c) => c.at - START);
    expect(at.length).to.be.within(8, 9);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).to.be.at.least(13_333);
    done();
    await runTabs(clock, tabs, 45_000);
    expect([a.el.state, b.el.state]).to.deep.equal(['warning', 'warning']);
  });
});
