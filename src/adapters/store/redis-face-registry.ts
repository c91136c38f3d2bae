/**
 * The faceId registry in Redis (FACEGRAPH_REDIS_URL): every replica using the same Redis and
 * key prefix sees every faceId, so a client may detect on one replica and verify on another.
 *
 * - One key per face, `<prefix>face:<faceId>`, written with SET … PX <ttl>: Redis expires the
 *   face at the end of its faceIdTimeToLive, and reads (GET/MGET) never extend it.
 * - The value is compact binary (see encode()): the embedding as raw float32 little-endian
 *   bytes (512 bytes for 128 dimensions, bit-exact), the rest (rectangle, landmarks,
 *   attributes, models, times) as a small JSON header. No JSON array of floats for the embedding.
 * - Round trips: registerMany is one pipeline, getMany one MGET; single `get`s issued in the
 *   same tick (GraphQL resolvers running side by side) are merged into one MGET by a DataLoader
 *   without cache (a cache would outlive expiries; batching only is safe).
 * - Any Redis failure (unreachable, timed out, refused) is STORE_UNAVAILABLE, retryable: a face
 *   that may still exist is never reported as unknown. A Redis restarted without persistence
 *   has lost its faces: they are unknown faceIds afterwards, as after their TTL (documented).
 * - No `size`: counting a shared prefix is a SCAN over the keyspace (see ports/face-registry.ts).
 */
import { randomUUID } from 'node:crypto';
import DataLoader from 'dataloader';
import type { Redis } from 'ioredis';
import { FaceError } from '../../domain/errors.js';
import type { DetectedFace, DetectionModel, RecognitionModel, RegisteredFace } from '../../domain/types.js';
import { systemClock, type Clock } from '../../ports/clock.js';
import type { FaceRegistry, RegistryModels } from '../../ports/face-registry.js';
import type { Metrics } from '../../platform/metrics.js';
import { blobToEmbedding, embeddingToBlob } from './embedding-bytes.js';

export interface RedisRegistryOptions {
  /** Key prefix (FACEGRAPH_REDIS_PREFIX); the registry's keys are `<prefix>face:<faceId>`. */
  prefix: string;
  clock?: Clock;
  metrics?: Metrics;
}

/** Seconds a client is told to wait after STORE_UNAVAILABLE: the client reconnects every ≤ 2 s. */
const RETRY_AFTER_SECONDS = 1;

export class RedisFaceRegistry implements FaceRegistry {
  private readonly clock: Clock;
  private readonly metrics: Metrics | undefined;
  private readonly prefix: string;
  private readonly batched: DataLoader<string, RegisteredFace | undefined>;

  constructor(
    private readonly redis: Redis,
    options: RedisRegistryOptions,
  ) {
    this.prefix = `${options.prefix}face:`;
    this.clock = options.clock ?? systemClock;
    this.metrics = options.metrics;
    this.batched = new DataLoader((ids) => this.getMany(ids), { cache: false, maxBatchSize: 1000 });
  }

