/** Wires config, store, provider, registry, liveness and the HTTP server together (used by main and tests). */
import { readApiKeysFile, type Config } from './platform/config.js';
import { AzureProvider } from './adapters/azure/provider.js';
import { AzureUpstreamLiveness } from './adapters/azure/upstream-liveness.js';
import { EmbeddedProvider } from './adapters/engine/provider.js';
import type { FaceProvider } from './ports/face-provider.js';
import { MemoryFaceRegistry } from './adapters/store/memory-face-registry.js';
import { systemClock, type Clock } from './ports/clock.js';
import { ApiKeyChecker } from './app/api-keys.js';
import { PixelBudget, pixelPoints, RequestBudget } from './app/rate-limits.js';
import { memoryRateLimiter, redisRateLimiter } from './adapters/ratelimit/flexible.js';
import type { RateLimiter } from './ports/rate-limiter.js';
import type { FaceRegistry } from './ports/face-registry.js';
import { closeRedis, openRedis, type Redis } from './adapters/store/redis-client.js';
import { RedisFaceRegistry } from './adapters/store/redis-face-registry.js';
import { MemoryEventBus } from './adapters/store/memory-event-bus.js';
import { RedisEventBus } from './adapters/store/redis-event-bus.js';
import type { EventBus } from './ports/event-bus.js';
import { LiveUpdates } from './app/updates.js';
import { ImageLoader } from './app/images.js';
import { Recognition } from './app/faces/recognition.js';
import { fetchImage } from './adapters/net/safe-fetch.js';
import type { AppServices } from './app/services.js';
import { startServer, type RunningServer } from './api/server.js';
import { LivenessService } from './app/liveness/service.js';
import { EmbeddedLivenessSessions, type LivenessSessions } from './app/liveness/sessions.js';
import { UpstreamLivenessSessions } from './app/liveness/upstream-sessions.js';
import type { Logger } from './platform/logger.js';
import { Metrics } from './platform/metrics.js';
import { instrumentStore } from './adapters/store/instrumented.js';
import { openDatabase } from './adapters/store/database.js';
import { SqliteLivenessStore } from './adapters/store/sqlite-liveness-store.js';
import { PostgresLivenessStore } from './adapters/store/postgres-liveness-store.js';
import { openPostgresPool } from './adapters/store/postgres-pool.js';
import type { LivenessStore } from './ports/liveness-store.js';
import type { RandomBytes } from './domain/liveness/random.js';
import type { Pool } from 'pg';
import { SqliteCollectionStore } from './adapters/store/sqlite-collection-store.js';
import { PostgresCollectionStore } from './adapters/store/postgres-collection-store.js';
import type { CollectionStore } from './ports/collection-store.js';
import { createCollectionServices } from './app/collections/service.js';
import { localCollectionsApi } from './app/collections/api.js';
import { UpstreamCollections } from './app/collections/upstream.js';
import type { CollectionLimits } from './domain/collections.js';
import { UsearchIndexFactory } from './adapters/index/usearch-index.js';

export interface StartOptions {
  /** The services' clock (tests move time). */
  clock?: Clock;
  /** Wraps the face provider, e.g. to observe it in tests and benches. */
  decorateProvider?: (provider: FaceProvider) => FaceProvider;
  /** Collection count limits (tests use small ones); Azure's S0 limits otherwise. */
  collectionLimits?: CollectionLimits;
  /** Wraps the collection store, e.g. to hold a training while a test looks at it. */
  decorateCollectionStore?: (store: CollectionStore) => CollectionStore;
  /** Where liveness challenges (nonces, steps, light sequences) draw their bytes: crypto's by default; tests seed it. */
  challengeRandom?: RandomBytes;
}

export interface App {
  server: RunningServer;
  services: AppServices;
  provider: FaceProvider;
  /** The subscriptions' change notices: Redis pub/sub with FACEGRAPH_REDIS_URL, else this process's. */
  events: EventBus;
  /**
   * Key rotation (SIGHUP): FACEGRAPH_API_KEYS plus FACEGRAPH_API_KEYS_FILE read again. Returns
   * how many keys are accepted now; throws ConfigError (old keys kept) if the file cannot be read.
   */
  reloadApiKeys(): number;
  stop(): Promise<void>;
}

