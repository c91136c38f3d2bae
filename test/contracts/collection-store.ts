/**
 * The CollectionStore contract (src/ports/collection-store.ts), run against every adapter:
 * test/unit/collections-store.test.ts (SQLite) and test/integration/postgres-collection-store.test.ts
 * (PostgreSQL). Paging order, limits checked in the insert's transaction (also under concurrent
 * adds from two stores on the same data), patches, cascades (row counts read by another
 * connection), float32 LE embeddings, versioned snapshots with uid-guarded writes, a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Collection, CollectionRef, PersistedFace, TrainingStatus } from '../../src/domain/collections.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';
import { COLLECTION_TABLES, vec, type RowCounts } from '../helpers/collections.js';

export { COLLECTION_TABLES, type RowCounts };

/** Harnesses open their stores with this snapshot part size, so multi-part snapshots are exercised. */
export const TEST_SNAPSHOT_PART_BYTES = 1024;

/** One adapter on fresh, empty data. */
export interface StoreHarness {
  store: CollectionStore;
  /** Row counts of every collection table, read by a connection of its own. */
  rowCounts(): Promise<RowCounts>;
  /** The stored embedding bytes of a face, read by a connection of its own. */
  rawEmbedding(persistedFaceId: string): Promise<Buffer>;
  /** Another store on the same data (another connection, as another process or replica would have). */
  another(): Promise<CollectionStore>;
  /** Closes `store` and opens a new one on the same data: a restart. */
  restart(): Promise<void>;
  /** Closes every store it opened and deletes the data. */
  destroy(): Promise<void>;
}

export const collection = (id: string, kind: Collection['kind'] = 'personGroup'): Collection => ({
  kind,
  id,
  uid: `uid-${kind}-${id}`,
  name: `name ${id}`,
  userData: null,
  recognitionModel: 'recognition_04',
  createdAt: 1000,
});

export const face = (persistedFaceId: string, personId: string | null, embedding = vec(1, 1)): PersistedFace => ({
  persistedFaceId,
  personId,
  userData: null,
  embedding,
  recognitionModel: 'recognition_04',
  createdAt: 2000,
});

export const succeeded = (at: number): TrainingStatus => ({
  status: 'succeeded',
  createdDateTime: 1000,
  lastActionDateTime: at,
  lastSuccessfulTrainingDateTime: at,
  message: null,
});

const person = (personId: string) => ({ personId, name: personId, userData: null, createdAt: 1 });

