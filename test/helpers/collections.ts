/**
 * Collections under test: the real SQLite store in a temp directory, the use cases on it, a
 * real faceId registry, a movable clock and synthetic embeddings with a clear structure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MemoryFaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import { createCollectionServices, type CollectionDeps, type CollectionServices } from '../../src/app/collections/service.js';
import { Recognition } from '../../src/app/faces/recognition.js';
import { AZURE_COLLECTION_LIMITS, type CollectionLimits } from '../../src/domain/collections.js';
import type { DetectedFace, FaceRectangle, RecognitionModel } from '../../src/domain/types.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';

export const DIM = 128;

/** Deterministic pseudo-random numbers in [0, 1) (LCG). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A unit embedding of "person" `axis`: 1 on that axis plus noise of ±`noise` on axes 100–127,
 * normalised. Two of one axis are ~0.1 apart (confidence ≈ 1); of two axes √2 apart (≈ 0).
 */
export function vec(axis: number, seed: number, noise = 0.03): Float32Array {
  const rand = rng(seed * 7919 + axis);
  const v = new Float32Array(DIM);
  v[axis] = 1;
  for (let a = 100; a < DIM; a++) v[a] = (rand() - 0.5) * 2 * noise;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** A unit vector between persons a and b: cos(t)·e_a + sin(t)·e_b. */
export function between(a: number, b: number, t: number): Float32Array {
  const v = new Float32Array(DIM);
  v[a] = Math.cos(t);
  v[b] = Math.sin(t);
  return v;
}

export const rect = (left: number, top: number, width = 100, height = 100): FaceRectangle => ({ left, top, width, height });

export function detected(embedding: Float32Array, faceRectangle: FaceRectangle = rect(10, 10)): DetectedFace {
  return { faceRectangle, detectionScore: 0.99, attributes: {}, embedding };
}

/** A detect callback answering these faces, recording the models it was asked for. */
export function detector(
  ...faces: DetectedFace[]
): ((model: RecognitionModel) => Promise<DetectedFace[]>) & { models: RecognitionModel[] } {
  const models: RecognitionModel[] = [];
  return Object.assign(
    async (model: RecognitionModel) => {
      models.push(model);
      return faces;
    },
    { models },
  );
}

export class ManualClock {
  t = Date.parse('2026-01-01T00:00:00Z');
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Fixture {
  dir: string;
  store: SqliteCollectionStore;
  registry: MemoryFaceRegistry;
  clock: ManualClock;
  services: CollectionServices;
  /** Registers a detected face and returns its faceId. */
  faceId(embedding: Float32Array, recognitionModel?: RecognitionModel): string;
  /** Closes the store and opens a new one (and new use cases) on the same directory: a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function openFixture(
  limits: CollectionLimits = AZURE_COLLECTION_LIMITS,
  index: Pick<CollectionDeps, 'vectorIndex' | 'annMinFaces'> = {},
): Fixture {
  const dir = mkdtempSync(path.join(tmpdir(), 'collections-test-'));
  const clock = new ManualClock();
  const registry = new MemoryFaceRegistry({ maxEntries: 10_000, maxBytes: 100_000_000, clock });
  // registered() only reads the registry; the provider is never called for it.
  const recognition = new Recognition(registry, null as unknown as FaceProvider);
  const build = (store: SqliteCollectionStore): CollectionServices =>
    createCollectionServices({ store, clock, registered: recognition, limits, ...index });
  const fixture: Fixture = {
    dir,
    store: SqliteCollectionStore.open(dir),
    registry,
    clock,
    services: undefined as unknown as CollectionServices,
    faceId(embedding, recognitionModel = 'recognition_04') {
      return registry.register(detected(embedding), { recognitionModel, detectionModel: 'detection_03' }, 86_400).faceId;
    },
    async restart() {
      await fixture.store.close();
      fixture.store = SqliteCollectionStore.open(dir);
      fixture.services = build(fixture.store);
    },
    async close() {
      await fixture.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  fixture.services = build(fixture.store);
  return fixture;
}
