/**
 * Collections under test: a real store, the use cases on it, a real faceId registry, a movable
 * clock and synthetic embeddings with a clear structure. The store is SQLite in a temp
 * directory, or with FACEGRAPH_TEST_STORE=postgres (the vitest project `postgres`) PostgreSQL
 * in a fresh database on the test server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../src/adapters/store/database.js';
import { MemoryFaceRegistry } from '../../src/adapters/store/memory-face-registry.js';
import { PostgresCollectionStore } from '../../src/adapters/store/postgres-collection-store.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
import { createCollectionServices, type CollectionDeps, type CollectionServices } from '../../src/app/collections/service.js';
import { Recognition } from '../../src/app/faces/recognition.js';
import { AZURE_COLLECTION_LIMITS, type CollectionLimits } from '../../src/domain/collections.js';
import type { DetectedFace, FaceRectangle, RecognitionModel } from '../../src/domain/types.js';
import type { FaceProvider } from '../../src/ports/face-provider.js';
import { createTestDatabase, withClient } from './postgres.js';

export const DIM = 128;

/** Every table of the collection stores (the same names in SQLite and PostgreSQL). */
export const COLLECTION_TABLES = [
  'collections',
  'collection_persons',
  'persisted_faces',
  'collection_training',
  'index_snapshots',
] as const;
export type RowCounts = Record<(typeof COLLECTION_TABLES)[number], number>;

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
  /** 'sqlite' or 'postgres' (FACEGRAPH_TEST_STORE). */
  backend: 'sqlite' | 'postgres';
  store: CollectionStore;
  registry: MemoryFaceRegistry;
  clock: ManualClock;
  services: CollectionServices;
  /** Registers a detected face and returns its faceId. */
  faceId(embedding: Float32Array, recognitionModel?: RecognitionModel): string;
  /** Row counts of every collection table, read by a connection of its own. */
  rowCounts(): Promise<RowCounts>;
  /** Closes the store and opens a new one (and new use cases) on the same data: a restart. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Opens stores on one set of data, and drops it. */
interface Backend {
  open(): Promise<CollectionStore>;
  rowCounts(): Promise<RowCounts>;
  destroy(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(path.join(tmpdir(), 'collections-test-'));
  return {
    open: async () => SqliteCollectionStore.open(dir),
    async rowCounts() {
      const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
      try {
        return Object.fromEntries(
          COLLECTION_TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
        ) as RowCounts;
      } finally {
        db.close();
      }
    },
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  const db = await createTestDatabase();
  return {
    open: () => PostgresCollectionStore.open(db.url, { poolSize: 4 }),
    rowCounts: () =>
      withClient(db.url, async (c) => {
        const counts: Partial<RowCounts> = {};
        for (const t of COLLECTION_TABLES) counts[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
        return counts as RowCounts;
      }),
    destroy: () => db.drop(),
  };
}

export async function openFixture(
  limits: CollectionLimits = AZURE_COLLECTION_LIMITS,
  index: Pick<CollectionDeps, 'vectorIndex' | 'annMinFaces'> = {},
): Promise<Fixture> {
  const backendName = process.env.FACEGRAPH_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
  const backend = backendName === 'postgres' ? await postgresBackend() : await sqliteBackend();
  const clock = new ManualClock();
  const registry = new MemoryFaceRegistry({ maxEntries: 10_000, maxBytes: 100_000_000, clock });
  // registered() only reads the registry; the provider is never called for it.
  const recognition = new Recognition(registry, null as unknown as FaceProvider);
  const build = (store: CollectionStore): CollectionServices =>
    createCollectionServices({ store, clock, registered: recognition, limits, ...index });
  const fixture: Fixture = {
    backend: backendName,
    store: await backend.open(),
    registry,
    clock,
    services: undefined as unknown as CollectionServices,
    faceId(embedding, recognitionModel = 'recognition_04') {
      return registry.registerNow(detected(embedding), { recognitionModel, detectionModel: 'detection_03' }, 86_400).faceId;
    },
    rowCounts: () => backend.rowCounts(),
    async restart() {
      await fixture.store.close();
      fixture.store = await backend.open();
      fixture.services = build(fixture.store);
    },
    async close() {
      await fixture.store.close();
      await backend.destroy();
    },
  };
  fixture.services = build(fixture.store);
  return fixture;
}
