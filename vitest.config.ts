import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Three suites: `unit` (fast, no external processes: pure functions, mocks, real local HTTP servers),
// `real` (Docker engine, HAProxy) and `engine` (the real Pulumi CLI built by engine:build, the
// provider doubles, Docker and Chromium), the slower two run by .ci/run after the unit suite.
export default defineConfig({
  test: {
    // Every core: vitest's default leaves one free, which on a 2-core machine runs the unit files one
    // at a time (the real and engine suites run their files one after another regardless).
    maxWorkers: availableParallelism(),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/real/**', 'test/engine/**'],
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
      {
        test: {
          name: 'engine',
          include: ['test/engine/**/*.test.ts'],
          testTimeout: 300000,
          hookTimeout: 600000,
          // One engine, one Docker: files run one after another, tests in order within a file.
          fileParallelism: false,
        },
      },
    ],
  },
});
