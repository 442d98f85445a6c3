import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import { MAX_TIMEOUT_MS, type IdleSessionWarning } from '../src/idle-session-warning.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, part, settle, START, text, watchErrors } from './helpers.js';

const SECOND = 1_000;

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;
let restoreVisibility: (() => void) | null = null;

async function mount(configure?: (server: FakeServer) => void): Promise<IdleSessionWarning> {
  configure?.(server);
  const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
  await settle(clock, el);
  return el;
}

/** Seconds since load by the wall clock. */
const t = (): number => (Date.now() - START) / SECOND;

/** The countdown in seconds, parsed from its text ("1 minute 5 seconds"). */
function countdownSeconds(el: IdleSessionWarning): number {
  const words = text(part(el, 'countdown'));
  const minutes = /(\d+) minute/.exec(words);
  const seconds = /(\d+) second/.exec(words);
  return (minutes ? Number(minutes[1]) * 60 : 0) + (seconds ? Number(seconds[1]) : 0);
}

/** Makes the page report hidden or visible, and fires visibilitychange. */
function setVisibility(state: 'hidden' | 'visible'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
  restoreVisibility = () => {
    delete (document as unknown as Record<string, unknown>).visibilityState;
    delete (document as unknown as Record<string, unknown>).hidden;
  };
  document.dispatchEvent(new Event('visibilitychange'));
}

/**
 * Chromium's intensive throttling of hidden pages: a timer runs only at the next whole-minute
 * wake-up after it is due. Returns the function that lifts it.
 */
function throttleTimers(): () => void {
  const original = window.setTimeout;
  window.setTimeout = ((handler: TimerHandler, delay = 0, ...args: unknown[]) => {
    const now = Date.now();
    const wake = START + Math.ceil((now + Math.max(0, delay) - START) / MINUTE) * MINUTE;
    return original(handler, wake - now, ...args);
  }) as typeof window.setTimeout;
  return () => {
    window.setTimeout = original;
  };
}

/** Records every delay passed to setTimeout. */
function recordDelays(): { delays: number[]; stop: () => void } {
  const original = window.setTimeout;
  const delays: number[] = [];
  window.setTimeout = ((handler: TimerHandler, delay = 0, ...args: unknown[]) => {
    delays.push(delay);
    return original(handler, delay, ...args);
  }) as typeof window.setTimeout;
  return { delays, stop: () => (window.setTimeout = original) };
}

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
});

