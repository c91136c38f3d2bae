import { defineConfig } from 'vitest/config';

/**
 * The GraphQL end-to-end suite: it runs twice, once per provider (see test/helpers/server.ts).
 * The engine-specific e2e files (overload, the liveness client API and the browser test, which
 * exercise the embedded engine's own queue, attempt analysis and capture page) run once.
 */
const GRAPHQL_E2E = [
  'test/e2e/detect.test.ts',
  'test/e2e/recognition.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/federation.test.ts',
  'test/e2e/liveness-lifecycle.test.ts',
];

export default defineConfig({
  test: {
    // Model loading and real inference on a 2-core machine: generous, not timing assertions.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // e2e files each start a server with its own worker pool; running them one at a time keeps
    // a 2-core machine from thrashing.
    fileParallelism: false,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]],
    projects: [
      { extends: true, test: { name: 'embedded', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'azure-provider', include: GRAPHQL_E2E, env: { FACEGRAPH_E2E_PROVIDER: 'azure' } },
      },
    ],
  },
});
