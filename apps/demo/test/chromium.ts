import { chromium, type Browser } from 'playwright-core';
import { assertChromium, chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';

/** Launches Debian's headless Chromium (or CHROMIUM_PATH), or fails at once with the command that installs it. */
export async function launchChromium(): Promise<Browser> {
  assertChromium('The end-to-end tests');
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs] });
}
