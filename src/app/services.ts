/**
 * What the edges (GraphQL, REST, the liveness client API) are given: the use cases and the
 * ports they run on, built once by src/wiring.ts.
 */
import type { Config } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import type { FaceProvider } from '../ports/face-provider.js';
import type { FaceRegistry } from '../ports/face-registry.js';
import type { ApiKeyChecker } from './api-keys.js';
import type { PixelBudget, RequestBudget } from './rate-limits.js';
import type { CollectionsApi } from './collections/api.js';
import type { CollectionServices } from './collections/service.js';
import type { Recognition } from './faces/recognition.js';
import type { ImageLoader } from './images.js';
import type { LivenessService } from './liveness/service.js';
import type { LivenessSessions } from './liveness/sessions.js';
import type { LiveUpdates } from './updates.js';

export interface AppServices {
  provider: FaceProvider;
  registry: FaceRegistry;
  /** The embedded engine's liveness service (client API, attempts, session images, local index). */
  liveness: LivenessService;
  /** Liveness sessions as GraphQL sees them: the embedded engine's, or an upstream's. */
  livenessSessions: LivenessSessions;
  /** Image inputs -> bytes: one size limit and one URL download policy for every edge. */
  images: ImageLoader;
  /** Verify, find-similar and group: every rule of them. */
  recognition: Recognition;
  /**
   * FaceLists, LargeFaceLists, PersonGroups, LargePersonGroups as GraphQL serves them: this
   * process's (embedded engine) or the upstream's (Azure provider).
   */
  collections: CollectionsApi;
  /**
   * This process's collection use cases over its store (the REST surface's, with training
   * operations). Null on the Azure provider: its faces carry no embedding to keep.
   */
  localCollections: CollectionServices | null;
  config: Config;
  logger: Logger;
  /** Every Prometheus metric, on this app's own registry (GET /metrics). */
  metrics: Metrics;
  /** FACEGRAPH_API_KEYS and FACEGRAPH_API_KEYS_FILE; disabled (everything allowed) when none are configured. */
  apiKeys: ApiKeyChecker;
  /** FACEGRAPH_RATE_LIMIT_RPS: each caller's request budget, charged by the edges. */
  requestBudget: RequestBudget;
  /** FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S: each caller's image-pixel budget, charged as images are accepted. */
  pixelBudget: PixelBudget;
  /** The subscriptions' streams (livenessSessionUpdated, trainingStatusChanged), over the process's event bus. */
  updates: LiveUpdates;
}
