import { defineConfig } from 'vitest/config';

// Property tests bound themselves with fast-check's numRuns or interruptAfterTimeLimit;
// this timeout is only the backstop for a hung test.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'model/**/*.ts'],
    },
  },
});
