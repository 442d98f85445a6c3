import { defineConfig } from 'vitest/config';

// One file; its beforeAll packs, installs (up to a few minutes on a cold npm cache) and type-checks.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 600_000 },
});
