/** Wires config, store, provider, registry, liveness and the HTTP server together (used by main and tests). */
import type { Config } from './platform/config.js';
import { AzureProvider } from './adapters/azure/provider.js';
import { AzureUpstreamLiveness } from './adapters/azure/upstream-liveness.js';
import { EmbeddedProvider } from './adapters/engine/provider.js';
import type { FaceProvider } from './ports/face-provider.js';
import { MemoryFaceRegistry } from './adapters/store/memory-face-registry.js';
import { systemClock, type Clock } from './ports/clock.js';
import { ApiKeyChecker } from './app/api-keys.js';
import { ImageLoader } from './app/images.js';
import { Recognition } from './app/faces/recognition.js';
import { fetchImage } from './adapters/net/safe-fetch.js';
import type { AppServices } from './app/services.js';
import { startServer, type RunningServer } from './api/server.js';
import { LivenessService } from './app/liveness/service.js';
import { EmbeddedLivenessSessions, type LivenessSessions } from './app/liveness/sessions.js';
import { UpstreamLivenessSessions } from './app/liveness/upstream-sessions.js';
import type { Logger } from './platform/logger.js';
import { openDatabase } from './adapters/store/database.js';
import { SqliteLivenessStore } from './adapters/store/sqlite-liveness-store.js';
import { SqliteCollectionStore } from './adapters/store/sqlite-collection-store.js';
import { createCollectionServices } from './app/collections/service.js';
import { localCollectionsApi } from './app/collections/api.js';
import { UpstreamCollections } from './app/collections/upstream.js';
import type { CollectionLimits } from './domain/collections.js';
import type { CollectionStore } from './ports/collection-store.js';
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
}

export interface App {
  server: RunningServer;
  services: AppServices;
  provider: FaceProvider;
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger, options: StartOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  // First, so an unwritable FACEGRAPH_DATA_DIR stops start-up before any worker is spawned.
  const db = openDatabase(config.dataDir);
  const azure = config.provider === 'azure' ? new AzureProvider(config.azure!, logger) : null;
  const base: FaceProvider =
    azure ??
    new EmbeddedProvider({
      workers: config.workers,
      maxQueue: config.maxQueue,
      maxQueueWaitMs: config.maxQueueWaitMs,
      jobTimeoutMs: config.engineJobTimeoutMs,
      maxPixels: config.maxPixels,
    });
  const provider = options.decorateProvider?.(base) ?? base;
  const registry = new MemoryFaceRegistry({ ...config.registry, clock });
  // The embedded engine's sessions; on Azure, only the local index of the upstream's sessions.
  const liveness = new LivenessService({ store: new SqliteLivenessStore(db), provider, clock, logger, ...config.liveness });
  liveness.start();
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
  const collectionStore = SqliteCollectionStore.open(config.dataDir);
  const collections = createCollectionServices({
    store: options.decorateCollectionStore?.(collectionStore) ?? collectionStore,
    clock,
    registered: recognition,
    logger,
    limits: options.collectionLimits,
    vectorIndex: new UsearchIndexFactory(),
  });
  const services: AppServices = {
    provider,
    images,
    recognition,
    // On Azure the upstream resource holds the collections, trains and searches (its faces reach
    // facegraph without embeddings, so the local use cases could not keep them).
    collections: azure ? new UpstreamCollections(azure.collections, recognition) : localCollectionsApi(collections),
    localCollections: azure ? null : collections,
    registry,
    liveness,
    livenessSessions,
    config,
    logger,
    apiKeys: new ApiKeyChecker(config.apiKeys),
  };
  let server: RunningServer;
  try {
    server = await startServer(services);
  } catch (err) {
    liveness.stop();
    await collectionStore.close();
    db.close();
    throw err;
  }
  // Serve /healthz right away; /readyz turns green once the models are loaded (or the upstream client is ready).
  await provider.start();
  return {
    server,
    services,
    provider,
    async stop() {
      await server.stop();
      liveness.stop();
      await provider.close();
      await collections.training.close();
      await collectionStore.close();
      db.close();
    },
  };
}
