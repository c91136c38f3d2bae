/**
 * The PostgreSQL collection store on the test server (vitest project `postgres`, whose
 * globalSetup starts PostgreSQL from npm's binaries), a fresh database per test: the
 * CollectionStore contract (test/contracts/collection-store.ts, also run on SQLite), then what
 * is PostgreSQL's own: versioned migrations, NOTIFY of a new snapshot, a refused newer schema.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresCollectionStore, SNAPSHOT_CHANNEL, type SnapshotNotice } from '../../src/adapters/store/postgres-collection-store.js';
import { readMigrations } from '../../src/adapters/store/postgres-migrations.js';
import type { CollectionRef } from '../../src/domain/collections.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
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

  it('sends NOTIFY with the collection and version when a snapshot is written, and only then', async () => {
    await withClient(db.url, async (listener) => {
      const notices: SnapshotNotice[] = [];
      listener.on('notification', (n) => {
        if (n.channel === SNAPSHOT_CHANNEL) notices.push(JSON.parse(n.payload!) as SnapshotNotice);
      });
      await listener.query(`LISTEN ${SNAPSHOT_CHANNEL}`);
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      const c = collection('g', 'largePersonGroup');
      await store.createCollection(c, 10);
      await store.writeTraining(ref, c.uid, { ...succeeded(1), status: 'running' });
      await store.writeTraining(ref, c.uid, succeeded(2), Buffer.from('s1'));
      await store.writeTraining(ref, 'gone', succeeded(3), Buffer.from('stale'));
      await store.writeTraining(ref, c.uid, succeeded(4), Buffer.from('s2'));
      // A round trip on the listener's connection delivers what was committed before it.
      await listener.query('SELECT 1');
      await expect.poll(() => notices.length).toBe(2);
      expect(notices).toEqual([
        { kind: 'largePersonGroup', id: 'g', uid: c.uid, version: 1 },
        { kind: 'largePersonGroup', id: 'g', uid: c.uid, version: 2 },
      ]);
    });
  });
});
