/**
 * Collections in SQLite (migration 3): collections, persons, persisted faces (embeddings as
 * Float32 LE blobs, no images), training status and index snapshots. All SQL of the feature
 * lives here as prepared statements; each method is one transaction.
 *
 * Durability. `open()` gives the store its own connection to the data directory's database with
 * `synchronous = FULL`: in WAL mode every commit then fsyncs the WAL before it returns, so a
 * collection, person or face whose write was acknowledged survives a power cut, not only a crash
 * of the process (NORMAL, which the liveness store keeps on the shared connection, may lose the
 * last commits then). Enrolment writes are rare next to identify reads, which FULL does not slow.
 * better-sqlite3 is synchronous, so the two connections' transactions never interleave in this
 * process; busy_timeout covers other processes.
 *
 * Deletion. ON DELETE CASCADE removes a collection's persons, faces, training and snapshots (a
 * person's faces) in the delete's transaction; secure_delete (database.ts) overwrites the freed
 * pages, and a TRUNCATE checkpoint after each delete empties the WAL, which still held the old
 * pages: deleted embeddings are gone from the files, not only from the tables.
 */
import type { Statement } from 'better-sqlite3';
import type { Collection, CollectionKind, CollectionRef, Page, PersistedFace, Person } from '../../domain/collections.js';
import type {
  CollectionPatch,
  CollectionStore,
  FaceEmbedding,
  IndexSnapshot,
  InsertResult,
  NewPerson,
  TrainingLease,
  TrainingRecord,
  TrainingWrite,
} from '../../ports/collection-store.js';
import { SNAPSHOT_PART_BYTES, SnapshotJoiner, snapshotParts } from '../../ports/collection-store.js';
import { openDatabase, type Db } from './database.js';
import { blobToEmbedding, embeddingToBlob } from './embedding-bytes.js';
import {
  toCollection,
  toFace,
  toPerson,
  toTrainingRecord,
  type CollectionRow,
  type FaceRow,
  type PersonRow,
  type TrainingRow,
} from './collection-rows.js';

/** SQLite aggregates a person's face ids with group_concat: one comma-separated string (or null). */
type SqlitePersonRow = Omit<PersonRow, 'face_ids'> & { face_ids: string | null };
const toSqlitePerson = (r: SqlitePersonRow): Person => toPerson({ ...r, face_ids: r.face_ids ? r.face_ids.split(',') : [] });

export { blobToEmbedding, embeddingToBlob };

/** The uid of (kind, id), as a subquery: every statement takes `kind, id` first. */
const UID = '(SELECT uid FROM collections WHERE kind = ? AND id = ?)';
const FACE_COLUMNS = 'persisted_face_id, person_id, user_data, embedding, recognition_model, created_at';
/** A person's faces' ids in the order they were added (rowid), comma-separated. */
const PERSON_COLUMNS = `p.person_id, p.name, p.user_data, p.created_at,
  (SELECT group_concat(persisted_face_id, ',') FROM (SELECT persisted_face_id FROM persisted_faces f
     WHERE f.collection_uid = p.collection_uid AND f.person_id = p.person_id ORDER BY f.rowid)) AS face_ids`;

export class SqliteCollectionStore implements CollectionStore {
  /** The store on its own connection (synchronous = FULL) to `dataDir`'s database; close() closes it. */
  static open(dataDir: string, options: { snapshotPartBytes?: number } = {}): SqliteCollectionStore {
    return new SqliteCollectionStore(openDatabase(dataDir, { synchronous: 'FULL' }), true, options.snapshotPartBytes);
  }

  private readonly s: Record<string, Statement>;

