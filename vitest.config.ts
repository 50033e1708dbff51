import { defineConfig } from 'vitest/config';

// Two suites: `unit` (fast, no external processes: pure functions, mocks, real local HTTP servers)
// and `real` (Docker engine, nginx, browsers: slower, run by .ci/run after the unit suite).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/real/**'],
          testTimeout: 20000,
          // One module cache per worker: every file imports @pulumi/aws, and loading it per file doubled
          // the suite's time. The mock runtime is reset by each plan, so files do not leak into each other.
          isolate: false,
        },
      },
      {
        test: {
          name: 'real',
          include: ['test/real/**/*.test.ts'],
          testTimeout: 180000,
          hookTimeout: 300000,
          fileParallelism: false,
        },
      },
    ],
  },
});
