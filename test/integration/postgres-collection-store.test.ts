/**
 * The PostgreSQL collection store on the test server (vitest project `postgres`, whose
 * globalSetup starts PostgreSQL from npm's binaries), a fresh database per test: the
 * CollectionStore contract (test/contracts/collection-store.ts, also run on SQLite), then what
 * is PostgreSQL's own: versioned migrations, NOTIFY of a new snapshot, a refused newer schema.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresCollectionStore } from '../../src/adapters/store/postgres-collection-store.js';
import { readMigrations } from '../../src/adapters/store/postgres-migrations.js';
import type { CollectionRef } from '../../src/domain/collections.js';
import type { CollectionStore, SnapshotNotice } from '../../src/ports/collection-store.js';
import {
  COLLECTION_TABLES,
  collection,
  collectionStoreContract,
  succeeded,
  type RowCounts,
  type StoreHarness,
  TEST_SNAPSHOT_PART_BYTES,
} from '../contracts/collection-store.js';
import { createTestDatabase, withClient, type TestDatabase } from '../helpers/postgres.js';

async function rowCounts(url: string): Promise<RowCounts> {
  return withClient(url, async (c) => {
    const counts: Partial<RowCounts> = {};
    for (const t of COLLECTION_TABLES) counts[t] = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n);
    return counts as RowCounts;
  });
}

collectionStoreContract('PostgreSQL', async (): Promise<StoreHarness> => {
  const db = await createTestDatabase();
  const opened: CollectionStore[] = [];
  const open = async (): Promise<CollectionStore> => {
    const s = await PostgresCollectionStore.open(db.url, { poolSize: 4, snapshotPartBytes: TEST_SNAPSHOT_PART_BYTES });
    opened.push(s);
    return s;
  };
  const harness: StoreHarness = {
    store: await open(),
    rowCounts: () => rowCounts(db.url),
    rawEmbedding: (id) =>
      withClient(db.url, async (c) => {
        const { rows } = await c.query<{ embedding: Buffer }>('SELECT embedding FROM persisted_faces WHERE persisted_face_id = $1', [id]);
        return rows[0]!.embedding;
      }),
    another: open,
    async restart() {
      await harness.store.close();
      harness.store = await open();
    },
    async destroy() {
      for (const s of opened) await s.close();
      await db.drop();
    },
  };
  return harness;
});

describe('PostgresCollectionStore', () => {
  let db: TestDatabase;
  let store: PostgresCollectionStore;

  beforeEach(async () => {
    db = await createTestDatabase();
    store = await PostgresCollectionStore.open(db.url, { poolSize: 2 });
  });

  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  it('applies each versioned migration once, also when replicas start together', async () => {
    const more = await Promise.all([1, 2, 3].map(() => PostgresCollectionStore.open(db.url, { poolSize: 1 })));
    await Promise.all(more.map((s) => s.close()));
    const applied = await withClient(
      db.url,
      async (c) => (await c.query('SELECT version, name FROM facegraph_migrations ORDER BY version')).rows,
    );
    expect(applied).toEqual(readMigrations().map((m) => ({ version: m.version, name: m.name })));
    expect(applied[0]).toEqual({ version: 1, name: 'collections' });
    // Ids compare byte-wise whatever the database's default collation.
    const collation = await withClient(
      db.url,
      async (c) =>
        (await c.query("SELECT collation_name FROM information_schema.columns WHERE table_name = 'collections' AND column_name = 'id'"))
          .rows[0],
    );
    expect(collation).toEqual({ collation_name: 'C' });
  });

  it('refuses a database whose schema is newer than this build', async () => {
    await withClient(db.url, (c) => c.query("INSERT INTO facegraph_migrations (version, name) VALUES (999, 'future')"));
    await expect(PostgresCollectionStore.open(db.url)).rejects.toThrow(/schema is version 999, newer than this build/);
  });

  it('tells every watcher of each snapshot written, after its commit, and only then', async () => {
    const other = await PostgresCollectionStore.open(db.url);
    try {
      const notices: SnapshotNotice[] = [];
      const stop = await other.watchSnapshots((n) => notices.push(n));
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      const c = collection('g', 'largePersonGroup');
      await store.createCollection(c, 10);
      await store.writeTraining(ref, c.uid, { ...succeeded(1), status: 'running' });
      await store.writeTraining(ref, c.uid, succeeded(2), Buffer.from('s1'));
      await store.writeTraining(ref, 'gone', succeeded(3), Buffer.from('stale'));
      await store.writeTraining(ref, c.uid, succeeded(4), Buffer.from('s2'));
      await expect.poll(() => notices.length).toBe(2);
      expect(notices).toEqual([
        { kind: 'largePersonGroup', id: 'g', uid: c.uid, version: 1 },
        { kind: 'largePersonGroup', id: 'g', uid: c.uid, version: 2 },
      ]);
      await stop();
      await store.writeTraining(ref, c.uid, succeeded(5), Buffer.from('s3'));
      // A round trip through the server: a notice for version 3 would have been delivered by now.
      await store.readSnapshot(ref);
      await new Promise((r) => setTimeout(r, 200));
      expect(notices).toHaveLength(2);
    } finally {
      await other.close();
    }
  });

  it('watching survives a dropped connection: it re-connects and hears the next snapshot', async () => {
    const other = await PostgresCollectionStore.open(db.url);
    try {
      const notices: SnapshotNotice[] = [];
      await other.watchSnapshots((n) => notices.push(n));
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      const c = collection('g', 'largePersonGroup');
      await store.createCollection(c, 10);
      // The server ends the LISTEN session, as a restart or a network cut would.
      const killed = await withClient(db.url, async (admin) => {
        const r = await admin.query<{ n: number }>(
          "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'",
        );
        return r.rows[0]!.n;
      });
      expect(killed).toBe(1);
      // Snapshots keep being written until the re-connected listener hears one.
      for (let i = 1; notices.length === 0 && i <= 100; i++) {
        await store.writeTraining(ref, c.uid, succeeded(i), Buffer.from(`s${i}`));
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(notices.length).toBeGreaterThan(0);
      expect(notices.at(-1)).toMatchObject({ kind: 'largePersonGroup', id: 'g', uid: c.uid });
    } finally {
      await other.close();
    }
  });
});
