import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromeLauncher } from '@web/test-runner-chrome';
import { assertChromium, chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

assertChromium('The @idle-session/element tests');

const FAKE_TIMERS_URL = '/__cjs__/sinonjs-fake-timers.js';

/**
 * @sinonjs/fake-timers ships CommonJS only; serve an ES module version of it, converted by esbuild.
 * (Its optional Node-only requires sit in try/catch, so they stay external.)
 */
const fakeTimersAsEsm = {
  name: 'fake-timers-as-esm',
  resolveImport({ source }) {
    if (source === '@sinonjs/fake-timers') return FAKE_TIMERS_URL;
    return undefined;
  },
  async serve(context) {
    if (context.path !== FAKE_TIMERS_URL) return undefined;
    const result = await build({
      stdin: { contents: "export { default } from '@sinonjs/fake-timers';", resolveDir: fileURLToPath(new URL('.', import.meta.url)) },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      external: ['timers', 'timers/promises', 'perf_hooks', 'util'],
      write: false,
      logLevel: 'silent',
    });
    return { body: result.outputFiles[0].text, type: 'js' };
  },
};

/** @type {import('@web/test-runner').TestRunnerConfig} */
export default {
  rootDir: fileURLToPath(new URL('.', import.meta.url)),
  files: ['test/**/*.test.ts'],
  nodeResolve: true,
  concurrency: 1,
  concurrentBrowsers: 1,
  testsFinishTimeout: 120_000,
  browserStartTimeout: 60_000,
  testFramework: { config: { timeout: 10_000 } },
  plugins: [fakeTimersAsEsm, esbuildPlugin({ ts: true, target: 'es2022' })],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromiumPath, headless: true, args: [...chromiumArgs] },
    }),
  ],
};