/**
 * Starts everything; with OTEL_TRACES_EXPORTER=otlp, the OpenTelemetry SDK first (before anything
 * can make a span) and, on stop, last (after the server has answered its last request), so the
 * last spans are exported.
 */
export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<App> {
  const telemetry = config.tracing ? (await import('./platform/telemetry.js')).startTelemetry(config.tracing, logger) : null;
  if (!telemetry) return startServices(config, logger, options);
  let app: App;
  try {
    app = await startServices(config, logger, options);
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
  return {
    ...app,
    async stop() {
      try {
        await app.stop();
      } finally {
        await telemetry.shutdown();
      }
    },
  };
}

async function startServices(config: Config, logger: Logger, options: StartOptions): Promise<App> {
  const clock = options.clock ?? systemClock;
  // Its own registry: several apps in one process (tests) never share a metric.
  const metrics = new Metrics({ processMetrics: true });
  // First, so an unwritable FACEGRAPH_DATA_DIR stops start-up before any worker is spawned.
  const db = openDatabase(config.dataDir);
  // Collections and liveness: PostgreSQL when FACEGRAPH_DATABASE_URL is set, both stores on one
  // pool (migrated here, before any worker starts: an unreachable server stops start-up); else
  // SQLite in the data directory (collections on their own FULL-sync connection).
  let pool: Pool | null = null;
  let collectionStore: CollectionStore;
  let baseLivenessStore: LivenessStore;
  try {
    if (config.databaseUrl) {
      const onError = (err: Error): void =>
        logger.warn({ err: err.message }, 'a PostgreSQL connection failed; it is replaced (the LISTEN one re-connects)');
      pool = await openPostgresPool(config.databaseUrl, { onError });
      collectionStore = new PostgresCollectionStore(pool, { ownsPool: false, listen: { url: config.databaseUrl, onError } });
      baseLivenessStore = await PostgresLivenessStore.open(pool, {
        onError: (err) => logger.warn({ err: err.message }, 'the liveness instance lock connection failed; taking the lock again'),
      });
    } else {
      collectionStore = SqliteCollectionStore.open(config.dataDir);
      baseLivenessStore = new SqliteLivenessStore(db);
    }
  } catch (err) {
    await pool?.end();
    db.close();
    throw err;
  }
  /** Closes the stores, then the pool and the SQLite connection they were given. */
  const closeStores = async (): Promise<void> => {
    await baseLivenessStore.close();
    await collectionStore.close();
    await pool?.end();
    db.close();
  };
  // Redis (FACEGRAPH_REDIS_URL): faceIds and rate limits shared by the replicas. Connected before
  // any worker starts, so an unreachable Redis stops start-up like an unreachable PostgreSQL.
  let redis: Redis | null = null;
  // Subscriptions' change notices: Redis pub/sub across the replicas (on a connection of its own:
  // a subscribed connection can send nothing else), else within this process.
  let events: EventBus;
  if (config.redis) {
    try {
      redis = await openRedis(config.redis, logger);
      const subscriber = await openRedis(config.redis, logger, 'Redis is unreachable; subscriptions miss changes until it is back').catch(
        async (err: unknown) => {
          await closeRedis(redis!);
          throw err;
        },
      );
      events = new RedisEventBus(redis, subscriber, { prefix: config.redis.prefix, logger });
    } catch (err) {
      await closeStores();
      throw err;
    }
  } else {
    events = new MemoryEventBus(logger);
  }
  const azure = config.provider === 'azure' ? new AzureProvider(config.azure!, logger, { metrics }) : null;
  const base: FaceProvider =
    azure ??
    new EmbeddedProvider({
      workers: config.workers,
      maxQueue: config.maxQueue,
      maxQueueWaitMs: config.maxQueueWaitMs,
      jobTimeoutMs: config.engineJobTimeoutMs,
      maxPixels: config.maxPixels,
      metrics,
    });
  const provider = options.decorateProvider?.(base) ?? base;
  // The in-process LRU by default; Redis is timed like the other stores (facegraph_store_operation_duration_seconds{store="faces"}).
  const registry: FaceRegistry = redis
    ? instrumentStore(new RedisFaceRegistry(redis, { prefix: config.redis!.prefix, clock, metrics }), 'faces', metrics)
    : new MemoryFaceRegistry({ ...config.registry, clock, metrics });
  // Per-key budgets: the replicas' common budget on Redis (with a memory insurance limiter while it is down), else this process's.
  const limiter = (pointsPerSecond: number, name: string): RateLimiter =>
    redis
      ? redisRateLimiter(redis, pointsPerSecond, `${config.redis!.prefix}${name}`)
      : memoryRateLimiter(pointsPerSecond, `facegraph:${name}`);
  // The embedded engine's sessions; on Azure, only the local index of the upstream's sessions.
  const livenessStore = instrumentStore(baseLivenessStore, 'liveness', metrics);
  const liveness = new LivenessService({
    store: livenessStore,
    provider,
    clock,
    logger,
    metrics,
    events,
    ...config.liveness,
    ...(options.challengeRandom ? { random: options.challengeRandom } : {}),
  });
  try {
    await liveness.start();
  } catch (err) {
    await events.close();
    if (redis) await closeRedis(redis);
    await closeStores();
    throw err;
  }
  const livenessSessions: LivenessSessions = azure
    ? new UpstreamLivenessSessions(liveness, new AzureUpstreamLiveness(azure.liveness))
    : new EmbeddedLivenessSessions(liveness);
  const images = new ImageLoader(
    config.image,
    {
      maxBytes: config.image.maxBytes,
      timeoutMs: config.fetch.timeoutMs,
      maxRedirects: config.fetch.maxRedirects,
      allowPrivateHosts: config.fetch.allowPrivateHosts,
    },
    fetchImage,
  );
  const recognition = new Recognition(registry, provider);
  const observedCollectionStore = instrumentStore<CollectionStore>(collectionStore, 'collections', metrics);
  const collections = createCollectionServices({
    store: options.decorateCollectionStore?.(observedCollectionStore) ?? observedCollectionStore,
    clock,
    registered: recognition,
    logger,
    limits: options.collectionLimits,
    vectorIndex: new UsearchIndexFactory(),
    events,
  });
  // Replicas on one PostgreSQL: load a new index as soon as any of them saves it (LISTEN). A
  // hint only, so a failure does not stop start-up: indexes then load on their first search.
  await collections.training
    .followSnapshots()
    .catch((err: Error) => logger.warn({ err: err.message }, 'not listening for new collection indexes; they load on first search'));
  const apiKeys = new ApiKeyChecker([...config.apiKeys, ...(config.apiKeysFile?.keys ?? [])], {
    required: config.apiKeysFile !== null,
  });
  // On Azure the upstream resource holds the collections, trains and searches (its faces reach
  // facegraph without embeddings, so the local use cases could not keep them).
  const collectionsApi = azure ? new UpstreamCollections(azure.collections, recognition) : localCollectionsApi(collections);
  const services: AppServices = {
    provider,
    images,
    recognition,
    collections: collectionsApi,
    localCollections: azure ? null : collections,
    registry,
    liveness,
    livenessSessions,
    config,
    logger,
    metrics,
    apiKeys,
    requestBudget: new RequestBudget(config.rateLimit.requestsPerSecond > 0 ? limiter(config.rateLimit.requestsPerSecond, 'rps') : null),
    pixelBudget: new PixelBudget(
      config.rateLimit.megapixelsPerSecond > 0 ? limiter(pixelPoints(config.rateLimit.megapixelsPerSecond), 'kpx') : null,
      config.rateLimit.megapixelsPerSecond,
    ),
    updates: new LiveUpdates({ bus: events, livenessSessions, collections: collectionsApi, clock }),
  };
  let server: RunningServer;
  try {
    server = await startServer(services);
  } catch (err) {
    await liveness.stop();
    await collections.training.close();
    await events.close();
    if (redis) await closeRedis(redis);
    await closeStores();
    throw err;
  }
  // Serve /healthz right away; /readyz turns green once the models are loaded (or the upstream client is ready).
  await provider.start();
  return {
    server,
    services,
    provider,
    events,
    reloadApiKeys() {
      const fileKeys = config.apiKeysFile ? readApiKeysFile(config.apiKeysFile.path) : [];
      apiKeys.replace([...config.apiKeys, ...fileKeys]);
      return apiKeys.size;
    },
    async stop() {
      await server.stop();
      await liveness.stop();
      await provider.close();
      await collections.training.close();
      // After the server (its subscriptions are closed by then) and the trainings (they publish).
      await events.close();
      // After the server: requests still being answered during the grace period need Redis.
      if (redis) await closeRedis(redis);
      await closeStores();
    },
  };
}