  async register(face: DetectedFace, models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace> {
    const [entry] = await this.registerMany([face], models, ttlSeconds);
    return entry!;
  }

  async registerMany(faces: readonly DetectedFace[], models: RegistryModels, ttlSeconds: number): Promise<RegisteredFace[]> {
    if (faces.length === 0) return [];
    const now = this.clock.now();
    const ttlMs = Math.round(ttlSeconds * 1000);
    const entries = faces.map((face): RegisteredFace => ({
      // An upstream provider's faceId is kept, so recognition calls can send it back upstream.
      faceId: face.upstreamFaceId ?? randomUUID(),
      face,
      recognitionModel: models.recognitionModel,
      detectionModel: models.detectionModel,
      createdAt: new Date(now),
      expiresAt: new Date(now + ttlMs),
    }));
    const pipeline = this.redis.pipeline();
    for (const entry of entries) pipeline.set(this.key(entry.faceId), encode(entry), 'PX', ttlMs);
    const results = await pipeline.exec().catch((err: unknown) => {
      throw unavailable(err);
    });
    // A pipeline resolves with one [error, reply] per command: any error means a face was not kept.
    const failed = results?.find(([err]) => err !== null);
    if (!results || failed) throw unavailable(failed?.[0] ?? new Error('the pipeline was not executed'));
    return entries;
  }

  get(faceId: string): Promise<RegisteredFace | undefined> {
    return this.batched.load(faceId);
  }

  async getMany(faceIds: readonly string[]): Promise<Array<RegisteredFace | undefined>> {
    if (faceIds.length === 0) return [];
    let values: Array<Buffer | null>;
    try {
      values = await this.redis.mgetBuffer(...faceIds.map((id) => this.key(id)));
    } catch (err) {
      throw unavailable(err);
    }
    const now = this.clock.now();
    const entries = values.map((value, i) => {
      if (value === null) return undefined;
      const entry = decode(faceIds[i]!, value);
      // Redis expires keys to the millisecond; this only guards a clock that runs ahead of Redis's.
      return entry.expiresAt.getTime() > now ? entry : undefined;
    });
    if (this.metrics) {
      const hits = entries.filter(Boolean).length;
      if (hits) this.metrics.registryLookups.inc({ result: 'hit' }, hits);
      if (entries.length - hits) this.metrics.registryLookups.inc({ result: 'miss' }, entries.length - hits);
    }
    return entries;
  }

  private key(faceId: string): string {
    return this.prefix + faceId;
  }
}

function unavailable(cause: unknown): FaceError {
  const err = new FaceError('STORE_UNAVAILABLE', `The faceId store is unavailable; retry after ${RETRY_AFTER_SECONDS} s.`, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
  // The cause (host names, Redis's message) is for logs, never for the client: not in details.
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false });
  return err;
}

// ---- the value's bytes --------------------------------------------------------------------

/** Format version: a replica that meets a value of another version fails loudly, never misreads it. */
const VERSION = 1;
/** version (u8) + header length (u32 LE). */
const PREAMBLE = 5;

interface Header {
  /** The face without its embedding. */
  f: Omit<DetectedFace, 'embedding'>;
  r: RecognitionModel;
  d: DetectionModel;
  /** createdAt, expiresAt (epoch ms). */
  c: number;
  e: number;
  /** Whether an embedding follows (the Azure provider's faces have none). */
  x: boolean;
}

/** [version u8][header length u32 LE][header JSON][embedding float32 LE …]. */
export function encode(entry: RegisteredFace): Buffer {
  const { embedding, ...rest } = entry.face;
  const header: Header = {
    f: rest,
    r: entry.recognitionModel,
    d: entry.detectionModel,
    c: entry.createdAt.getTime(),
    e: entry.expiresAt.getTime(),
    x: embedding !== undefined,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const preamble = Buffer.alloc(PREAMBLE);
  preamble.writeUInt8(VERSION, 0);
  preamble.writeUInt32LE(json.length, 1);
  return Buffer.concat(embedding ? [preamble, json, embeddingToBlob(embedding)] : [preamble, json]);
}

export function decode(faceId: string, value: Buffer): RegisteredFace {
  if (value.length < PREAMBLE || value.readUInt8(0) !== VERSION) {
    throw new Error(`faceId ${faceId}: the Redis value is not a version-${VERSION} face (written by another facegraph version?)`);
  }
  const headerEnd = PREAMBLE + value.readUInt32LE(1);
  const header = JSON.parse(value.subarray(PREAMBLE, headerEnd).toString('utf8')) as Header;
  const face: DetectedFace = { ...header.f };
  if (header.x) face.embedding = blobToEmbedding(value.subarray(headerEnd));
  return {
    faceId,
    face,
    recognitionModel: header.r,
    detectionModel: header.d,
    createdAt: new Date(header.c),
    expiresAt: new Date(header.e),
  };
}
