import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import type { Clock as InstalledClock } from '@sinonjs/fake-timers';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, part, settle, text, watchErrors } from './helpers.js';

let clock: InstalledClock;
let server: FakeServer;
let watcher: ReturnType<typeof watchErrors>;
let page: HTMLElement;

async function mount(): Promise<IdleSessionWarning> {
  const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
  await settle(clock, el);
  return el;
}

/** A real key press through the browser; `Shift+Tab` holds Shift down around Tab. */
async function press(key: string): Promise<void> {
  if (key === 'Shift+Tab') {
    await sendKeys({ down: 'Shift' });
    await sendKeys({ press: 'Tab' });
    await sendKeys({ up: 'Shift' });
  } else {
    await sendKeys({ press: key });
  }
}

function focusedPart(el: IdleSessionWarning): string | null {
  return (el.shadowRoot!.activeElement as HTMLElement | null)?.getAttribute('part') ?? null;
}

beforeEach(() => {
  watcher = watchErrors();
  clock = installClock();
  server = new FakeServer();
  server.install();
  page = document.createElement('div');
  page.innerHTML = '<label>Subject <input id="subject" value="hello world"></label><label>Body <textarea id="body">first line\nsecond line</textarea></label>';
  document.body.append(page);
});

afterEach(() => {
  fixtureCleanup();
  page.remove();
  server.restore();
  clock.uninstall();
  watcher.stop();
  expect(watcher.errors, 'uncaught errors').to.deep.equal([]);
});

describe('WCAG 2.2: the warning dialog', () => {
  it('makes the page behind inert (native modal): nothing behind it takes focus', async () => {
    const el = await mount();
    await advance(clock, 13 * MINUTE, el);
    expect(dialogOf(el).matches(':modal')).to.equal(true);
    const input = page.querySelector('input')!;
    input.focus();
    expect(document.activeElement).not.to.equal(input);
    expect(focusedPart(el)).to.equal('extend-button');
  });

  it('Tab and Shift+Tab (real key presses) stay inside the dialog', async () => {
    const el = await mount();
    await advance(clock, 13 * MINUTE, el);
    expect(focusedPart(el)).to.equal('extend-button');
    const order: Array<string | null> = [];
    for (const key of ['Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
      await press(key);
      order.push(focusedPart(el));
    }
    expect(order).to.deep.equal(['sign-out-button', 'extend-button', 'sign-out-button', 'extend-button', 'sign-out-button', 'extend-button']);
    expect(dialogOf(el).open).to.equal(true);
  });

  it('Tab stays on the only control of the expired dialog, and Escape never closes it', async () => {
    const el = await mount();
    await advance(clock, 15 * MINUTE, el);
    expect(el.state).to.equal('expired');
    await sendKeys({ press: 'Tab' });
    expect(focusedPart(el)).to.equal('login-link');
    await press('Shift+Tab');
    expect(focusedPart(el)).to.equal('login-link');
    await sendKeys({ press: 'Escape' });
    await settle(clock, el);
    expect(dialogOf(el).open).to.equal(true);
    expect(el.state).to.equal('expired');
  });

  it('Escape (a real key press) never closes the warning', async () => {
    const el = await mount();
    await advance(clock, 13 * MINUTE, el);
    await sendKeys({ press: 'Escape' });
    await sendKeys({ press: 'Escape' });
    await settle(clock, el);
    expect(dialogOf(el).open).to.equal(true);
    expect(el.state).to.equal('warning');
  });

  for (const [name, selector, start, end, direction] of [
    ['an input, with a backward selection', '#subject', 2, 7, 'backward'],
    ['a textarea, with the caret mid-text', '#body', 14, 14, 'none'],
  ] as const) {
    it(`returns focus to exactly where it was when it closes: ${name}`, async () => {
      const el = await mount();
      const field = page.querySelector<HTMLInputElement | HTMLTextAreaElement>(selector)!;
      field.focus();
      field.setSelectionRange(start, end, direction);
      await advance(clock, 13 * MINUTE, el);
      expect(focusedPart(el)).to.equal('extend-button');
      await sendKeys({ press: 'Enter' });
      await settle(clock, el);
      expect(el.state).to.equal('active');
      expect(document.activeElement).to.equal(field);
      expect([field.selectionStart, field.selectionEnd]).to.deep.equal([start, end]);
      if (start !== end) expect(field.selectionDirection).to.equal(direction);
    });
  }

  it('the polite live message changes at most 5 times from the opening of a 2-minute warning to expiry; the countdown is not live', async () => {
    const el = await mount();
    await advance(clock, 13 * MINUTE, el);
    const live = el.shadowRoot!.querySelector('[aria-live="polite"]')!;
    expect(part(el, 'countdown')!.closest('[aria-live], [role="status"], [role="alert"], [role="timer"]')).to.equal(null);
    const values: string[] = [text(live)];
    for (let i = 0; i < 120; i++) {
      await advance(clock, 1_000, el);
      const current = el.shadowRoot!.querySelector('[aria-live="polite"]');
      const value = current ? text(current) : '(gone)';
      if (value !== values[values.length - 1]) values.push(value);
    }
    expect(el.state).to.equal('expired');
    expect(values.length - 1, values.join(' | ')).to.be.at.most(5);
  });
});
