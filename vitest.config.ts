import { configDefaults, defineConfig } from 'vitest/config';
import { findRedisServer } from './tools/test-redis.js';

/**
 * The GraphQL end-to-end suite: it runs twice (see test/helpers/server.ts). Project `embedded`
 * runs it on the embedded engine; project `rest-roundtrip` runs it on the Azure provider pointed
 * at a second facegraph's Azure-compatible REST surface. That second run is a round trip through
 * facegraph's own code on both sides of the wire (src/rest/* answering src/azure/*): it shows
 * the two agree with each other, not that either agrees with the real Azure AI Face. Azure
 * compatibility is tested against Microsoft's published v1.2 examples and documented error
 * responses instead (test/integration/azure-spec-examples.test.ts, test/fixtures/azure/).
 * The engine-specific e2e files (overload, the liveness client API and the browser test, which
 * exercise the embedded engine's own queue, attempt analysis and capture page) run once.
 */
const GRAPHQL_E2E = [
  'test/e2e/detect.test.ts',
  'test/e2e/recognition.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/federation.test.ts',
  'test/e2e/liveness-lifecycle.test.ts',
  'test/e2e/collections.test.ts',
  'test/e2e/uploads.test.ts',
];

/**
 * The PostgreSQL suites run in project `postgres`, whose globalSetup starts a throwaway
 * PostgreSQL from npm's binaries (test/setup/postgres.ts, tools/test-postgres.ts) and stops it
 * at the end. The collection use-case tests run there a second time, on PostgreSQL
 * (FACEGRAPH_TEST_STORE=postgres; test/helpers/collections.ts picks the store). The store
 * contracts (test/contracts/) run on SQLite in `embedded` (test/unit/*-store.test.ts) and on
 * PostgreSQL here (test/integration/postgres-collection-store.test.ts,
 * postgres-liveness-store.test.ts, through the glob below).
 */
const POSTGRES_ONLY = ['test/integration/postgres-*.test.ts', 'test/integration/durability.test.ts'];

/**
 * The Redis suites (test/redis/) run in project `redis`, whose globalSetup starts a throwaway
 * system `redis-server` (test/setup/redis.ts, tools/test-redis.ts; not on npm). Without one the
 * project's tests skip with a loud line, unless REQUIRE_SERVICES=1 or CI=true, where the run fails.
 */
const REDIS_ONLY = ['test/redis/**/*.test.ts'];

/**
 * Project `shared-stores`: the GraphQL and liveness end-to-end suites again, with every server on
 * a fresh PostgreSQL database and its own Redis key prefix (FACEGRAPH_E2E_STORES=shared,
 * test/helpers/server.ts): no feature may behave differently on the shared stores. Plus the
 * two-replica tests (test/shared/). It needs both globalSetups. Without redis-server (not on npm)
 * it is left out with a loud line, unless REQUIRE_SERVICES=1 or CI=true, where test/setup/redis.ts
 * fails the run instead.
 */
const SHARED_STORES = [
  ...GRAPHQL_E2E,
  'test/e2e/liveness.test.ts',
  'test/e2e/rest-collections.test.ts',
  // Subscriptions on the Redis event bus (the embedded-engine run uses the in-process one).
  'test/e2e/subscriptions.test.ts',
  'test/shared/**/*.test.ts',
];
const redisAvailable =
  Boolean(process.env.FACEGRAPH_TEST_REDIS_URL) ||
  process.env.REQUIRE_SERVICES === '1' ||
  process.env.CI === 'true' ||
  findRedisServer() !== null;
if (!redisAvailable) {
  console.warn(
    '\n!!!!! vitest project "shared-stores" is SKIPPED: redis-server is not on PATH (sudo apt-get install redis-server) !!!!!\n',
  );
}

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
      {
        extends: true,
        test: {
          name: 'embedded',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...POSTGRES_ONLY, ...REDIS_ONLY, 'test/shared/**'],
        },
      },
      {
        extends: true,
        // FACEGRAPH_E2E_PROVIDER=azure: the gateway uses the Azure provider, its upstream is a facegraph.
        test: { name: 'rest-roundtrip', include: GRAPHQL_E2E, env: { FACEGRAPH_E2E_PROVIDER: 'azure' } },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: [...POSTGRES_ONLY, 'test/unit/collections.test.ts'],
          globalSetup: ['test/setup/postgres.ts'],
          env: { FACEGRAPH_TEST_STORE: 'postgres' },
        },
      },
      { extends: true, test: { name: 'redis', include: REDIS_ONLY, globalSetup: ['test/setup/redis.ts'] } },
      ...(redisAvailable
        ? [
            {
              extends: true as const,
              test: {
                name: 'shared-stores',
                include: SHARED_STORES,
                globalSetup: ['test/setup/postgres.ts', 'test/setup/redis.ts'],
                env: { FACEGRAPH_E2E_STORES: 'shared' },
              },
            },
          ]
        : []),
    ],
  },
});
