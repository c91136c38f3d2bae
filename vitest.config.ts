import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Model loading and real inference on a 2-core machine: generous, not timing assertions.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // e2e files each start a server with its own worker pool; running them one at a time keeps
    // a 2-core machine from thrashing.
    fileParallelism: false,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]],
  },
});
