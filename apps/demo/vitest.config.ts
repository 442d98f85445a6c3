import { defineConfig } from 'vitest/config';

// End-to-end tests: they run the built sample app (turbo builds it first) and drive Debian's Chromium.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // CI machines are slow and shared: a poll that waits for the browser gets seconds, not vitest's default 1 s.
    expect: { poll: { timeout: 10_000 } },
  },
});
