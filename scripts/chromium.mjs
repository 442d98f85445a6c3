// The one place that says which Chromium the browser tests use and how it is launched.
// Debian's Chromium (apt-get install -y chromium) or CHROMIUM_PATH; nothing is ever downloaded.
import { existsSync } from 'node:fs';

/** Path of the Chromium executable: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless flags that work as root on a machine with no outside network. */
export const chromiumArgs = Object.freeze([
  '--no-sandbox',
  '--headless=new',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);

/**
 * Throws at once, with the install command, when Chromium is missing, instead of letting a test time out.
 * @param {string} who - what needs it, for the message.
 */
export function assertChromium(who) {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `${who} need Chromium, not found at ${chromiumPath}. Install Debian's Chromium with ` +
        '`sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium or Chrome executable.',
    );
  }
}