  /** On a given connection (already migrated); `ownsDb` makes close() close it. */
  constructor(
    private readonly db: Db,
    private readonly ownsDb = false,
    /** Snapshots are stored in parts of this size (tests use small ones). */
    private readonly partBytes = SNAPSHOT_PART_BYTES,
  ) {
    const p = (sql: string): Statement => db.prepare(sql);
    this.s = {
      countCollections: p('SELECT count(*) AS n FROM collections WHERE kind = ?'),
      collectionExists: p('SELECT 1 FROM collections WHERE kind = ? AND id = ?'),
      insertCollection: p(`INSERT INTO collections (uid, kind, id, name, user_data, recognition_model, created_at)
        VALUES (@uid, @kind, @id, @name, @userData, @recognitionModel, @createdAt)`),
      getCollection: p('SELECT * FROM collections WHERE kind = ? AND id = ?'),
      getCollectionByUid: p('SELECT 1 FROM collections WHERE uid = ? AND kind = ? AND id = ?'),
      setCollectionName: p('UPDATE collections SET name = ? WHERE kind = ? AND id = ?'),
      setCollectionUserData: p('UPDATE collections SET user_data = ? WHERE kind = ? AND id = ?'),
      deleteCollection: p('DELETE FROM collections WHERE kind = ? AND id = ?'),
      listCollections: p('SELECT * FROM collections WHERE kind = ? AND id > ? ORDER BY id LIMIT ?'),

      countPersons: p(`SELECT count(*) AS n FROM collection_persons WHERE collection_uid = ${UID}`),
      insertPerson: p(`INSERT INTO collection_persons (collection_uid, person_id, name, user_data, created_at)
        VALUES (${UID}, ?, ?, ?, ?)`),
      getPerson: p(`SELECT ${PERSON_COLUMNS} FROM collection_persons p WHERE p.collection_uid = ${UID} AND p.person_id = ?`),
      personExists: p(`SELECT 1 FROM collection_persons WHERE collection_uid = ${UID} AND person_id = ?`),
      setPersonName: p(`UPDATE collection_persons SET name = ? WHERE collection_uid = ${UID} AND person_id = ?`),
      setPersonUserData: p(`UPDATE collection_persons SET user_data = ? WHERE collection_uid = ${UID} AND person_id = ?`),
      deletePerson: p(`DELETE FROM collection_persons WHERE collection_uid = ${UID} AND person_id = ?`),
      listPersons: p(`SELECT ${PERSON_COLUMNS} FROM collection_persons p
        WHERE p.collection_uid = ${UID} AND p.person_id > ? ORDER BY p.person_id LIMIT ?`),

      countFaces: p(`SELECT count(*) AS n FROM persisted_faces WHERE collection_uid = ${UID}`),
      countPersonFaces: p(`SELECT count(*) AS n FROM persisted_faces WHERE collection_uid = ${UID} AND person_id = ?`),
      insertFace: p(`INSERT INTO persisted_faces (collection_uid, ${FACE_COLUMNS})
        VALUES (${UID}, ?, ?, ?, ?, ?, ?)`),
      getFace: p(`SELECT ${FACE_COLUMNS} FROM persisted_faces
        WHERE collection_uid = ${UID} AND persisted_face_id = ? AND person_id IS ?`),
      setFaceUserData: p(`UPDATE persisted_faces SET user_data = ?
        WHERE collection_uid = ${UID} AND persisted_face_id = ? AND person_id IS ?`),
      deleteFace: p(`DELETE FROM persisted_faces WHERE collection_uid = ${UID} AND persisted_face_id = ? AND person_id IS ?`),
      listFaces: p(`SELECT ${FACE_COLUMNS} FROM persisted_faces
        WHERE collection_uid = ${UID} AND person_id IS ? AND persisted_face_id > ? ORDER BY persisted_face_id LIMIT ?`),
      faceIds: p(`SELECT persisted_face_id FROM persisted_faces WHERE collection_uid = ${UID}`),
      embeddings: p(`SELECT persisted_face_id, person_id, embedding FROM persisted_faces
        WHERE collection_uid = ${UID} ORDER BY rowid`),
      embeddingBatch: p(`SELECT rowid, persisted_face_id, person_id, embedding FROM persisted_faces
        WHERE collection_uid = ${UID} AND rowid > ? ORDER BY rowid LIMIT ?`),

      getTraining: p(`SELECT status, created_at, last_action_at, last_success_at, message, snapshot_version,
          lease_owner, lease_expires_at
        FROM collection_training WHERE collection_uid = ${UID}`),
      upsertTraining: p(`INSERT INTO collection_training
          (collection_uid, status, created_at, last_action_at, last_success_at, message, snapshot_version,
           lease_owner, lease_expires_at)
        VALUES (@uid, @status, @createdAt, @lastActionAt, @lastSuccessAt, @message, @snapshotVersion,
          @leaseOwner, @leaseExpiresAt)
        ON CONFLICT (collection_uid) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
          last_action_at = excluded.last_action_at, last_success_at = excluded.last_success_at,
          message = excluded.message, snapshot_version = coalesce(excluded.snapshot_version, snapshot_version),
          lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at`),
      renewTrainingLease: p(`UPDATE collection_training SET lease_expires_at = ?
        WHERE collection_uid = ? AND collection_uid IN (SELECT uid FROM collections WHERE kind = ? AND id = ?)
          AND status = 'running' AND lease_owner = ?`),
      setSnapshotVersion: p('UPDATE collection_training SET snapshot_version = ? WHERE collection_uid = ?'),
      lastSnapshotVersion: p('SELECT max(version) AS v FROM index_snapshots WHERE collection_uid = ?'),
      insertSnapshot: p('INSERT INTO index_snapshots (collection_uid, version, part, bytes, created_at) VALUES (?, ?, ?, ?, ?)'),
      dropOlderSnapshots: p('DELETE FROM index_snapshots WHERE collection_uid = ? AND version < ?'),
      // length() of a blob reads its size from the record header, not the blob's pages.
      snapshotSize: p(`SELECT s.version, sum(length(s.bytes)) AS size FROM index_snapshots s JOIN collection_training t
        ON t.collection_uid = s.collection_uid AND t.snapshot_version = s.version WHERE s.collection_uid = ${UID}
        GROUP BY s.version`),
      readSnapshot: p(`SELECT s.bytes FROM index_snapshots s JOIN collection_training t
        ON t.collection_uid = s.collection_uid AND t.snapshot_version = s.version WHERE s.collection_uid = ${UID}
        ORDER BY s.part`),
    };
  }

