import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

/** Where the README's pictures go: taken here in real Chromium (Express runs only, so each is taken once). */
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

/** Saves a picture of `page` as `docs/screenshots/{name}.png`, on the Express run only. */
export async function screenshot(page: Page, framework: string, name: string): Promise<void> {
  if (framework !== 'express') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
}

/**
 * Headless Chromium has no tab strip, so a title cannot be photographed: this draws `titles` (read from
 * the sample app's `document.title`) as browser tabs and saves that, on the Express run only.
 */
export async function screenshotTitles(browser: Browser, framework: string, name: string, titles: readonly string[]): Promise<void> {
  if (framework !== 'express') return;
  const page = await browser.newPage({ viewport: { width: 760, height: 52 } });
  await page.setContent(`<body style="margin:0;background:#dee1e6;font:13px system-ui,sans-serif">
    <div style="display:flex;gap:4px;padding:8px 8px 0">${titles
      .map((title) => `<div style="flex:0 1 360px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;background:#fff;border-radius:8px 8px 0 0;padding:10px 14px"></div>`)
      .join('')}</div></body>`);
  await page.$$eval('div > div', (tabs, texts) => tabs.forEach((tab, i) => (tab.textContent = texts[i] ?? '')), titles as string[]);
  await screenshot(page, framework, name);
  await page.close();
}
