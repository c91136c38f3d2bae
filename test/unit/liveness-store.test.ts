/**
 * The SQLite liveness store on a real database in a temp directory: the LivenessStore contract
 * (test/contracts/liveness-store.ts, also run on PostgreSQL). `another()` is a second connection
 * to the same file; a restart closes the connection and opens a new one with a new instance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type Db } from '../../src/adapters/store/database.js';
import { SqliteLivenessStore } from '../../src/adapters/store/sqlite-liveness-store.js';
import { livenessStoreContract, type LivenessHarness } from '../contracts/liveness-store.js';

livenessStoreContract('SQLite', async (): Promise<LivenessHarness> => {
  const dir = mkdtempSync(path.join(tmpdir(), 'liveness-store-'));
  const dbs: Db[] = [];
  const open = (): { db: Db; store: SqliteLivenessStore } => {
    const db = openDatabase(dir);
    dbs.push(db);
    return { db, store: new SqliteLivenessStore(db) };
  };
  let current = open();
  const harness: LivenessHarness = {
    store: current.store,
    another: async () => open().store,
    async restart() {
      await current.store.close();
      current.db.close();
      current = open();
      harness.store = current.store;
    },
    async destroy() {
      for (const db of dbs) if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
});