afterEach(() => {
  fixtureCleanup();
  restoreVisibility?.();
  restoreVisibility = null;
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('time that stays true: background throttling', () => {
  for (const [visibleAt, expected] of [
    [100, 'warning'],
    [130, 'expired'],
  ] as const) {
    it(`hidden from t=0 with one wake-up a minute (T=120, W=30), visible at t=${visibleAt}: ${expected} at once`, async () => {
      const lift = throttleTimers();
      setVisibility('hidden');
      let el: IdleSessionWarning;
      try {
        el = await mount((s) => {
          s.idleTimeoutMs = 120 * SECOND;
          s.warnBeforeMs = 30 * SECOND;
        });
        const seen: number[] = [];
        while (t() < visibleAt) {
          await advance(clock, SECOND, el);
          if (el.state === 'warning') seen.push(countdownSeconds(el));
        }
        expect(seen.every((s) => s >= 0)).to.equal(true);
      } finally {
        lift();
      }
      setVisibility('visible');
      await settle(clock, el);
      expect(el.state).to.equal(expected);
      if (expected === 'warning') {
        expect(countdownSeconds(el)).to.be.within(19, 21);
        expect(el.remainingMs!).to.be.within(19 * SECOND, 21 * SECOND);
        await advance(clock, 20 * SECOND, el);
        expect(el.state).to.equal('expired');
      } else {
        expect(part(el, 'countdown')).to.equal(null);
        expect(text(part(el, 'message'))).to.contain('inactivity');
      }
    });
  }
});

describe('time that stays true: sleep and clock changes', () => {
  it('sleep from t=10 to t=105 (T=120, W=15): warns at once with ~15 s left, expires at 120 with no input', async () => {
    const el = await mount((s) => {
      s.idleTimeoutMs = 120 * SECOND;
      s.warnBeforeMs = 15 * SECOND;
    });
    await advance(clock, 10 * SECOND, el);
    // The wall clock jumps; timers and performance.now() stand still.
    const perfBefore = performance.now();
    clock.setSystemTime(START + 105 * SECOND);
    expect(performance.now()).to.equal(perfBefore);
    await advance(clock, 1_500, el);
    expect(el.state).to.equal('warning');
    expect(countdownSeconds(el)).to.be.within(13, 15);
    while (t() < 119.5) await advance(clock, 500, el);
    expect(el.state).to.equal('warning');
    await advance(clock, 500, el);
    expect(el.state).to.equal('expired');
    expect(server.keepAliveCalls).to.have.length(0);
  });

  it('sleep past the deadline, then a mouse move: expired at once, and the input sends no keep-alive', async () => {
    const el = await mount((s) => {
      s.idleTimeoutMs = 120 * SECOND;
      s.warnBeforeMs = 15 * SECOND;
    });
    await advance(clock, 30 * SECOND, el);
    window.dispatchEvent(new PointerEvent('pointermove', { screenX: 1, screenY: 1 }));
    await advance(clock, 5 * SECOND, el);
    window.dispatchEvent(new PointerEvent('pointermove', { screenX: 2, screenY: 1 })); // throttled, pending
    expect(server.keepAliveCalls).to.have.length(1);
    clock.setSystemTime(START + 400 * SECOND);
    window.dispatchEvent(new PointerEvent('pointermove', { screenX: 3, screenY: 1 }));
    await settle(clock, el);
    expect(el.state).to.equal('expired');
    expect(server.keepAliveCalls).to.have.length(1);
  });

  for (const skew of [2 * 60 * MINUTE, -2 * 60 * MINUTE]) {
    it(`the computer's clock is set ${skew > 0 ? 'forward' : 'back'} 2 h mid-session: warning and expiry still at T−W and T`, async () => {
      const el = await mount((s) => {
        s.idleTimeoutMs = 120 * SECOND;
        s.warnBeforeMs = 20 * SECOND;
      });
      await advance(clock, 10 * SECOND, el);
      // Only this computer's clock changes: the server's elapsed times do not.
      clock.setSystemTime(Date.now() + skew);
      server.lastActivity += skew;
      const elapsed = (): number => Math.round(performance.now() / SECOND);
      await advance(clock, 89 * SECOND, el);
      expect(elapsed()).to.equal(99);
      expect(el.state).to.equal('active');
      await advance(clock, SECOND, el);
      expect(el.state).to.equal('warning');
      expect(countdownSeconds(el)).to.equal(20);
      await advance(clock, 19 * SECOND, el);
      expect(el.state).to.equal('warning');
      await advance(clock, SECOND, el);
      expect(el.state).to.equal('expired');
    });
  }
});

describe('time that stays true: long timeouts', () => {
  for (const [name, idleTimeoutMs] of [
    ['30 days', 30 * 24 * 60 * MINUTE],
    ['2^31 ms', 2 ** 31],
    ['2^32 − 5000 ms', 2 ** 32 - 5_000],
  ] as const) {
    it(`a ${name} timeout: no setTimeout delay above 2^31 − 1 ms, and nothing fires early`, async () => {
      const recorder = recordDelays();
      try {
        const el = await mount((s) => (s.idleTimeoutMs = idleTimeoutMs));
        const warnAt = idleTimeoutMs - 2 * MINUTE;
        clock.tick(warnAt - 1); // synchronous: thousands of cheap wake-ups
        await settle(clock, el);
        expect(el.state).to.equal('active');
        expect(server.calls).to.have.length(1);
        await advance(clock, 1, el);
        expect(el.state).to.equal('warning');
        expect(server.calls).to.have.length(2);
        expect(Math.max(...recorder.delays)).to.be.at.most(MAX_TIMEOUT_MS);
      } finally {
        recorder.stop();
      }
    });
  }
});

describe('time that stays true: activity', () => {
  it('a pointermove to the same coordinates is not activity', async () => {
    const el = await mount();
    await advance(clock, 10 * SECOND, el);
    window.dispatchEvent(new PointerEvent('pointermove', { screenX: 5, screenY: 5 }));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(1);
    await advance(clock, 61 * SECOND, el);
    for (let i = 0; i < 10; i++) window.dispatchEvent(new PointerEvent('pointermove', { screenX: 5, screenY: 5 }));
    await advance(clock, 61 * SECOND, el);
    expect(server.keepAliveCalls).to.have.length(1);
    window.dispatchEvent(new PointerEvent('pointermove', { screenX: 6, screenY: 5 }));
    await settle(clock, el);
    expect(server.keepAliveCalls).to.have.length(2);
  });

  it('activity only at t=5 (T=60, W=20): one keep-alive, none after, warning at 45, expiry at 65', async () => {
    const el = await mount((s) => {
      s.idleTimeoutMs = 60 * SECOND;
      s.warnBeforeMs = 20 * SECOND;
    });
    await advance(clock, 5 * SECOND, el);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
    await settle(clock, el);
    while (t() < 44) await advance(clock, SECOND, el);
    expect(el.state).to.equal('active');
    await advance(clock, SECOND, el);
    expect(el.state).to.equal('warning');
    expect(countdownSeconds(el)).to.equal(20);
    await advance(clock, 19 * SECOND, el);
    expect(el.state).to.equal('warning');
    await advance(clock, SECOND, el);
    expect(el.state).to.equal('expired');
    expect(server.keepAliveCalls.map((c) => (c.at - START) / SECOND)).to.deep.equal([5]);
  });

  it('activity inside a keep-alive interval is reported at the end of the interval, not at the warning', async () => {
    const el = await mount((s) => {
      s.idleTimeoutMs = 60 * SECOND;
      s.warnBeforeMs = 20 * SECOND;
    });
    await advance(clock, 5 * SECOND, el);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' })); // sent at once
    await advance(clock, 3 * SECOND, el);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'b' })); // within the 13.3 s interval: deferred
    await advance(clock, 20 * SECOND, el);
    const sent = server.keepAliveCalls.map((c) => (c.at - START) / SECOND);
    expect(sent).to.have.length(2);
    expect(sent[1]).to.be.within(18.3, 18.7);
    expect(el.state).to.equal('active');
  });
});

