/**
 * The faceId registry port: detected faces (with their embeddings) kept for their requested
 * time to live, like Azure's faceIds. Adapters: memory-face-registry.ts (in-process lru-cache,
 * the default) and redis-face-registry.ts (FACEGRAPH_REDIS_URL: shared by replicas).
 *
 * Asynchronous because a shared store is a network hop away. Lists go through the *Many
 * methods so a store can answer N faceIds in one round trip (Redis: one MGET / one pipeline).
 * A store that cannot be reached rejects with FaceError STORE_UNAVAILABLE (retryable), never
 * with "unknown faceId": a face that may still exist must not be reported as gone.
 */
import type { DetectedFace, DetectionModel, RecognitionModel, RegisteredFace } from '../domain/types.js';

export interface RegistryModels {
  recognitionModel: RecognitionModel;
  detectionModel: DetectionModel;
}

export interface FaceRegistry {
  /** Registers a face for `ttlSeconds`; an upstream provider's faceId is kept as the faceId. */
  register(face: DetectedFace, models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace>;
  /** Registers faces of one detection together (one round trip to a shared store), in order. */
  registerMany(faces: readonly DetectedFace[], models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace[]>;
  /** The face while it is valid; undefined once expired, evicted or unknown. Reads never extend its life. */
  get(faceId: string): Promise<RegisteredFace | undefined>;
  /** `get` for each id, in order, in one round trip to a shared store. */
  getMany(faceIds: readonly string[]): Promise<Array<RegisteredFace | undefined>>;
  /**
   * Faces currently held, for metrics and operations, when the adapter can count them for free
   * (in-process: yes). Undefined for Redis: counting a shared key prefix means a SCAN over the
   * whole keyspace, too slow for a metric; Redis's own INFO keyspace answers that instead.
   */
  readonly size?: number;
}
