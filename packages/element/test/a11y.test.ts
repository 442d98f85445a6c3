import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import type { AxeResults } from 'axe-core';
import 'axe-core/axe.min.js';
import { emulateMedia, setViewport } from '@web/test-runner-commands';
import '../src/define.js';
import type { IdleSessionWarning } from '../src/idle-session-warning.js';
import { advance, dialogOf, FakeServer, installClock, MINUTE, settle } from './helpers.js';

interface AxeGlobal {
  run(context: Element | Document, options?: object): Promise<AxeResults>;
}
const axe = (window as unknown as { axe: AxeGlobal }).axe;

// The bare test page has neither; a real page must (these are page rules, not the element's).
document.documentElement.lang = 'en';
document.title = 'idle-session-warning accessibility test';

function describeViolations(results: AxeResults): string {
  return results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.html).join(', ')})`).join('\n');
}

/** Brings the element to a state under fake timers, then hands back the real clock so axe can run. */
async function elementIn(state: 'warning' | 'expired' | 'unreachable'): Promise<IdleSessionWarning> {
  const clock = installClock();
  const server = new FakeServer();
  server.install();
  try {
    const el = await fixture<IdleSessionWarning>(html`<idle-session-warning></idle-session-warning>`);
    await settle(clock, el);
    await advance(clock, 13 * MINUTE, el);
    if (state === 'unreachable') for (let i = 0; i < 5; i++) server.script.status.push('network-error');
    if (state !== 'warning') await advance(clock, 2 * MINUTE, el);
    expect(el.getAttribute('state')).to.equal(state);
    return el;
  } finally {
    server.restore();
    clock.uninstall();
  }
}

describe('<idle-session-warning> accessibility (axe-core)', () => {
  afterEach(() => fixtureCleanup());

  for (const state of ['warning', 'expired', 'unreachable'] as const) {
    it(`has no axe violations in the ${state} state`, async () => {
      const el = await elementIn(state);
      expect(dialogOf(el).open).to.equal(true);
      const results = await axe.run(document, { resultTypes: ['violations'] });
      expect(results.violations, describeViolations(results)).to.deep.equal([]);
      expect(results.passes.length + results.incomplete.length).to.be.greaterThan(0);
    });
  }

  it('sees inside the shadow root (a nameless button there is reported)', async () => {
    const el = await elementIn('warning');
    const bad = document.createElement('button');
    dialogOf(el).append(bad);
    const results = await axe.run(document, { resultTypes: ['violations'] });
    bad.remove();
    expect(results.violations.map((v) => v.id)).to.include('button-name');
  });

  describe('under the conditions users set', () => {
    afterEach(async () => {
      await emulateMedia({ forcedColors: 'none', reducedMotion: 'no-preference', colorScheme: 'light' });
      await setViewport({ width: 800, height: 600 });
    });

    const conditions: [string, () => Promise<void>][] = [
      ['forced colors (Windows high contrast)', () => emulateMedia({ forcedColors: 'active' })],
      ['reduced motion', () => emulateMedia({ reducedMotion: 'reduce' })],
      ['a dark colour scheme', () => emulateMedia({ colorScheme: 'dark' })],
      // 200% zoom of a 1280 × 720 window is a 640 × 360 layout viewport; 400% (WCAG SC 1.4.10 reflow) is 320 wide.
      ['200% zoom', () => setViewport({ width: 640, height: 360 })],
      ['400% zoom', () => setViewport({ width: 320, height: 256 })],
    ];
    for (const [name, apply] of conditions) {
      it(`stays usable with ${name}: no axe violations, the dialog fits the width, every button can be reached`, async () => {
        await apply();
        const el = await elementIn('warning');
        const results = await axe.run(document, { resultTypes: ['violations'] });
        expect(results.violations, describeViolations(results)).to.deep.equal([]);
        const dialog = dialogOf(el).getBoundingClientRect();
        expect(dialog.left).to.be.at.least(0);
        expect(dialog.right).to.be.at.most(window.innerWidth);
        for (const button of el.shadowRoot!.querySelectorAll('button')) {
          expect(button.getBoundingClientRect().width).to.be.greaterThan(0);
          button.focus();
          expect(el.shadowRoot!.activeElement).to.equal(button);
        }
      });
    }
  });
});
