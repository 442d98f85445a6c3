import { chromium, type Browser } from 'playwright-core';
import { assertChromium, chromiumArgs, chromiumPath } from '../../../scripts/chromium.mjs';

/**
 * Launches Debian's headless Chromium (or CHROMIUM_PATH), or fails at once with the command that installs it.
 * @param ignoreDefaultArgs - flags of playwright's own defaults to leave out, such as
 *   `--disable-back-forward-cache` for a test of the back-forward cache; none by default.
 */
export async function launchChromium(ignoreDefaultArgs?: readonly string[]): Promise<Browser> {
  assertChromium('The end-to-end tests');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [...chromiumArgs],
    ...(ignoreDefaultArgs ? { ignoreDefaultArgs: [...ignoreDefaultArgs] } : {}),
  });
}
