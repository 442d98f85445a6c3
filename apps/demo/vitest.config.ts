import { defineConfig } from 'vitest/config';

// End-to-end tests: they run the built sample app (turbo builds it first). Two projects, each one file at a
// time: the tests that drive Debian's Chromium, and the plain-HTTP tests (slow uploads, stores, headers,
// throttling), which mostly wait on real time and barely use the CPU. `pnpm test` runs the two in two
// processes side by side (see package.json): a browser test never shares the machine with another browser
// test, and the run takes the longer project's time, not the sum.
const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  fileParallelism: false,
  // CI machines are slow and shared: a poll that waits for the browser gets seconds, not vitest's default 1 s.
  expect: { poll: { timeout: 10_000 } },
};
const BROWSER = ['test/e2e.test.ts', 'test/tabs.test.ts', 'test/instances.test.ts'];

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'chromium', include: BROWSER } },
      { test: { ...shared, name: 'http', include: ['test/**/*.test.ts'], exclude: BROWSER } },
    ],
  },
});
