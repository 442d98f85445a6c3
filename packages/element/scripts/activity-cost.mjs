// Prints the main-thread cost of one activity event with <idle-session-warning> on the page:
// 100,000 pointermove (and keydown) events dispatched in headless Chromium, with and without the
// element, through puppeteer-core (the one @web/test-runner-chrome already depends on; nothing is downloaded).
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { bundleOptions, ENTRY } from './bundle-options.mjs';
import { assertChromium, chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';

assertChromium('The activity-cost benchmark');

const require = createRequire(createRequire(import.meta.url).resolve('@web/test-runner-chrome'));
const { default: puppeteer } = await import(require.resolve('puppeteer-core'));

const EVENTS = 100_000;
const ROUNDS = 5;

const bundle = await build({ ...bundleOptions, write: false });
// The entry only: the page uses no chunk (no keep-drafts, no frames, English).
const bundleEntry = bundle.outputFiles.find((file) => file.path.endsWith(`${ENTRY}.js`)).text;

// A status endpoint in the page: a live session of 15 minutes, so the element listens as in production.
const fakeServer = `
  window.fetch = async (url) => new Response(JSON.stringify({
    state: 'active', remainingMs: 900000, idleRemainingMs: 900000, absoluteRemainingMs: null,
    idleTimeoutMs: 900000, warnBeforeMs: 120000, sessionId: 'bench' }),
    { status: 200, headers: { 'content-type': 'application/json' } });`;

/** Runs in the page: dispatches `count` events of `type`, returns milliseconds per round. */
function dispatch(type, count, rounds) {
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const event =
        type === 'pointermove'
          ? new PointerEvent('pointermove', { screenX: i % 1000, screenY: (i / 1000) | 0 })
          : new KeyboardEvent('keydown', { key: 'a' });
      window.dispatchEvent(event);
    }
    times.push(performance.now() - start);
  }
  return times;
}

const browser = await puppeteer.launch({ executablePath: chromiumPath, headless: true, args: [...chromiumArgs] });
try {
  const results = {};
  for (const withElement of [false, true]) {
    const page = await browser.newPage();
    await page.setContent('<!doctype html><html lang="en"><title>bench</title><body></body></html>');
    await page.addScriptTag({ content: fakeServer });
    if (withElement) {
      await page.addScriptTag({ type: 'module', content: bundleEntry });
      await page.evaluate(async () => {
        const el = document.createElement('idle-session-warning');
        document.body.append(el);
        for (let i = 0; i < 50 && el.getAttribute('state') !== 'active'; i++) await new Promise((r) => setTimeout(r, 10));
        if (el.getAttribute('state') !== 'active') throw new Error(`element state ${el.getAttribute('state')}`);
      });
    }
    for (const type of ['pointermove', 'keydown']) {
      const times = await page.evaluate(dispatch, type, EVENTS, ROUNDS);
      const best = Math.min(...times);
      results[`${type} ${withElement ? 'with' : 'without'}`] = (best * 1e6) / EVENTS; // ns per event
    }
    await page.close();
  }
  console.log(`activity cost, best of ${ROUNDS} rounds of ${EVENTS.toLocaleString('en')} synthetic events (create + dispatch):`);
  for (const type of ['pointermove', 'keydown']) {
    const without = results[`${type} without`];
    const withEl = results[`${type} with`];
    console.log(
      `${type.padEnd(12)} ${withEl.toFixed(0).padStart(6)} ns/event with the element, ${without.toFixed(0).padStart(6)} ns without: ` +
        `${(withEl - without).toFixed(0)} ns added per event`,
    );
  }
} finally {
  await browser.close();
}