  async createCollection(c: Collection, maxOfKind: number): Promise<InsertResult> {
    return this.db.transaction((): InsertResult => {
      if (this.s.collectionExists!.get(c.kind, c.id)) return { ok: false, reason: 'exists' };
      if (this.count('countCollections', c.kind) >= maxOfKind) return { ok: false, reason: 'quota-exceeded' };
      this.s.insertCollection!.run(c);
      return { ok: true };
    })();
  }

  async getCollection(ref: CollectionRef): Promise<Collection | null> {
    const row = this.s.getCollection!.get(ref.kind, ref.id) as CollectionRow | undefined;
    return row ? toCollection(row) : null;
  }

  async updateCollection(ref: CollectionRef, patch: CollectionPatch): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (!this.s.collectionExists!.get(ref.kind, ref.id)) return false;
      if (patch.name !== undefined) this.s.setCollectionName!.run(patch.name, ref.kind, ref.id);
      if (patch.userData !== undefined) this.s.setCollectionUserData!.run(patch.userData, ref.kind, ref.id);
      return true;
    })();
  }

  async deleteCollection(ref: CollectionRef): Promise<boolean> {
    const deleted = this.s.deleteCollection!.run(ref.kind, ref.id).changes > 0;
    if (deleted) this.checkpoint();
    return deleted;
  }

  async listCollections(kind: CollectionKind, page: Page): Promise<Collection[]> {
    return (this.s.listCollections!.all(kind, page.start ?? '', page.top) as CollectionRow[]).map(toCollection);
  }

  async addPerson(ref: CollectionRef, person: NewPerson, maxPersons: number): Promise<InsertResult> {
    return this.db.transaction((): InsertResult => {
      if (!this.s.collectionExists!.get(ref.kind, ref.id)) return { ok: false, reason: 'collection-not-found' };
      if (this.count('countPersons', ref.kind, ref.id) >= maxPersons) return { ok: false, reason: 'quota-exceeded' };
      if (this.s.personExists!.get(ref.kind, ref.id, person.personId)) return { ok: false, reason: 'exists' };
      this.s.insertPerson!.run(ref.kind, ref.id, person.personId, person.name, person.userData, person.createdAt);
      return { ok: true };
    })();
  }

  async getPerson(ref: CollectionRef, personId: string): Promise<Person | null> {
    const row = this.s.getPerson!.get(ref.kind, ref.id, personId) as SqlitePersonRow | undefined;
    return row ? toSqlitePerson(row) : null;
  }

  async updatePerson(ref: CollectionRef, personId: string, patch: CollectionPatch): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (!this.s.personExists!.get(ref.kind, ref.id, personId)) return false;
      if (patch.name !== undefined) this.s.setPersonName!.run(patch.name, ref.kind, ref.id, personId);
      if (patch.userData !== undefined) this.s.setPersonUserData!.run(patch.userData, ref.kind, ref.id, personId);
      return true;
    })();
  }

  async deletePerson(ref: CollectionRef, personId: string): Promise<boolean> {
    const deleted = this.s.deletePerson!.run(ref.kind, ref.id, personId).changes > 0;
    if (deleted) this.checkpoint();
    return deleted;
  }

  async listPersons(ref: CollectionRef, page: Page): Promise<Person[]> {
    return (this.s.listPersons!.all(ref.kind, ref.id, page.start ?? '', page.top) as SqlitePersonRow[]).map(toSqlitePerson);
  }

  async addFace(ref: CollectionRef, face: PersistedFace, maxFaces: number): Promise<InsertResult> {
    return this.db.transaction((): InsertResult => {
      if (!this.s.collectionExists!.get(ref.kind, ref.id)) return { ok: false, reason: 'collection-not-found' };
      if (face.personId !== null) {
        if (!this.s.personExists!.get(ref.kind, ref.id, face.personId)) return { ok: false, reason: 'person-not-found' };
        if (this.count('countPersonFaces', ref.kind, ref.id, face.personId) >= maxFaces) return { ok: false, reason: 'quota-exceeded' };
      } else if (this.count('countFaces', ref.kind, ref.id) >= maxFaces) {
        return { ok: false, reason: 'quota-exceeded' };
      }
      if (this.s.getFace!.get(ref.kind, ref.id, face.persistedFaceId, face.personId)) return { ok: false, reason: 'exists' };
      this.s.insertFace!.run(
        ref.kind,
        ref.id,
        face.persistedFaceId,
        face.personId,
        face.userData,
        embeddingToBlob(face.embedding),
        face.recognitionModel,
        face.createdAt,
      );
      return { ok: true };
    })();
  }

  async getFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<PersistedFace | null> {
    const row = this.s.getFace!.get(ref.kind, ref.id, persistedFaceId, personId) as FaceRow | undefined;
    return row ? toFace(row) : null;
  }

  async updateFace(ref: CollectionRef, personId: string | null, persistedFaceId: string, userData: string | null): Promise<boolean> {
    return this.s.setFaceUserData!.run(userData, ref.kind, ref.id, persistedFaceId, personId).changes > 0;
  }

  async deleteFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<boolean> {
    const deleted = this.s.deleteFace!.run(ref.kind, ref.id, persistedFaceId, personId).changes > 0;
    if (deleted) this.checkpoint();
    return deleted;
  }

  async listFaces(ref: CollectionRef, personId: string | null, page?: Page): Promise<PersistedFace[]> {
    const rows = this.s.listFaces!.all(ref.kind, ref.id, personId, page?.start ?? '', page?.top ?? -1) as FaceRow[];
    return rows.map(toFace);
  }

  async countFaces(ref: CollectionRef): Promise<number> {
    return this.count('countFaces', ref.kind, ref.id);
  }

  async faceIds(ref: CollectionRef): Promise<string[]> {
    return this.s.faceIds!.pluck().all(ref.kind, ref.id) as string[];
  }

  async embeddings(ref: CollectionRef): Promise<FaceEmbedding[]> {
    const rows = this.s.embeddings!.all(ref.kind, ref.id) as Array<Pick<FaceRow, 'persisted_face_id' | 'person_id' | 'embedding'>>;
    return rows.map((r) => ({ persistedFaceId: r.persisted_face_id, personId: r.person_id, embedding: blobToEmbedding(r.embedding) }));
  }

  async *embeddingBatches(ref: CollectionRef, batchSize: number): AsyncIterable<FaceEmbedding[]> {
    for (let after = 0; ;) {
      const rows = this.s.embeddingBatch!.all(ref.kind, ref.id, after, batchSize) as Array<
        Pick<FaceRow, 'persisted_face_id' | 'person_id' | 'embedding'> & { rowid: number }
      >;
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.rowid;
      yield rows.map((r) => ({ persistedFaceId: r.persisted_face_id, personId: r.person_id, embedding: blobToEmbedding(r.embedding) }));
      if (rows.length < batchSize) return;
    }
  }

  async getTraining(ref: CollectionRef): Promise<TrainingRecord | null> {
    const r = this.s.getTraining!.get(ref.kind, ref.id) as TrainingRow | undefined;
    return r ? toTrainingRecord(r) : null;
  }

  async writeTraining(
    ref: CollectionRef,
    uid: string,
    status: TrainingWrite,
    snapshot?: Buffer,
  ): Promise<{ snapshotVersion: number | null } | null> {
    const result = this.db.transaction((): { snapshotVersion: number | null } | null => {
      if (!this.s.getCollectionByUid!.get(uid, ref.kind, ref.id)) return null;
      const version = snapshot ? this.insertSnapshot(uid, snapshot, status.lastActionDateTime) : null;
      this.s.upsertTraining!.run({
        uid,
        status: status.status,
        createdAt: status.createdDateTime,
        lastActionAt: status.lastActionDateTime,
        lastSuccessAt: status.lastSuccessfulTrainingDateTime,
        message: status.message,
        snapshotVersion: version,
        leaseOwner: status.lease?.owner ?? null,
        leaseExpiresAt: status.lease?.expiresAt ?? null,
      });
      const current = this.s.getTraining!.get(ref.kind, ref.id) as TrainingRow;
      return { snapshotVersion: current.snapshot_version };
    })();
    // A replaced snapshot may be one a delete cut faces out of: its freed (secure_delete) pages
    // leave the WAL now, as after a delete.
    if (snapshot && result) this.checkpoint();
    return result;
  }

  async replaceSnapshot(ref: CollectionRef, uid: string, basedOn: number, snapshot: Buffer, at: number): Promise<number | null> {
    const version = this.db.transaction((): number | null => {
      if (!this.s.getCollectionByUid!.get(uid, ref.kind, ref.id)) return null;
      const current = this.s.getTraining!.get(ref.kind, ref.id) as TrainingRow | undefined;
      if (current?.snapshot_version !== basedOn) return null;
      const v = this.insertSnapshot(uid, snapshot, at);
      this.s.setSnapshotVersion!.run(v, uid);
      return v;
    })();
    // As in writeTraining: the replaced snapshot's freed pages leave the WAL now.
    if (version !== null) this.checkpoint();
    return version;
  }

  /** Inserts the next snapshot version's parts and drops older versions; in the caller's transaction. */
  private insertSnapshot(uid: string, snapshot: Buffer, at: number): number {
    const version = ((this.s.lastSnapshotVersion!.get(uid) as { v: number | null }).v ?? 0) + 1;
    snapshotParts(snapshot, this.partBytes).forEach((part, i) => this.s.insertSnapshot!.run(uid, version, i, part, at));
    this.s.dropOlderSnapshots!.run(uid, version);
    return version;
  }

  async renewTrainingLease(ref: CollectionRef, uid: string, lease: TrainingLease): Promise<boolean> {
    return this.s.renewTrainingLease!.run(lease.expiresAt, uid, ref.kind, ref.id, lease.owner).changes > 0;
  }

  /**
   * The parts are copied one at a time into one buffer of the snapshot's size: reading them all
   * and concatenating would hold the snapshot twice (1.6 GB at a million faces).
   */
  async readSnapshot(ref: CollectionRef): Promise<IndexSnapshot | null> {
    return this.db.transaction((): IndexSnapshot | null => {
      const head = this.s.snapshotSize!.get(ref.kind, ref.id) as { version: number; size: number } | undefined;
      if (!head) return null;
      const joiner = new SnapshotJoiner(head.size);
      for (const part of this.s.readSnapshot!.iterate(ref.kind, ref.id) as IterableIterator<{ bytes: Buffer }>) joiner.add(part.bytes);
      return { version: head.version, bytes: joiner.done() };
    })();
  }

  async close(): Promise<void> {
    if (this.ownsDb && this.db.open) this.db.close();
  }

  private count(statement: string, ...params: unknown[]): number {
    return (this.s[statement]!.get(...params) as { n: number }).n;
  }

  /** Moves the WAL into the database and truncates it, so deleted rows' old pages leave the WAL file. */
  private checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
