/**
 * The PostgreSQL liveness store on the test server (vitest project `postgres`, whose
 * globalSetup starts PostgreSQL from npm's binaries), a fresh database per test: the
 * LivenessStore contract (test/contracts/liveness-store.ts, also run on SQLite) — its races on
 * real concurrent connections — then what is PostgreSQL's own: interrupted attempts with live
 * replicas (instance advisory locks), the migration, one pool shared with the collection store,
 * and no acknowledged write lost when the server crashes (SIGKILL) and recovers from its WAL.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Pool } from 'pg';
import { PostgresCollectionStore } from '../../src/adapters/store/postgres-collection-store.js';
import { PostgresLivenessStore } from '../../src/adapters/store/postgres-liveness-store.js';
import { openPostgresPool } from '../../src/adapters/store/postgres-pool.js';
import type { LivenessStore } from '../../src/ports/liveness-store.js';
import {
  livenessStoreContract,
  newSession,
  outcome,
  reservation,
  withChallenge,
  type LivenessHarness,
} from '../contracts/liveness-store.js';
import { createTestDatabase, withClient, type TestDatabase } from '../helpers/postgres.js';
import { startTestPostgres } from '../../tools/test-postgres.js';

/** A process's worth: its own pool and store. */
interface Opened {
  pool: Pool;
  store: PostgresLivenessStore;
}

async function openStore(url: string): Promise<Opened> {
  // 4 connections: one holds the instance lock, the rest race each other.
  const pool = await openPostgresPool(url, { poolSize: 4 });
  return { pool, store: await PostgresLivenessStore.open(pool) };
}

async function closeStore(o: Opened): Promise<void> {
  await o.store.close();
  await o.pool.end();
}

livenessStoreContract('PostgreSQL', async (): Promise<LivenessHarness> => {
  const db = await createTestDatabase();
  const opened: Opened[] = [await openStore(db.url)];
  const harness: LivenessHarness = {
    store: opened[0]!.store,
    async another() {
      const o = await openStore(db.url);
      opened.push(o);
      return o.store;
    },
    async restart() {
      const old = opened.find((o) => o.store === harness.store)!;
      await closeStore(old);
      opened.splice(opened.indexOf(old), 1);
      const o = await openStore(db.url);
      opened.push(o);
      harness.store = o.store;
    },
    async destroy() {
      for (const o of opened) await closeStore(o);
      await db.drop();
    },
  };
  return harness;
});

