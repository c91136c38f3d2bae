/**
 * The SQLite collection store on a real database in a temp directory: schema, paging, limits
 * in the insert's transaction, cascades (checked on the file with a separate connection, and in
 * its bytes), snapshots, durability settings and a restart.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/adapters/store/database.js';
import { SCHEMA_VERSION } from '../../src/adapters/store/migrations.js';
import { SqliteCollectionStore } from '../../src/adapters/store/sqlite-collection-store.js';
import type { Collection, CollectionRef, PersistedFace, TrainingStatus } from '../../src/domain/collections.js';
import { vec } from '../helpers/collections.js';

const TABLES = ['collections', 'collection_persons', 'persisted_faces', 'collection_training', 'index_snapshots'];

let dir: string;
let store: SqliteCollectionStore;

const collection = (id: string, kind: Collection['kind'] = 'personGroup'): Collection => ({
  kind,
  id,
  uid: `uid-${kind}-${id}`,
  name: `name ${id}`,
  userData: null,
  recognitionModel: 'recognition_04',
  createdAt: 1000,
});

const face = (persistedFaceId: string, personId: string | null, embedding = vec(1, 1)): PersistedFace => ({
  persistedFaceId,
  personId,
  userData: null,
  embedding,
  recognitionModel: 'recognition_04',
  createdAt: 2000,
});

const succeeded = (at: number): TrainingStatus => ({
  status: 'succeeded',
  createdDateTime: 1000,
  lastActionDateTime: at,
  lastSuccessfulTrainingDateTime: at,
  message: null,
});

/** Row counts of every collection table, read from the file by another connection. */
function rowsOnDisk(): Record<string, number> {
  const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'collection-store-'));
  store = SqliteCollectionStore.open(dir);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteCollectionStore', () => {
  it('migrates to the current schema and commits with synchronous = FULL on its own connection', () => {
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(3);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    // 2 = FULL (0 OFF, 1 NORMAL, 3 EXTRA).
    expect((store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('creates once per kind and id, and enforces the count per kind in the transaction', async () => {
    expect(await store.createCollection(collection('a'), 2)).toEqual({ ok: true });
    expect(await store.createCollection({ ...collection('a'), uid: 'other' }, 2)).toEqual({ ok: false, reason: 'exists' });
    // The same id in another kind is another collection.
    expect(await store.createCollection(collection('a', 'faceList'), 2)).toEqual({ ok: true });
    expect(await store.createCollection(collection('b'), 2)).toEqual({ ok: true });
    expect(await store.createCollection(collection('c'), 2)).toEqual({ ok: false, reason: 'quota-exceeded' });
    expect((await store.getCollection({ kind: 'personGroup', id: 'a' }))?.uid).toBe('uid-personGroup-a');
  });

  it('lists by id with an exclusive start and top', async () => {
    for (const id of ['d', 'b', 'a', 'e', 'c']) await store.createCollection(collection(id, 'largeFaceList'), 100);
    const ids = async (start: string | null, top: number): Promise<string[]> =>
      (await store.listCollections('largeFaceList', { start, top })).map((c) => c.id);
    expect(await ids(null, 1000)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await ids(null, 2)).toEqual(['a', 'b']);
    expect(await ids('b', 2)).toEqual(['c', 'd']);
    expect(await ids('e', 10)).toEqual([]);
    expect(await store.listCollections('personGroup', { start: null, top: 10 })).toEqual([]);
  });

  it('persists faces as Float32 LE blobs and keeps per-person and per-list limits', async () => {
    const pg: CollectionRef = { kind: 'personGroup', id: 'pg' };
    await store.createCollection(collection('pg'), 10);
    await store.addPerson(pg, { personId: 'p1', name: 'one', userData: null, createdAt: 1 }, 10);
    const e = vec(3, 9);
    expect(await store.addFace(pg, face('f1', 'p1', e), 2)).toEqual({ ok: true });
    expect(await store.addFace(pg, face('f2', 'p1'), 2)).toEqual({ ok: true });
    expect(await store.addFace(pg, face('f3', 'p1'), 2)).toEqual({ ok: false, reason: 'quota-exceeded' });
    expect(await store.addFace(pg, face('f4', 'nobody'), 2)).toEqual({ ok: false, reason: 'person-not-found' });
    expect(await store.addFace({ kind: 'personGroup', id: 'none' }, face('f5', null), 2)).toEqual({
      ok: false,
      reason: 'collection-not-found',
    });
    const stored = await store.getFace(pg, 'p1', 'f1');
    expect(stored?.embedding).toEqual(e);
    // A face is found only under its owner.
    expect(await store.getFace(pg, null, 'f1')).toBeNull();
    expect((await store.getPerson(pg, 'p1'))?.persistedFaceIds).toEqual(['f1', 'f2']);
    const db = new Database(path.join(dir, DATABASE_FILE), { readonly: true });
    const blob = db.prepare("SELECT embedding FROM persisted_faces WHERE persisted_face_id = 'f1'").pluck().get() as Buffer;
    db.close();
    expect(blob.length).toBe(128 * 4);
    expect(blob.readFloatLE(3 * 4)).toBeCloseTo(e[3]!, 6);
  });

  it('keeps the latest snapshot version only, and writes nothing for a collection gone or re-created', async () => {
    const ref: CollectionRef = { kind: 'largeFaceList', id: 'l' };
    const c = collection('l', 'largeFaceList');
    await store.createCollection(c, 10);
    expect(await store.writeTraining(ref, c.uid, succeeded(5), Buffer.from('one'))).toEqual({ snapshotVersion: 1 });
    expect(await store.writeTraining(ref, c.uid, succeeded(6), Buffer.from('two'))).toEqual({ snapshotVersion: 2 });
    // A status without snapshot keeps the current one.
    expect(await store.writeTraining(ref, c.uid, { ...succeeded(6), status: 'running', lastActionDateTime: 7 })).toEqual({
      snapshotVersion: 2,
    });
    expect(await store.readSnapshot(ref)).toEqual({ version: 2, bytes: Buffer.from('two') });
    expect(rowsOnDisk().index_snapshots).toBe(1);
    expect((await store.getTraining(ref))?.status).toBe('running');

    await store.deleteCollection(ref);
    await store.createCollection({ ...c, uid: 'new-uid' }, 10);
    expect(await store.writeTraining(ref, c.uid, succeeded(8), Buffer.from('stale'))).toBeNull();
    expect(await store.getTraining(ref)).toBeNull();
    expect(await store.readSnapshot(ref)).toBeNull();
  });

  it('deletes a person with its faces, and a collection with everything: nothing is left in the file', async () => {
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
    expect(rowsOnDisk()).toEqual({ collections: 1, collection_persons: 2, persisted_faces: 4, collection_training: 1, index_snapshots: 1 });
    const pattern = Buffer.from(marker.buffer, 0, 16);
    const inFiles = (): string[] =>
      [DATABASE_FILE, `${DATABASE_FILE}-wal`].filter(
        (f) => existsSync(path.join(dir, f)) && readFileSync(path.join(dir, f)).includes(pattern),
      );
    expect(inFiles().length, 'the marker is written before the delete').toBeGreaterThan(0);

    expect(await store.deletePerson(pg, 'p1')).toBe(true);
    expect(await store.deletePerson(pg, 'p1')).toBe(false);
    expect(rowsOnDisk()).toMatchObject({ collection_persons: 1, persisted_faces: 2 });
    expect((await store.embeddings(pg)).map((e) => e.persistedFaceId)).toEqual(['p2-a', 'p2-b']);

    expect(await store.deleteCollection(pg)).toBe(true);
    expect(rowsOnDisk()).toEqual({ collections: 0, collection_persons: 0, persisted_faces: 0, collection_training: 0, index_snapshots: 0 });
    expect(inFiles(), 'files still holding the embedding').toEqual([]);
  });

  it('keeps everything across a restart', async () => {
    const fl: CollectionRef = { kind: 'faceList', id: 'f' };
    await store.createCollection({ ...collection('f', 'faceList'), userData: 'u' }, 10);
    const e = vec(7, 7);
    await store.addFace(fl, { ...face('x', null, e), userData: 'face data' }, 10);
    await store.writeTraining(fl, 'uid-faceList-f', succeeded(3), Buffer.from([1, 2, 3]));
    await store.close();
    store = SqliteCollectionStore.open(dir);
    expect(await store.getCollection(fl)).toMatchObject({ id: 'f', userData: 'u', recognitionModel: 'recognition_04', createdAt: 1000 });
    expect(await store.listFaces(fl, null)).toEqual([{ ...face('x', null, e), userData: 'face data' }]);
    expect(await store.getTraining(fl)).toMatchObject({ status: 'succeeded', snapshotVersion: 1, lastSuccessfulTrainingDateTime: 3 });
    expect(await store.readSnapshot(fl)).toEqual({ version: 1, bytes: Buffer.from([1, 2, 3]) });
  });
});
