/**
 * The faceId registry: detected faces (with their embeddings) kept for their requested time to
 * live, like Azure's faceIds. Bounded in entries and bytes; reads never extend a face's life.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DetectedFace, RegisteredFace } from '../../domain/types.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { FaceRegistry, RegistryModels } from '../../ports/face-registry.js';
import type { Metrics } from '../../platform/metrics.js';

export interface RegistryOptions {
  maxEntries: number;
  maxBytes: number;
  clock?: Clock;
  /** Lookups (hit / miss) and the number of faces held. */
  metrics?: Metrics;
}

/** Rough in-memory size of an entry: the embedding plus the JSON-ish rest. */
function entrySize(entry: RegisteredFace): number {
  const embeddingBytes = entry.face.embedding ? entry.face.embedding.byteLength : 0;
  const landmarkBytes = entry.face.landmarks ? 27 * 48 : 0;
  return 512 + embeddingBytes + landmarkBytes;
}

export class MemoryFaceRegistry implements FaceRegistry {
  private readonly cache: LRUCache<string, RegisteredFace>;
  private readonly clock: Clock;
  private readonly metrics: Metrics | undefined;

  constructor(options: RegistryOptions) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics;
    const clock = this.clock;
    this.cache = new LRUCache<string, RegisteredFace>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: entrySize,
      // Every entry gets its own TTL at set(); reads must not extend it.
      ttl: 1,
      ttlAutopurge: false,
      updateAgeOnGet: false,
      updateAgeOnHas: false,
      allowStale: false,
      ttlResolution: 0,
      perf: { now: () => clock.now() },
    });
  }

  // The port is asynchronous for shared stores; in process every answer is already there.
  register(face: DetectedFace, models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace> {
    return Promise.resolve(this.registerNow(face, models, ttlSeconds));
  }

  registerMany(faces: readonly DetectedFace[], models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace[]> {
    return Promise.resolve(faces.map((face) => this.registerNow(face, models, ttlSeconds)));
  }

  get(faceId: string): Promise<RegisteredFace | undefined> {
    return Promise.resolve(this.getNow(faceId));
  }

  getMany(faceIds: readonly string[]): Promise<Array<RegisteredFace | undefined>> {
    return Promise.resolve(faceIds.map((id) => this.getNow(id)));
  }

  /** `register`, synchronously: for in-process callers holding this adapter itself (tests, benches). */
  registerNow(face: DetectedFace, models: RegistryModels, ttlSeconds: number): RegisteredFace {
    const now = this.clock.now();
    const entry: RegisteredFace = {
      // An upstream provider's faceId is kept, so recognition calls can send it back upstream.
      faceId: face.upstreamFaceId ?? randomUUID(),
      face,
      recognitionModel: models.recognitionModel,
      detectionModel: models.detectionModel,
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlSeconds * 1000),
    };
    this.cache.set(entry.faceId, entry, { ttl: ttlSeconds * 1000 });
    this.metrics?.registrySize.set(this.cache.size);
    return entry;
  }

  /** `get`, synchronously (tests, benches): the face while it is valid, undefined once expired, evicted or unknown. */
  getNow(faceId: string): RegisteredFace | undefined {
    const face = this.cache.get(faceId);
    if (this.metrics) {
      this.metrics.registryLookups.inc({ result: face ? 'hit' : 'miss' });
      this.metrics.registrySize.set(this.cache.size);
    }
    return face;
  }

  get size(): number {
    return this.cache.size;
  }

  get bytes(): number {
    return this.cache.calculatedSize;
  }
}
