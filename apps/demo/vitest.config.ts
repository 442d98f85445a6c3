import { defineConfig } from 'vitest/config';

// End-to-end tests: they run the built sample app (turbo builds it first) and drive Debian's Chromium.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
