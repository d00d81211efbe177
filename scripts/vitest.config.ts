import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // One real PostgreSQL server for the run (the server's store and API suites use it).
    globalSetup: ['packages/testkit/src/postgres-global-setup.ts'],
    // The JSON report is what .ci/run counts; the default reporter is for people.
    reporters: ['default', 'json'],
    outputFile: { json: '.output/test/vitest.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
