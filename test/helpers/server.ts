/** Starts the real facegraph app (real engine) on a free loopback port for e2e tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App, type StartOptions } from '../../src/wiring.js';
import { countDetections, type CountingProvider } from '../../tools/counting-provider.js';
import { loadConfig } from '../../src/platform/config.js';
import type { Clock } from '../../src/ports/clock.js';
import { createLogger } from '../../src/platform/logger.js';
import { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import type { EnginePool } from '../../src/adapters/engine/pool.js';
import { createTestDatabase } from './postgres.js';
import { testRedisUrl, uniquePrefix } from './redis.js';

/**
 * Which provider the GraphQL suite runs on: the embedded engine in-process (default), or, with
 * FACEGRAPH_E2E_PROVIDER=azure (the "rest-roundtrip" vitest project), the Azure provider pointed
 * at a second facegraph's Azure-compatible REST surface on another loopback port.
 *
 * The latter is a round trip: facegraph's REST surface answers facegraph's Azure client, so both
 * sides of the wire are facegraph's code and a shared misreading of Azure's contract would pass
 * unnoticed. It is not evidence of compatibility with the real Azure AI Face; that is what
 * test/integration/azure-spec-examples.test.ts checks, against Microsoft's published examples.
 */
export const E2E_PROVIDER: 'embedded' | 'azure' = process.env.FACEGRAPH_E2E_PROVIDER === 'azure' ? 'azure' : 'embedded';

/**
 * FACEGRAPH_E2E_STORES=shared (vitest project `shared-stores`): each server keeps collections and
 * liveness in a fresh PostgreSQL database and faceIds and rate limits in Redis under a key prefix
 * of its own, unless `env` names its own (a test sharing them between replicas).
 */
const SHARED_STORES = process.env.FACEGRAPH_E2E_STORES === 'shared';

/**
 * The shared stores of the caller-owned data directories: a server restarted "on the same data"
 * (the same FACEGRAPH_DATA_DIR) gets the same database and prefix back. Those databases are kept
 * until the test PostgreSQL itself is removed.
 */
const storesOfDataDir = new Map<string, Record<string, string>>();

/**
 * The shared-store settings one server gets, and how to remove its database afterwards.
 * `callerDataDir`: the FACEGRAPH_DATA_DIR the caller passed (null: a fresh temporary one).
 */
async function sharedStoresEnv(
  env: Record<string, string>,
  callerDataDir: string | null,
): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const none = { env: {}, drop: () => Promise.resolve() };
  if (!SHARED_STORES) return none;
  const kept = callerDataDir ? storesOfDataDir.get(callerDataDir) : undefined;
  if (kept) return { env: kept, drop: none.drop };
  const out: Record<string, string> = {};
  let drop = none.drop;
  if (!env.FACEGRAPH_DATABASE_URL) {
    const db = await createTestDatabase();
    out.FACEGRAPH_DATABASE_URL = db.url;
    if (!callerDataDir) drop = () => db.drop();
  }
  if (!env.FACEGRAPH_REDIS_URL) {
    const url = testRedisUrl();
    if (!url) throw new Error('FACEGRAPH_E2E_STORES=shared needs the test Redis (vitest project "shared-stores")');
    out.FACEGRAPH_REDIS_URL = url;
    out.FACEGRAPH_REDIS_PREFIX = uniquePrefix();
  }
  if (callerDataDir) storesOfDataDir.set(callerDataDir, out);
  return { env: out, drop };
}

export interface TestServer {
  /** The app serving GraphQL (the gateway, on the Azure provider). */
  app: App;
  /** On the Azure provider: the facegraph whose REST surface the gateway calls. */
  upstream: App | null;
  /** The serving app's engine pool on the embedded provider (its documented test seam), else null. */
  engine: EnginePool | null;
  /** detect() calls that reached the serving app's provider (proves de-duplication). */
  detections(): number;
  /** Calls of any operation that reached the serving app's provider (on the Azure provider: upstream calls). */
  providerCalls(): number;
  url: string;
  /** Base URL of the liveness client API and capture page: the upstream's, on the Azure provider. */
  clientBase: string;
  /** POSTs a GraphQL document and returns the parsed JSON body and HTTP status. */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
}

/**
 * Without FACEGRAPH_DATA_DIR in env, the server gets a fresh temporary data directory, removed
 * on stop; with it, the directory is the caller's (e.g. to restart on the same data).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  clock?: Clock,
  provider = E2E_PROVIDER,
  /** Collection test hooks of the serving app (small limits, a store wrapper). */
  hooks: Pick<StartOptions, 'collectionLimits' | 'decorateCollectionStore' | 'challengeRandom'> = {},
): Promise<TestServer> {
  const ownDataDir = env.FACEGRAPH_DATA_DIR ? null : mkdtempSync(path.join(os.tmpdir(), 'facegraph-data-'));
  const dataDir = ownDataDir ?? env.FACEGRAPH_DATA_DIR!;
  const base = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
  const shared = await sharedStoresEnv(env, env.FACEGRAPH_DATA_DIR ?? null);
  env = { ...shared.env, ...env };
  const removeDataDir = async (): Promise<void> => {
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
    await shared.drop();
  };
  let upstream: App | null = null;
  let app: App;
  let counter: CountingProvider | null = null;
  let engine: EnginePool | null = null;
  try {
    let gatewayEnv: Record<string, string> = { ...base, FACEGRAPH_DATA_DIR: dataDir, ...env };
    if (provider === 'azure') {
      // The upstream: a plain facegraph on the embedded engine, keyed like an Azure resource.
      const { FACEGRAPH_API_KEYS: _gatewayKeys, ...upstreamEnv } = env;
      const upstreamConfig = loadConfig({
        ...base,
        ...upstreamEnv,
        FACEGRAPH_DATA_DIR: path.join(dataDir, 'upstream'),
        FACEGRAPH_API_KEYS: UPSTREAM_KEY,
      });
      upstream = await startApp(upstreamConfig, createLogger(upstreamConfig.logLevel), { clock });
      gatewayEnv = {
        ...gatewayEnv,
        FACE_PROVIDER: 'azure',
        AZURE_FACE_ENDPOINT: `http://127.0.0.1:${upstream.server.port}`,
        AZURE_FACE_KEY: UPSTREAM_KEY,
        // Fail fast in tests: a refusal is final, a retry is short.
        AZURE_FACE_RETRY_BASE_MS: '20',
        AZURE_FACE_MAX_RETRY_AFTER_S: '2',
      };
    }
    const config = loadConfig(gatewayEnv);
    app = await startApp(config, createLogger(config.logLevel), {
      clock,
      decorateProvider: (p) => {
        if (p instanceof EmbeddedProvider) engine = p.engine;
        return (counter = countDetections(p));
      },
      ...hooks,
    });
  } catch (err) {
    await upstream?.stop();
    await removeDataDir();
    throw err;
  }
  const url = app.server.url;
  const clientApp = upstream ?? app;
  return {
    app,
    upstream,
    url,
    clientBase: `http://127.0.0.1:${clientApp.server.port}`,
    engine,
    detections: () => counter?.detections ?? 0,
    providerCalls: () => counter?.calls ?? 0,
    async gql(query, variables, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GqlResponse<never>;
      return { ...body, status: res.status };
    },
    stop: () =>
      app
        .stop()
        .then(() => upstream?.stop())
        .finally(removeDataDir),
  };
}

/** The key the gateway uses on its upstream in the rest-roundtrip runs. */
export const UPSTREAM_KEY = 'upstream-test-key';

/** A clock tests can move forward, for TTL expiry. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