export function collectionStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`CollectionStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: CollectionStore;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });

    afterEach(async () => {
      await h.destroy();
    });

    it('creates once per kind and id, and enforces the count per kind in the transaction', async () => {
      expect(await store.createCollection(collection('a'), 2)).toEqual({ ok: true });
      expect(await store.createCollection({ ...collection('a'), uid: 'other' }, 2)).toEqual({ ok: false, reason: 'exists' });
      // The same id in another kind is another collection.
      expect(await store.createCollection(collection('a', 'faceList'), 2)).toEqual({ ok: true });
      expect(await store.createCollection(collection('b'), 2)).toEqual({ ok: true });
      expect(await store.createCollection(collection('c'), 2)).toEqual({ ok: false, reason: 'quota-exceeded' });
      expect(await store.getCollection({ kind: 'personGroup', id: 'a' })).toEqual(collection('a'));
      expect(await store.getCollection({ kind: 'largePersonGroup', id: 'a' })).toBeNull();
    });

    it('lists by id, byte-wise, with an exclusive start and top', async () => {
      for (const id of ['d', 'b', 'a', 'e', 'c']) await store.createCollection(collection(id, 'largeFaceList'), 100);
      const ids = async (start: string | null, top: number): Promise<string[]> =>
        (await store.listCollections('largeFaceList', { start, top })).map((c) => c.id);
      expect(await ids(null, 1000)).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect(await ids(null, 2)).toEqual(['a', 'b']);
      expect(await ids('b', 2)).toEqual(['c', 'd']);
      expect(await ids('e', 10)).toEqual([]);
      expect(await store.listCollections('personGroup', { start: null, top: 10 })).toEqual([]);
      // Punctuation and digits order by their bytes, whatever a server's locale would say.
      const odd = ['a_b', 'a-b', 'ab', 'a0', 'a-c', 'a'];
      for (const id of odd) await store.createCollection(collection(id, 'faceList'), 100);
      const sorted = [...odd].sort();
      expect((await store.listCollections('faceList', { start: null, top: 100 })).map((c) => c.id)).toEqual(sorted);
      expect((await store.listCollections('faceList', { start: 'a-b', top: 100 })).map((c) => c.id)).toEqual(sorted.slice(2));
    });

    it('patches collections and persons: name, userData, null clears', async () => {
      const ref: CollectionRef = { kind: 'personGroup', id: 'g' };
      await store.createCollection({ ...collection('g'), userData: 'u' }, 10);
      expect(await store.updateCollection(ref, { name: 'renamed' })).toBe(true);
      expect(await store.getCollection(ref)).toMatchObject({ name: 'renamed', userData: 'u' });
      expect(await store.updateCollection(ref, { userData: null })).toBe(true);
      expect(await store.getCollection(ref)).toMatchObject({ name: 'renamed', userData: null });
      expect(await store.updateCollection({ ...ref, id: 'none' }, { name: 'x' })).toBe(false);

      await store.addPerson(ref, { ...person('p'), userData: 'pu' }, 10);
      expect(await store.updatePerson(ref, 'p', { name: 'pn' })).toBe(true);
      expect(await store.getPerson(ref, 'p')).toEqual({ personId: 'p', name: 'pn', userData: 'pu', persistedFaceIds: [], createdAt: 1 });
      expect(await store.updatePerson(ref, 'p', { userData: null, name: 'pm' })).toBe(true);
      expect(await store.getPerson(ref, 'p')).toMatchObject({ name: 'pm', userData: null });
      expect(await store.updatePerson(ref, 'nobody', { name: 'x' })).toBe(false);
      expect(await store.getPerson({ kind: 'largePersonGroup', id: 'g' }, 'p')).toBeNull();
    });

    it('adds persons once, up to the limit, and pages them by personId', async () => {
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      expect(await store.addPerson(ref, person('x'), 3)).toEqual({ ok: false, reason: 'collection-not-found' });
      await store.createCollection(collection('g', 'largePersonGroup'), 10);
      for (const p of ['c', 'a', 'b']) expect(await store.addPerson(ref, person(p), 3)).toEqual({ ok: true });
      expect(await store.addPerson(ref, person('d'), 3)).toEqual({ ok: false, reason: 'quota-exceeded' });
      expect(await store.addPerson(ref, person('a'), 10)).toEqual({ ok: false, reason: 'exists' });
      const ids = async (start: string | null, top: number): Promise<string[]> =>
        (await store.listPersons(ref, { start, top })).map((p) => p.personId);
      expect(await ids(null, 10)).toEqual(['a', 'b', 'c']);
      expect(await ids('a', 1)).toEqual(['b']);
      expect(await ids('c', 10)).toEqual([]);
    });

    it('persists faces as float32 LE and keeps per-person and per-list limits', async () => {
      const pg: CollectionRef = { kind: 'personGroup', id: 'pg' };
      await store.createCollection(collection('pg'), 10);
      await store.addPerson(pg, person('p1'), 10);
      const e = vec(3, 9);
      expect(await store.addFace(pg, face('f1', 'p1', e), 2)).toEqual({ ok: true });
      expect(await store.addFace(pg, face('f2', 'p1'), 2)).toEqual({ ok: true });
      expect(await store.addFace(pg, face('f3', 'p1'), 2)).toEqual({ ok: false, reason: 'quota-exceeded' });
      expect(await store.addFace(pg, face('f1', 'p1'), 10)).toEqual({ ok: false, reason: 'exists' });
      expect(await store.addFace(pg, face('f4', 'nobody'), 2)).toEqual({ ok: false, reason: 'person-not-found' });
      expect(await store.addFace({ kind: 'personGroup', id: 'none' }, face('f5', null), 2)).toEqual({
        ok: false,
        reason: 'collection-not-found',
      });
      const stored = await store.getFace(pg, 'p1', 'f1');
      expect(stored).toEqual(face('f1', 'p1', e));
      expect(stored?.embedding).toBeInstanceOf(Float32Array);
      // A face is found only under its owner.
      expect(await store.getFace(pg, null, 'f1')).toBeNull();
      expect(await store.getFace(pg, 'p2', 'f1')).toBeNull();
      expect((await store.getPerson(pg, 'p1'))?.persistedFaceIds).toEqual(['f1', 'f2']);
      const blob = await h.rawEmbedding('f1');
      expect(blob.length).toBe(128 * 4);
      expect(blob.readFloatLE(3 * 4)).toBeCloseTo(e[3]!, 6);

      const list: CollectionRef = { kind: 'faceList', id: 'fl' };
      await store.createCollection(collection('fl', 'faceList'), 10);
      for (const id of ['z', 'x', 'y']) expect(await store.addFace(list, face(id, null), 3)).toEqual({ ok: true });
      expect(await store.addFace(list, face('w', null), 3)).toEqual({ ok: false, reason: 'quota-exceeded' });
      expect(await store.countFaces(list)).toBe(3);
      expect(await store.countFaces(pg)).toBe(2);
    });

    it('reads embeddings in batches: the order and faces of embeddings(), batchSize at a time, other collections left out', async () => {
      const ref: CollectionRef = { kind: 'largeFaceList', id: 'batched' };
      const other: CollectionRef = { kind: 'largeFaceList', id: 'other' };
      await store.createCollection(collection('batched', 'largeFaceList'), 10);
      await store.createCollection(collection('other', 'largeFaceList'), 10);
      for (const id of ['e5', 'e1', 'e4', 'e2', 'e3']) {
        await store.addFace(ref, face(id, null), 10);
        await store.addFace(other, face(`x-${id}`, null), 10);
      }
      await store.deleteFace(ref, null, 'e4');
      const batches: string[][] = [];
      for await (const batch of store.embeddingBatches(ref, 2)) batches.push(batch.map((e) => e.persistedFaceId));
      expect(batches).toEqual([
        ['e5', 'e1'],
        ['e2', 'e3'],
      ]);
      const all = await store.embeddings(ref);
      const batched = [];
      for await (const batch of store.embeddingBatches(ref, 3)) batched.push(...batch);
      expect(batched).toEqual(all);
      const none = [];
      for await (const batch of store.embeddingBatches({ kind: 'largeFaceList', id: 'missing' }, 2)) none.push(batch);
      expect(none).toEqual([]);
    });

    it("keeps a person's faces in the order added, pages faces by id, updates and deletes them", async () => {
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      await store.createCollection(collection('g', 'largePersonGroup'), 10);
      await store.addPerson(ref, person('p'), 10);
      for (const id of ['f3', 'f1', 'f2']) await store.addFace(ref, face(id, 'p'), 10);
      expect((await store.getPerson(ref, 'p'))?.persistedFaceIds).toEqual(['f3', 'f1', 'f2']);
      expect((await store.listPersons(ref, { start: null, top: 10 }))[0]?.persistedFaceIds).toEqual(['f3', 'f1', 'f2']);
      expect((await store.listFaces(ref, 'p')).map((f) => f.persistedFaceId)).toEqual(['f1', 'f2', 'f3']);
      expect((await store.listFaces(ref, 'p', { start: 'f1', top: 1 })).map((f) => f.persistedFaceId)).toEqual(['f2']);
      expect(await store.listFaces(ref, null)).toEqual([]);
      expect((await store.embeddings(ref)).map((e) => [e.persistedFaceId, e.personId])).toEqual([
        ['f3', 'p'],
        ['f1', 'p'],
        ['f2', 'p'],
      ]);
      expect((await store.faceIds(ref)).sort()).toEqual(['f1', 'f2', 'f3']);

      expect(await store.updateFace(ref, 'p', 'f1', 'hello')).toBe(true);
      expect((await store.getFace(ref, 'p', 'f1'))?.userData).toBe('hello');
      expect(await store.updateFace(ref, null, 'f1', 'x')).toBe(false);
      expect(await store.updateFace(ref, 'p', 'f1', null)).toBe(true);
      expect((await store.getFace(ref, 'p', 'f1'))?.userData).toBeNull();

      expect(await store.deleteFace(ref, null, 'f1')).toBe(false);
      expect(await store.deleteFace(ref, 'p', 'f1')).toBe(true);
      expect(await store.deleteFace(ref, 'p', 'f1')).toBe(false);
      expect((await store.getPerson(ref, 'p'))?.persistedFaceIds).toEqual(['f3', 'f2']);
      expect(await store.countFaces(ref)).toBe(2);
    });

    it('stores a snapshot larger than one part in parts, reads it back whole, and drops the old parts', async () => {
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'big' };
      const c = collection('big', 'largePersonGroup');
      await store.createCollection(c, 10);
      const first = Buffer.from(Array.from({ length: 5 * TEST_SNAPSHOT_PART_BYTES - 3 }, (_, i) => (i * 31 + 7) % 256));
      expect(await store.writeTraining(ref, c.uid, succeeded(5), first)).toEqual({ snapshotVersion: 1 });
      expect(await store.readSnapshot(ref)).toEqual({ version: 1, bytes: first });
      expect((await h.rowCounts()).index_snapshots).toBe(5);
      const second = Buffer.from(Array.from({ length: 2 * TEST_SNAPSHOT_PART_BYTES + 1 }, (_, i) => (i * 17 + 3) % 256));
      expect(await store.writeTraining(ref, c.uid, succeeded(6), second)).toEqual({ snapshotVersion: 2 });
      expect(await (await h.another()).readSnapshot(ref)).toEqual({ version: 2, bytes: second });
      expect((await h.rowCounts()).index_snapshots).toBe(3);
    });

    it('keeps the latest snapshot version only, and writes nothing for a collection gone or re-created', async () => {
      const ref: CollectionRef = { kind: 'largeFaceList', id: 'l' };
      const c = collection('l', 'largeFaceList');
      await store.createCollection(c, 10);
      expect(await store.getTraining(ref)).toBeNull();
      expect(await store.readSnapshot(ref)).toBeNull();
      expect(await store.writeTraining(ref, c.uid, { ...succeeded(4), status: 'running', lastSuccessfulTrainingDateTime: null })).toEqual({
        snapshotVersion: null,
      });
      expect(await store.getTraining(ref)).toEqual({
        status: 'running',
        createdDateTime: 1000,
        lastActionDateTime: 4,
        lastSuccessfulTrainingDateTime: null,
        message: null,
        snapshotVersion: null,
        lease: null,
      });
      expect(await store.writeTraining(ref, c.uid, succeeded(5), Buffer.from('one'))).toEqual({ snapshotVersion: 1 });
      expect(await store.writeTraining(ref, c.uid, succeeded(6), Buffer.from('two'))).toEqual({ snapshotVersion: 2 });
      // A status without snapshot keeps the current one.
      expect(await store.writeTraining(ref, c.uid, { ...succeeded(6), status: 'failed', lastActionDateTime: 7, message: 'm' })).toEqual({
        snapshotVersion: 2,
      });
      expect(await store.readSnapshot(ref)).toEqual({ version: 2, bytes: Buffer.from('two') });
      expect((await h.rowCounts()).index_snapshots).toBe(1);
      expect(await store.getTraining(ref)).toEqual({
        status: 'failed',
        createdDateTime: 1000,
        lastActionDateTime: 7,
        lastSuccessfulTrainingDateTime: 6,
        message: 'm',
        snapshotVersion: 2,
        lease: null,
      });

      await store.deleteCollection(ref);
      await store.createCollection({ ...c, uid: 'new-uid' }, 10);
      expect(await store.writeTraining(ref, c.uid, succeeded(8), Buffer.from('stale'))).toBeNull();
      expect(await store.getTraining(ref)).toBeNull();
      expect(await store.readSnapshot(ref)).toBeNull();
      expect(await store.writeTraining({ ...ref, id: 'none' }, 'new-uid', succeeded(8))).toBeNull();
    });

    it("keeps a running training's lease, renews it for its owner only, and drops it with the next status", async () => {
      const ref: CollectionRef = { kind: 'largePersonGroup', id: 'leased' };
      const c = collection('leased', 'largePersonGroup');
      await store.createCollection(c, 10);
      const running = { ...succeeded(4), status: 'running' as const, lastSuccessfulTrainingDateTime: null };
      // No training yet: nothing to renew.
      expect(await store.renewTrainingLease(ref, c.uid, { owner: 'a', expiresAt: 10 })).toBe(false);
      await store.writeTraining(ref, c.uid, { ...running, lease: { owner: 'a', expiresAt: 9_000_000_000_000 } });
      expect(await (await h.another()).getTraining(ref)).toMatchObject({
        status: 'running',
        lease: { owner: 'a', expiresAt: 9_000_000_000_000 },
      });
      expect(await store.renewTrainingLease(ref, c.uid, { owner: 'b', expiresAt: 20 })).toBe(false);
      expect(await store.renewTrainingLease(ref, 'other-uid', { owner: 'a', expiresAt: 20 })).toBe(false);
      expect(await store.renewTrainingLease({ ...ref, kind: 'personGroup' }, c.uid, { owner: 'a', expiresAt: 20 })).toBe(false);
      expect(await store.renewTrainingLease(ref, c.uid, { owner: 'a', expiresAt: 9_000_000_000_001 })).toBe(true);
      expect((await store.getTraining(ref))?.lease).toEqual({ owner: 'a', expiresAt: 9_000_000_000_001 });
      // A snapshot written with the lease kept (a delete's cut while it runs) keeps it.
      await store.writeTraining(ref, c.uid, { ...running, lease: { owner: 'a', expiresAt: 9_000_000_000_001 } }, Buffer.from('cut'));
      expect(await store.getTraining(ref)).toMatchObject({ status: 'running', snapshotVersion: 1, lease: { owner: 'a' } });
      // The job's final status has no lease, and a finished training's lease cannot be renewed.
      await store.writeTraining(ref, c.uid, succeeded(5), Buffer.from('done'));
      expect(await store.getTraining(ref)).toMatchObject({ status: 'succeeded', snapshotVersion: 2, lease: null });
      expect(await store.renewTrainingLease(ref, c.uid, { owner: 'a', expiresAt: 30 })).toBe(false);
      expect((await store.getTraining(ref))?.lease).toBeNull();
    });

    it('replaces a snapshot only if it is still the version the cut started from, leaving the status', async () => {
      const ref: CollectionRef = { kind: 'largeFaceList', id: 'cas' };
      const c = collection('cas', 'largeFaceList');
      await store.createCollection(c, 10);
      // Never trained: nothing to replace.
      expect(await store.replaceSnapshot(ref, c.uid, 1, Buffer.from('x'), 1)).toBeNull();
      const lease = { owner: 'a', expiresAt: 9_000_000_000_000 };
      await store.writeTraining(ref, c.uid, succeeded(5), Buffer.from('one'));
      await store.writeTraining(ref, c.uid, { ...succeeded(5), status: 'running', lastActionDateTime: 6, lease });
      expect(await store.replaceSnapshot(ref, c.uid, 1, Buffer.from('cut'), 7)).toBe(2);
      expect(await (await h.another()).readSnapshot(ref)).toEqual({ version: 2, bytes: Buffer.from('cut') });
      expect(await store.getTraining(ref)).toEqual({
        status: 'running',
        createdDateTime: 1000,
        lastActionDateTime: 6,
        lastSuccessfulTrainingDateTime: 5,
        message: null,
        snapshotVersion: 2,
        lease,
      });
      // A cut from version 1 lost to the one above: nothing written.
      expect(await store.replaceSnapshot(ref, c.uid, 1, Buffer.from('stale'), 8)).toBeNull();
      expect(await store.readSnapshot(ref)).toEqual({ version: 2, bytes: Buffer.from('cut') });
      expect((await h.rowCounts()).index_snapshots).toBe(1);
      expect(await store.replaceSnapshot(ref, 'other-uid', 2, Buffer.from('x'), 8)).toBeNull();
      await store.deleteCollection(ref);
      expect(await store.replaceSnapshot(ref, c.uid, 2, Buffer.from('x'), 8)).toBeNull();
    });

    it('deletes a person with its faces, and a collection with everything', async () => {
      const pg: CollectionRef = { kind: 'largePersonGroup', id: 'g' };
      const c = collection('g', 'largePersonGroup');
      await store.createCollection(c, 10);
      for (const p of ['p1', 'p2']) {
        await store.addPerson(pg, { ...person(p), userData: 'secret' }, 10);
        await store.addFace(pg, face(`${p}-a`, p), 10);
        await store.addFace(pg, face(`${p}-b`, p), 10);
      }
      await store.writeTraining(pg, c.uid, succeeded(9), Buffer.from('snapshot'));
      expect(await h.rowCounts()).toEqual({
        collections: 1,
        collection_persons: 2,
        persisted_faces: 4,
        collection_training: 1,
        index_snapshots: 1,
      });

      expect(await store.deletePerson(pg, 'p1')).toBe(true);
      expect(await store.deletePerson(pg, 'p1')).toBe(false);
      expect(await h.rowCounts()).toMatchObject({ collection_persons: 1, persisted_faces: 2 });
      expect((await store.embeddings(pg)).map((e) => e.persistedFaceId)).toEqual(['p2-a', 'p2-b']);

      expect(await store.deleteCollection(pg)).toBe(true);
      expect(await store.deleteCollection(pg)).toBe(false);
      expect(await h.rowCounts()).toEqual({
        collections: 0,
        collection_persons: 0,
        persisted_faces: 0,
        collection_training: 0,
        index_snapshots: 0,
      });
      // The id starts afresh.
      await store.createCollection({ ...c, uid: 'again' }, 10);
      expect(await store.listPersons(pg, { start: null, top: 10 })).toEqual([]);
    });

    it('concurrent adds from two stores never overshoot a limit', async () => {
      const other = await h.another();
      const stores = [store, other];
      const oks = (results: Array<{ ok: boolean }>): number => results.filter((r) => r.ok).length;
      const N = 12;

      const created = await Promise.all(
        Array.from({ length: N }, (_, i) => stores[i % 2]!.createCollection(collection(`c${i}`, 'largePersonGroup'), 5)),
      );
      expect(oks(created)).toBe(5);
      expect(await store.listCollections('largePersonGroup', { start: null, top: 100 })).toHaveLength(5);

      const ref: CollectionRef = {
        kind: 'largePersonGroup',
        id: (await store.listCollections('largePersonGroup', { start: null, top: 1 }))[0]!.id,
      };
      const persons = await Promise.all(Array.from({ length: N }, (_, i) => stores[i % 2]!.addPerson(ref, person(`p${i}`), 4)));
      expect(oks(persons)).toBe(4);
      expect(persons.filter((r) => !r.ok)).toEqual(Array(N - 4).fill({ ok: false, reason: 'quota-exceeded' }));
      const [first] = await store.listPersons(ref, { start: null, top: 1 });

      const faces = await Promise.all(Array.from({ length: N }, (_, i) => stores[i % 2]!.addFace(ref, face(`f${i}`, first!.personId), 3)));
      expect(oks(faces)).toBe(3);
      expect((await store.getPerson(ref, first!.personId))?.persistedFaceIds).toHaveLength(3);

      const list: CollectionRef = { kind: 'largeFaceList', id: 'l' };
      await store.createCollection(collection('l', 'largeFaceList'), 5);
      const listFaces = await Promise.all(Array.from({ length: N }, (_, i) => stores[i % 2]!.addFace(list, face(`l${i}`, null), 7)));
      expect(oks(listFaces)).toBe(7);
      expect(await store.countFaces(list)).toBe(7);
    });

    it('concurrent trainings get one snapshot version each, and the last one is current', async () => {
      const other = await h.another();
      const ref: CollectionRef = { kind: 'largeFaceList', id: 'l' };
      const c = collection('l', 'largeFaceList');
      await store.createCollection(c, 10);
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).writeTraining(ref, c.uid, succeeded(10 + i), Buffer.from([i]))),
      );
      expect(results.map((r) => r?.snapshotVersion).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const current = await store.readSnapshot(ref);
      expect(current?.version).toBe(8);
      expect((await h.rowCounts()).index_snapshots).toBe(1);
    });

    it('keeps everything across a restart', async () => {
      const fl: CollectionRef = { kind: 'faceList', id: 'f' };
      await store.createCollection({ ...collection('f', 'faceList'), userData: 'u' }, 10);
      const e = vec(7, 7);
      await store.addFace(fl, { ...face('x', null, e), userData: 'face data' }, 10);
      await store.writeTraining(fl, 'uid-faceList-f', succeeded(3), Buffer.from([1, 2, 3]));
      await h.restart();
      store = h.store;
      expect(await store.getCollection(fl)).toEqual({ ...collection('f', 'faceList'), userData: 'u' });
      expect(await store.listFaces(fl, null)).toEqual([{ ...face('x', null, e), userData: 'face data' }]);
      expect(await store.getTraining(fl)).toMatchObject({ status: 'succeeded', snapshotVersion: 1, lastSuccessfulTrainingDateTime: 3 });
      expect(await store.readSnapshot(fl)).toEqual({ version: 1, bytes: Buffer.from([1, 2, 3]) });
    });
  });
}