describe('time that stays true: the warning', () => {
  it('"Stay signed in" closes only after the server confirmed; a 401 turns the dialog into the expired state', async () => {
    const el = await mount();
    await advance(clock, 13 * MINUTE, el);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fetch = window.fetch;
    window.fetch = async (...args: Parameters<typeof window.fetch>) => {
      await gate;
      return fetch(...args);
    };
    try {
      server.script.keepalive.push({ status: 401, body: { state: 'expired', reason: 'idle' } });
      part(el, 'extend-button')!.click();
      await advance(clock, 2 * SECOND, el);
      expect(el.state, 'still waiting for the server').to.equal('warning');
      expect(dialogOf(el).open).to.equal(true);
      release();
      await settle(clock, el);
      expect(el.state).to.equal('expired');
      expect(dialogOf(el).open).to.equal(true);
      expect(text(part(el, 'message'))).to.contain('inactivity');
    } finally {
      window.fetch = fetch;
    }
  });

  it('when the absolute timeout will end the session: no "Stay signed in", says to save work, shows the time left', async () => {
    const el = await mount((s) => (s.absoluteAt = START + 10 * MINUTE));
    await advance(clock, 8 * MINUTE, el);
    expect(el.state).to.equal('warning');
    const dialogText = text(dialogOf(el));
    expect(dialogText).not.to.contain('Stay signed in');
    expect(text(part(el, 'message'))).to.match(/save your work/i);
    expect(text(part(el, 'countdown'))).to.equal('2 minutes');
    await advance(clock, 30 * SECOND, el);
    expect(text(part(el, 'countdown'))).to.equal('1 minute 30 seconds');
  });
});
