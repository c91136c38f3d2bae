/**
 * The SQLite collection store on a real database in a temp directory: the CollectionStore
 * contract (test/contracts/collection-store.ts, also run on PostgreSQL), then what is SQLite's
 * own: schema version, durability settings, and deleted embeddings gone from the files' bytes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/adapters/store/database.js';
import { SCHEMA_VERSION } from '../../src/adapters/store/migrations.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import type { CollectionRef } from '../../src/domain/collections.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
import {
  COLLECTION_TABLES,
  collection,
  collectionStoreContract,
  face,
  succeeded,
  type RowCounts,
  type StoreHarness,
  TEST_SNAPSHOT_PART_BYTES,
} from '../contracts/collection-store.js';

/** Row counts of every collection table, read from the file by another connection. */
function rowsOnDisk(dir: string): RowCounts {
  const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    return Object.fromEntries(
      COLLECTION_TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]),
    ) as RowCounts;
  } finally {
    db.close();
  }
}

collectionStoreContract('SQLite', async (): Promise<StoreHarness> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'collection-store-'));
  const opened: CollectionStore[] = [];
  const open = (): SqliteCollectionStore => {
    const s = SqliteCollectionStore.open(dir, { snapshotPartBytes: TEST_SNAPSHOT_PART_BYTES });
    opened.push(s);
    return s;
  };
  const harness: StoreHarness = {
    store: open(),
    rowCounts: async () => rowsOnDisk(dir),
    async rawEmbedding(id) {
      const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
      try {
        return db.prepare('SELECT embedding FROM persisted_faces WHERE persisted_face_id = ?').pluck().get(id) as Buffer;
      } finally {
        db.close();
      }
    },
    another: async () => open(),
    async restart() {
      await harness.store.close();
      harness.store = open();
    },
    async destroy() {
      for (const s of opened) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
});

describe('SqliteCollectionStore', () => {
  let dir: string;
  let store: SqliteCollectionStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'collection-store-'));
    store = SqliteCollectionStore.open(dir);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates to the current schema and commits with synchronous = FULL on its own connection', () => {
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(4);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // 2 = FULL (0 OFF, 1 NORMAL, 3 EXTRA).
    expect((store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('leaves no byte of a deleted embedding in the database or WAL file', async () => {
    const pg: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
    const c = collection('g', 'largePersonGroup');
    await store.createCollection(c, 10);
    // A recognisable byte pattern: the embedding must not survive the delete anywhere in the files.
    const marker = new Float32Array(128).fill(1234.5678);
    for (const p of ['p1', 'p2']) {
      await store.addPerson(pg, { personId: p, name: p, userData: 'secret', createdAt: 1 }, 10);
      await store.addFace(pg, face(`${p}-a`, p, marker), 10);
      await store.addFace(pg, face(`${p}-b`, p), 10);
    }
    await store.writeTraining(pg, c.uid, succeeded(9), Buffer.from(marker.buffer));
    const pattern = Buffer.from(marker.buffer, 0, 16);
    const inFiles = (): string[] =>
      [DATABASE_FILE, `${DATABASE_FILE}-wal`].filter(
        (f) => existsSync(path.join(dir, f)) && readFileSync(path.join(dir, f)).includes(pattern),
      );
    expect(inFiles().length, 'the marker is written before the delete').toBeGreaterThan(0);
    expect(await store.deletePerson(pg, 'p1')).toBe(true);
    expect(await store.deleteCollection(pg)).toBe(true);
    expect(rowsOnDisk(dir)).toEqual({
      collections: 0,
      collection_persons: 0,
      persisted_faces: 0,
      collection_training: 0,
      index_snapshots: 0,
    });
    expect(inFiles(), 'files still holding the embedding').toEqual([]);
  });
});