describe('PostgresLivenessStore', () => {
  let db: TestDatabase;
  let a: Opened;
  let b: Opened | null;

  beforeEach(async () => {
    db = await createTestDatabase();
    a = await openStore(db.url);
    b = null;
  });

  afterEach(async () => {
    await closeStore(a);
    if (b) await closeStore(b);
    await db.drop();
  });

  async function runningAttempt(store: LivenessStore, id: string): Promise<number> {
    await store.insertSession(newSession(id));
    const c = await withChallenge(store, id);
    const r = await store.reserveAttempt(reservation(id, c.nonce));
    if (!r.ok) throw new Error('reserve failed');
    return r.attemptId;
  }

  it("a replica starting leaves another live replica's Running attempts alone, and fails them once it is gone", async () => {
    await runningAttempt(a.store, 'on-a');
    b = await openStore(db.url);
    expect(await b.store.failInterruptedAttempts(5000)).toBe(0);
    expect((await b.store.attempts('on-a'))[0]!.status).toBe('Running');
    // A still finishes its attempt normally.
    const bId = await runningAttempt(b.store, 'on-b');
    expect(await a.store.failInterruptedAttempts(5000)).toBe(0);
    // B stops: its lock's connection ends (as it does when a process dies), and with it the lock.
    await closeStore(b);
    b = null;
    await expect.poll(() => a.store.failInterruptedAttempts(6000)).toBe(1);
    expect((await a.store.attempts('on-b'))[0]).toMatchObject({ attemptId: bId, status: 'Failed', error: { code: 'INTERRUPTED' } });
    expect((await a.store.attempts('on-a'))[0]!.status).toBe('Running');
    expect(await a.store.finishAttempt('on-a', 1, outcome())).not.toBeNull();
  });

  it('takes its instance lock again after its connection was cut', async () => {
    await runningAttempt(a.store, 's');
    // Cut every connection of A's pool from the server side (as a server restart or a proxy would).
    await withClient(db.url, (c) =>
      c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()'),
    );
    b = await openStore(db.url);
    // Until A has its lock back, B could take A's attempt for an orphan; once it has, never.
    await expect
      .poll(() =>
        withClient(db.url, async (c) => (await c.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted")).rows.length),
      )
      .toBe(2);
    const before = (await a.store.attempts('s'))[0]!.status;
    expect(before).toBe('Running');
    expect(await b.store.failInterruptedAttempts(5000)).toBe(0);
    expect(await a.store.finishAttempt('s', 1, outcome())).not.toBeNull();
  });

  it('shares one migrated pool with the collection store; closing the liveness store leaves the pool open', async () => {
    const collections = new PostgresCollectionStore(a.pool, { ownsPool: false });
    expect(
      await collections.createCollection(
        { kind: 'faceList', id: 'f', uid: 'u', name: 'n', userData: null, recognitionModel: 'recognition_04', createdAt: 1 },
        10,
      ),
    ).toEqual({
      ok: true,
    });
    await a.store.insertSession(newSession('s'));
    await collections.close();
    expect((await a.store.sessionById('s'))?.id).toBe('s');
    const applied = await withClient(
      db.url,
      async (c) => (await c.query('SELECT version, name FROM facegraph_migrations ORDER BY version')).rows,
    );
    expect(applied).toEqual([
      { version: 1, name: 'collections' },
      { version: 2, name: 'liveness' },
      { version: 3, name: 'faces_in_order' },
    ]);
  });
});

describe('PostgreSQL crash', () => {
  it('loses no acknowledged liveness write when the server is SIGKILLed mid-stream and recovers', async () => {
    let server = await startTestPostgres({ keep: true });
    const dataDir = server.dataDir;
    // The pool's sessions ask for synchronous_commit = off: the store must raise it to on.
    process.env.PGOPTIONS = '-c synchronous_commit=off';
    try {
      const o = await openStore(server.url);
      const acked: Array<{ id: string; imageId: string }> = [];
      // Assigned in the writers' closures (not narrowed to null here).
      let crashed = null as Promise<void> | null;
      // Writers keep going until the server dies under them; each push is an acknowledged finish.
      const writer = async (w: number): Promise<void> => {
        for (let i = 0; ; i++) {
          const id = `w${w}-${i}`;
          try {
            await o.store.insertSession(newSession(id));
            const c = await withChallenge(o.store, id);
            const r = await o.store.reserveAttempt(reservation(id, c.nonce));
            if (!r.ok) throw new Error('reserve failed');
            const out = outcome();
            if (!(await o.store.finishAttempt(id, r.attemptId, out))) throw new Error('finish failed');
            acked.push({ id, imageId: out.sessionImage!.id });
          } catch {
            return;
          }
          if (!crashed && acked.length >= 60) crashed = server.kill();
        }
      };
      await Promise.all([writer(1), writer(2), writer(3)]);
      await crashed;
      expect(acked.length).toBeGreaterThanOrEqual(60);
      await closeStore(o).catch(() => undefined);
      const log: string[] = [];
      server = await startTestPostgres({ dataDir, onLog: (line) => log.push(line) });
      expect(log.join('\n')).toMatch(/not properly shut down; automatic recovery in progress/);
      const after = await openStore(server.url);
      try {
        const lost: string[] = [];
        for (const a of acked) {
          const [attempt] = await after.store.attempts(a.id);
          if (attempt?.status !== 'Succeeded' || !(await after.store.sessionImage(a.imageId))) lost.push(a.id);
        }
        expect(lost, 'acknowledged sessions, attempts or images lost').toEqual([]);
      } finally {
        await closeStore(after);
      }
    } finally {
      delete process.env.PGOPTIONS;
      await server.stop();
      rmSync(path.dirname(dataDir), { recursive: true, force: true });
    }
  });
});
