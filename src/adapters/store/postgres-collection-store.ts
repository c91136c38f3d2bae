/**
 * Collections in PostgreSQL (node-postgres Pool), selected by FACEGRAPH_DATABASE_URL: the same
 * contract as the SQLite store (test/contracts/collection-store.ts runs against both). Schema:
 * migrations/postgres/*.sql, applied by `open()` (postgres-migrations.ts). Embeddings are
 * float32 LE bytea, snapshots bytea; every id column compares byte-wise (COLLATE "C").
 *
 * Limits without races. Each insert runs in one READ COMMITTED transaction that first locks
 * what the limit is counted under, then counts, then inserts: a collection's row
 * (SELECT … FOR NO KEY UPDATE) for its persons and a list's faces, a person's row for that
 * person's faces (the collection's row only KEY SHAREd, so adds to different persons run in
 * parallel), an advisory transaction lock per kind for the collections of a kind (there is no
 * parent row). Concurrent adds, from this process or
 * another replica, queue on that lock and each counts what the previous one committed, so none
 * can overshoot. FOR NO KEY UPDATE leaves other transactions' foreign-key checks (FOR KEY SHARE)
 * unblocked. writeTraining and replaceSnapshot take the same row lock, so snapshot versions are
 * assigned in order and a cut's compare-and-set on the version sees no write in between.
 *
 * Durability. A promise resolves after COMMIT returns, which with PostgreSQL's defaults
 * (fsync = on, synchronous_commit = on) means the WAL is flushed to disk. synchronous_commit =
 * off (in the server's config, the role's, or PGOPTIONS) would lose acknowledged writes in a
 * server crash, so the store's connections raise it to on (test/integration/durability.test.ts
 * loses writes without that). fsync = off cannot be overridden per connection: don't.
 *
 * Replicas. A snapshot write sends NOTIFY on channel `facegraph_collection_snapshot` with
 * `{"kind","id","uid","version"}` as JSON, delivered when its transaction commits: another
 * replica that LISTENs (watchSnapshots) loads that collection's new index.
 *
 * Deletion. ON DELETE CASCADE removes a collection's persons, faces, training and snapshots in
 * the delete's transaction. Unlike the SQLite store (secure_delete), the old tuples stay in the
 * table files until VACUUM reuses their space, and in the WAL until it is recycled.
 */
import type { Pool, QueryResultRow } from 'pg';
import {
  COLLECTION_KINDS,
  type Collection,
  type CollectionKind,
  type CollectionRef,
  type Page,
  type PersistedFace,
  type Person,
} from '../../domain/collections.js';
import type {
  CollectionPatch,
  CollectionStore,
  FaceEmbedding,
  IndexSnapshot,
  InsertResult,
  NewPerson,
  SnapshotNotice,
  TrainingLease,
  TrainingRecord,
  TrainingWrite,
} from '../../ports/collection-store.js';
import { SNAPSHOT_PART_BYTES, SnapshotJoiner, snapshotParts } from '../../ports/collection-store.js';
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
import { PostgresListener } from './postgres-listener.js';
import { inTransaction, openPostgresPool, type PostgresPoolOptions, type TxQuery } from './postgres-pool.js';

/** The NOTIFY channel of new snapshots; the payload is a SnapshotNotice as JSON. */
export const SNAPSHOT_CHANNEL = 'facegraph_collection_snapshot';

export interface PostgresStoreOptions extends PostgresPoolOptions {
  /** Snapshots are stored in parts of this size (default SNAPSHOT_PART_BYTES; tests use small ones). */
  snapshotPartBytes?: number;
}

const COLLECTION_COLUMNS = 'uid, kind, id, name, user_data, recognition_model, created_at';
const FACE_COLUMNS = 'f.persisted_face_id, f.person_id, f.user_data, f.embedding, f.recognition_model, f.created_at';
/** A person's faces' ids in the order they were added. */
const PERSON_COLUMNS = `p.person_id, p.name, p.user_data, p.created_at,
  ARRAY(SELECT f.persisted_face_id FROM persisted_faces f
    WHERE f.collection_uid = p.collection_uid AND f.person_id = p.person_id ORDER BY f.seq) AS face_ids`;
/** Joins `alias`'s collection_uid to the collection (kind $1, id $2). */
const OF_COLLECTION = (alias: string): string => `JOIN collections c ON c.uid = ${alias}.collection_uid AND c.kind = $1 AND c.id = $2`;
/** A face's owner: the list (NULL) or person $n. */
const OWNER = (personId: string | null, n: number): string => (personId === null ? 'f.person_id IS NULL' : `f.person_id = $${n}`);

export class PostgresCollectionStore implements CollectionStore {
  /** Connects, applies pending migrations, and answers the store on a pool of its own; close() ends the pool. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresCollectionStore> {
    const pool = await openPostgresPool(url, options);
    return new PostgresCollectionStore(pool, { snapshotPartBytes: options.snapshotPartBytes, listen: { url, onError: options.onError } });
  }

  private closed = false;
  private readonly listeners = new Set<PostgresListener>();

  /**
   * On `pool` (openPostgresPool: migrated, with the store's settings). `ownsPool`: close() ends
   * it; false when the pool is shared with another store (the liveness store) and ended by its opener.
   */
  private readonly partBytes: number;
  private readonly ownsPool: boolean;
  private readonly listen: { url: string; onError?: ((err: Error) => void) | undefined } | null;

  constructor(
    private readonly pool: Pool,
    options: {
      /** Snapshots are stored in parts of this size (default SNAPSHOT_PART_BYTES). */
      snapshotPartBytes?: number | undefined;
      /** close() ends the pool (default true); false when it is shared with another store and ended by its opener. */
      ownsPool?: boolean;
      /** Where watchSnapshots() connects its LISTEN; without it, watchSnapshots() throws. */
      listen?: { url: string; onError?: ((err: Error) => void) | undefined };
    } = {},
  ) {
    this.partBytes = options.snapshotPartBytes ?? SNAPSHOT_PART_BYTES;
    this.ownsPool = options.ownsPool ?? true;
    this.listen = options.listen ?? null;
  }

  async createCollection(c: Collection, maxOfKind: number): Promise<InsertResult> {
    return this.tx(async (q): Promise<InsertResult> => {
      // Creations of one kind queue here: the count below sees every committed one.
      await q('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', ['facegraph.collections', c.kind]);
      if ((await q('SELECT 1 FROM collections WHERE kind = $1 AND id = $2', [c.kind, c.id])).length > 0) {
        return { ok: false, reason: 'exists' };
      }
      if ((await this.count(q, 'SELECT count(*) AS n FROM collections WHERE kind = $1', [c.kind])) >= maxOfKind) {
        return { ok: false, reason: 'quota-exceeded' };
      }
      await q(`INSERT INTO collections (${COLLECTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        c.uid,
        c.kind,
        c.id,
        c.name,
        c.userData,
        c.recognitionModel,
        c.createdAt,
      ]);
      return { ok: true };
    });
  }

  async getCollection(ref: CollectionRef): Promise<Collection | null> {
    const [row] = await this.query<CollectionRow>(`SELECT ${COLLECTION_COLUMNS} FROM collections WHERE kind = $1 AND id = $2`, [
      ref.kind,
      ref.id,
    ]);
    return row ? toCollection(row) : null;
  }

  async updateCollection(ref: CollectionRef, patch: CollectionPatch): Promise<boolean> {
    const rows = await this.query(
      `UPDATE collections SET name = CASE WHEN $3 THEN $4 ELSE name END, user_data = CASE WHEN $5 THEN $6 ELSE user_data END
       WHERE kind = $1 AND id = $2 RETURNING 1`,
      [ref.kind, ref.id, patch.name !== undefined, patch.name ?? null, patch.userData !== undefined, patch.userData ?? null],
    );
    return rows.length > 0;
  }

  async deleteCollection(ref: CollectionRef): Promise<boolean> {
    return (await this.query('DELETE FROM collections WHERE kind = $1 AND id = $2 RETURNING 1', [ref.kind, ref.id])).length > 0;
  }

  async listCollections(kind: CollectionKind, page: Page): Promise<Collection[]> {
    const rows = await this.query<CollectionRow>(
      `SELECT ${COLLECTION_COLUMNS} FROM collections WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [kind, page.start ?? '', page.top],
    );
    return rows.map(toCollection);
  }

  async addPerson(ref: CollectionRef, person: NewPerson, maxPersons: number): Promise<InsertResult> {
    return this.tx(async (q): Promise<InsertResult> => {
      const uid = await this.lockCollection(q, ref);
      if (uid === null) return { ok: false, reason: 'collection-not-found' };
      if ((await this.count(q, 'SELECT count(*) AS n FROM collection_persons WHERE collection_uid = $1', [uid])) >= maxPersons) {
        return { ok: false, reason: 'quota-exceeded' };
      }
      if ((await q('SELECT 1 FROM collection_persons WHERE collection_uid = $1 AND person_id = $2', [uid, person.personId])).length > 0) {
        return { ok: false, reason: 'exists' };
      }
      await q('INSERT INTO collection_persons (collection_uid, person_id, name, user_data, created_at) VALUES ($1, $2, $3, $4, $5)', [
        uid,
        person.personId,
        person.name,
        person.userData,
        person.createdAt,
      ]);
      return { ok: true };
    });
  }

  async getPerson(ref: CollectionRef, personId: string): Promise<Person | null> {
    const [row] = await this.query<PersonRow>(
      `SELECT ${PERSON_COLUMNS} FROM collection_persons p ${OF_COLLECTION('p')} WHERE p.person_id = $3`,
      [ref.kind, ref.id, personId],
    );
    return row ? toPerson(row) : null;
  }

  async updatePerson(ref: CollectionRef, personId: string, patch: CollectionPatch): Promise<boolean> {
    const rows = await this.query(
      `UPDATE collection_persons p SET name = CASE WHEN $4 THEN $5 ELSE p.name END,
         user_data = CASE WHEN $6 THEN $7 ELSE p.user_data END
       FROM collections c WHERE c.uid = p.collection_uid AND c.kind = $1 AND c.id = $2 AND p.person_id = $3 RETURNING 1`,
      [ref.kind, ref.id, personId, patch.name !== undefined, patch.name ?? null, patch.userData !== undefined, patch.userData ?? null],
    );
    return rows.length > 0;
  }

  async deletePerson(ref: CollectionRef, personId: string): Promise<boolean> {
    const rows = await this.query(
      `DELETE FROM collection_persons p USING collections c
       WHERE c.uid = p.collection_uid AND c.kind = $1 AND c.id = $2 AND p.person_id = $3 RETURNING 1`,
      [ref.kind, ref.id, personId],
    );
    return rows.length > 0;
  }

  async listPersons(ref: CollectionRef, page: Page): Promise<Person[]> {
    const rows = await this.query<PersonRow>(
      `SELECT ${PERSON_COLUMNS} FROM collection_persons p ${OF_COLLECTION('p')}
       WHERE p.person_id > $3 ORDER BY p.person_id LIMIT $4`,
      [ref.kind, ref.id, page.start ?? '', page.top],
    );
    return rows.map(toPerson);
  }

  async addFace(ref: CollectionRef, face: PersistedFace, maxFaces: number): Promise<InsertResult> {
    return this.tx(async (q): Promise<InsertResult> => {
      // A person's face is counted under the person (≤ 248 each): only the person's row is locked
      // for it, and the collection's row is only KEY SHAREd (a concurrent collection delete waits,
      // then cascades), so adds to different persons of one group commit in parallel. A list's
      // face is counted under the list: its row is locked.
      const uid = await this.lockCollection(q, ref, face.personId === null ? 'FOR NO KEY UPDATE' : 'FOR KEY SHARE');
      if (uid === null) return { ok: false, reason: 'collection-not-found' };
      if (face.personId !== null) {
        // Adds to this person queue here, each counting what the previous one committed; a
        // concurrent deletePerson waits for this insert, then cascades to it.
        const person = await q('SELECT 1 FROM collection_persons WHERE collection_uid = $1 AND person_id = $2 FOR NO KEY UPDATE', [
          uid,
          face.personId,
        ]);
        if (person.length === 0) return { ok: false, reason: 'person-not-found' };
        const n = await this.count(q, 'SELECT count(*) AS n FROM persisted_faces WHERE collection_uid = $1 AND person_id = $2', [
          uid,
          face.personId,
        ]);
        if (n >= maxFaces) return { ok: false, reason: 'quota-exceeded' };
      } else if ((await this.count(q, 'SELECT count(*) AS n FROM persisted_faces WHERE collection_uid = $1', [uid])) >= maxFaces) {
        return { ok: false, reason: 'quota-exceeded' };
      }
      if (
        (await q('SELECT 1 FROM persisted_faces WHERE collection_uid = $1 AND persisted_face_id = $2', [uid, face.persistedFaceId])).length
      ) {
        return { ok: false, reason: 'exists' };
      }
      await q(
        `INSERT INTO persisted_faces (collection_uid, persisted_face_id, person_id, user_data, embedding, recognition_model, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [uid, face.persistedFaceId, face.personId, face.userData, embeddingToBlob(face.embedding), face.recognitionModel, face.createdAt],
      );
      return { ok: true };
    });
  }

  async getFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<PersistedFace | null> {
    const [row] = await this.query<FaceRow>(
      `SELECT ${FACE_COLUMNS} FROM persisted_faces f ${OF_COLLECTION('f')} WHERE f.persisted_face_id = $3 AND ${OWNER(personId, 4)}`,
      personId === null ? [ref.kind, ref.id, persistedFaceId] : [ref.kind, ref.id, persistedFaceId, personId],
    );
    return row ? toFace(row) : null;
  }

  async updateFace(ref: CollectionRef, personId: string | null, persistedFaceId: string, userData: string | null): Promise<boolean> {
    const rows = await this.query(
      `UPDATE persisted_faces f SET user_data = $4 FROM collections c
       WHERE c.uid = f.collection_uid AND c.kind = $1 AND c.id = $2 AND f.persisted_face_id = $3 AND ${OWNER(personId, 5)} RETURNING 1`,
      personId === null ? [ref.kind, ref.id, persistedFaceId, userData] : [ref.kind, ref.id, persistedFaceId, userData, personId],
    );
    return rows.length > 0;
  }

  async deleteFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<boolean> {
    const rows = await this.query(
      `DELETE FROM persisted_faces f USING collections c
       WHERE c.uid = f.collection_uid AND c.kind = $1 AND c.id = $2 AND f.persisted_face_id = $3 AND ${OWNER(personId, 4)} RETURNING 1`,
      personId === null ? [ref.kind, ref.id, persistedFaceId] : [ref.kind, ref.id, persistedFaceId, personId],
    );
    return rows.length > 0;
  }

  async listFaces(ref: CollectionRef, personId: string | null, page?: Page): Promise<PersistedFace[]> {
    // LIMIT NULL is no limit.
    const params: unknown[] = [ref.kind, ref.id, page?.start ?? '', page?.top ?? null];
    if (personId !== null) params.push(personId);
    const rows = await this.query<FaceRow>(
      `SELECT ${FACE_COLUMNS} FROM persisted_faces f ${OF_COLLECTION('f')}
       WHERE ${OWNER(personId, 5)} AND f.persisted_face_id > $3 ORDER BY f.persisted_face_id LIMIT $4`,
      params,
    );
    return rows.map(toFace);
  }

  async countFaces(ref: CollectionRef): Promise<number> {
    const [row] = await this.query<{ n: number }>(`SELECT count(*) AS n FROM persisted_faces f ${OF_COLLECTION('f')}`, [ref.kind, ref.id]);
    return row?.n ?? 0;
  }

  async faceIds(ref: CollectionRef): Promise<string[]> {
    const rows = await this.query<{ persisted_face_id: string }>(
      `SELECT f.persisted_face_id FROM persisted_faces f ${OF_COLLECTION('f')}`,
      [ref.kind, ref.id],
    );
    return rows.map((r) => r.persisted_face_id);
  }

  async embeddings(ref: CollectionRef): Promise<FaceEmbedding[]> {
    const rows = await this.query<Pick<FaceRow, 'persisted_face_id' | 'person_id' | 'embedding'>>(
      `SELECT f.persisted_face_id, f.person_id, f.embedding FROM persisted_faces f ${OF_COLLECTION('f')} ORDER BY f.seq`,
      [ref.kind, ref.id],
    );
    return rows.map((r) => ({ persistedFaceId: r.persisted_face_id, personId: r.person_id, embedding: blobToEmbedding(r.embedding) }));
  }

  async *embeddingBatches(ref: CollectionRef, batchSize: number): AsyncIterable<FaceEmbedding[]> {
    for (let after = 0; ;) {
      // Keyset paging on (collection_uid, seq), migration 003's index: each batch is an index range.
      const rows = await this.query<Pick<FaceRow, 'persisted_face_id' | 'person_id' | 'embedding'> & { seq: number }>(
        `SELECT f.seq, f.persisted_face_id, f.person_id, f.embedding FROM persisted_faces f ${OF_COLLECTION('f')}
         WHERE f.seq > $3 ORDER BY f.seq LIMIT $4`,
        [ref.kind, ref.id, after, batchSize],
      );
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.seq;
      yield rows.map((r) => ({ persistedFaceId: r.persisted_face_id, personId: r.person_id, embedding: blobToEmbedding(r.embedding) }));
      if (rows.length < batchSize) return;
    }
  }

  async getTraining(ref: CollectionRef): Promise<TrainingRecord | null> {
    const [r] = await this.query<TrainingRow>(
      `SELECT t.status, t.created_at, t.last_action_at, t.last_success_at, t.message, t.snapshot_version,
         t.lease_owner, t.lease_expires_at
       FROM collection_training t ${OF_COLLECTION('t')}`,
      [ref.kind, ref.id],
    );
    return r ? toTrainingRecord(r) : null;
  }

  async writeTraining(
    ref: CollectionRef,
    uid: string,
    status: TrainingWrite,
    snapshot?: Buffer,
  ): Promise<{ snapshotVersion: number | null } | null> {
    return this.tx(async (q): Promise<{ snapshotVersion: number | null } | null> => {
      const locked = await q('SELECT 1 FROM collections WHERE uid = $1 AND kind = $2 AND id = $3 FOR NO KEY UPDATE', [
        uid,
        ref.kind,
        ref.id,
      ]);
      if (locked.length === 0) return null;
      const version = snapshot ? await this.insertSnapshot(q, ref, uid, snapshot, status.lastActionDateTime) : null;
      const [current] = await q(
        `INSERT INTO collection_training AS t
           (collection_uid, status, created_at, last_action_at, last_success_at, message, snapshot_version,
            lease_owner, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (collection_uid) DO UPDATE SET status = excluded.status, created_at = excluded.created_at,
           last_action_at = excluded.last_action_at, last_success_at = excluded.last_success_at,
           message = excluded.message, snapshot_version = coalesce(excluded.snapshot_version, t.snapshot_version),
           lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
         RETURNING t.snapshot_version`,
        [
          uid,
          status.status,
          status.createdDateTime,
          status.lastActionDateTime,
          status.lastSuccessfulTrainingDateTime,
          status.message,
          version,
          status.lease?.owner ?? null,
          status.lease?.expiresAt ?? null,
        ],
      );
      return { snapshotVersion: (current?.snapshot_version as number | null) ?? null };
    });
  }

  async replaceSnapshot(ref: CollectionRef, uid: string, basedOn: number, snapshot: Buffer, at: number): Promise<number | null> {
    return this.tx(async (q): Promise<number | null> => {
      // The same row lock as writeTraining: the check and the write see no other snapshot write between them.
      const locked = await q('SELECT 1 FROM collections WHERE uid = $1 AND kind = $2 AND id = $3 FOR NO KEY UPDATE', [
        uid,
        ref.kind,
        ref.id,
      ]);
      if (locked.length === 0) return null;
      const [current] = await q('SELECT snapshot_version FROM collection_training WHERE collection_uid = $1', [uid]);
      if ((current?.snapshot_version as number | null | undefined) !== basedOn) return null;
      const version = await this.insertSnapshot(q, ref, uid, snapshot, at);
      await q('UPDATE collection_training SET snapshot_version = $2 WHERE collection_uid = $1', [uid, version]);
      return version;
    });
  }

  /** Inserts the next snapshot version's parts, drops older versions and queues the NOTIFY; in the caller's transaction. */
  private async insertSnapshot(
    q: (sql: string, params: unknown[]) => Promise<QueryResultRow[]>,
    ref: CollectionRef,
    uid: string,
    snapshot: Buffer,
    at: number,
  ): Promise<number> {
    const [last] = await q('SELECT max(version) AS v FROM index_snapshots WHERE collection_uid = $1', [uid]);
    const version = ((last?.v as number | null) ?? 0) + 1;
    for (const [part, bytes] of snapshotParts(snapshot, this.partBytes).entries()) {
      await q('INSERT INTO index_snapshots (collection_uid, version, part, bytes, created_at) VALUES ($1, $2, $3, $4, $5)', [
        uid,
        version,
        part,
        bytes,
        at,
      ]);
    }
    await q('DELETE FROM index_snapshots WHERE collection_uid = $1 AND version < $2', [uid, version]);
    const notice: SnapshotNotice = { kind: ref.kind, id: ref.id, uid, version };
    // Delivered to listeners when this transaction commits, never if it rolls back.
    await q('SELECT pg_notify($1, $2)', [SNAPSHOT_CHANNEL, JSON.stringify(notice)]);
    return version;
  }

  async renewTrainingLease(ref: CollectionRef, uid: string, lease: TrainingLease): Promise<boolean> {
    const rows = await this.query(
      `UPDATE collection_training t SET lease_expires_at = $2 FROM collections c
       WHERE t.collection_uid = $1 AND c.uid = t.collection_uid AND c.kind = $4 AND c.id = $5
         AND t.status = 'running' AND t.lease_owner = $3
       RETURNING 1`,
      [uid, lease.expiresAt, lease.owner, ref.kind, ref.id],
    );
    return rows.length > 0;
  }

  /**
   * One part per query, copied into one buffer of the snapshot's size: all parts in one result
   * (each part arrives as hex text, twice its size, before it is parsed) and a concatenation
   * would hold the snapshot several times over. A newer snapshot may drop this one's parts while
   * they are read; the read then starts over on the newer one.
   */
  async readSnapshot(ref: CollectionRef): Promise<IndexSnapshot | null> {
    for (let attempt = 1; ; attempt++) {
      const [head] = await this.query<{ uid: string; version: number; parts: number; size: string }>(
        `SELECT s.collection_uid AS uid, s.version, count(*)::int AS parts, sum(octet_length(s.bytes))::bigint AS size
         FROM index_snapshots s ${OF_COLLECTION('s')}
         JOIN collection_training t ON t.collection_uid = s.collection_uid AND t.snapshot_version = s.version
         GROUP BY s.collection_uid, s.version`,
        [ref.kind, ref.id],
      );
      if (!head) return null;
      const bytes = await this.readParts(head.uid, head.version, head.parts, Number(head.size));
      if (bytes) return { version: head.version, bytes };
      if (attempt === 3) throw new Error(`the snapshot of ${ref.kind} ${ref.id} was replaced while it was read, three times`);
    }
  }

  /** The parts joined, or null when one is gone (a newer snapshot replaced them). */
  private async readParts(uid: string, version: number, count: number, size: number): Promise<Buffer | null> {
    const joiner = new SnapshotJoiner(size);
    for (let part = 0; part < count; part++) {
      const [row] = await this.query<{ bytes: Buffer }>(
        'SELECT bytes FROM index_snapshots WHERE collection_uid = $1 AND version = $2 AND part = $3',
        [uid, version, part],
      );
      if (!row) return null;
      joiner.add(row.bytes);
    }
    return joiner.done();
  }

  async watchSnapshots(listener: (notice: SnapshotNotice) => void): Promise<() => Promise<void>> {
    if (!this.listen) throw new Error('this store was made without a URL to LISTEN on');
    const onError = this.listen.onError;
    const connection = new PostgresListener({
      connectionString: this.listen.url,
      channel: SNAPSHOT_CHANNEL,
      onNotification: (payload) => {
        const notice = parseNotice(payload);
        if (notice) listener(notice);
        else onError?.(new Error(`ignored a malformed ${SNAPSHOT_CHANNEL} notification`));
      },
      onError,
    });
    await connection.start();
    this.listeners.add(connection);
    return async () => {
      this.listeners.delete(connection);
      await connection.stop();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.listeners].map((l) => l.stop()));
    this.listeners.clear();
    if (this.ownsPool) await this.pool.end();
  }

  private async query<R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]): Promise<R[]> {
    return (await this.pool.query<R>(sql, params)).rows;
  }

  private tx<T>(fn: (q: TxQuery) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  /** Locks the collection's row for this transaction (by default exclusively against other writers); its uid, or null when there is none. */
  private async lockCollection(
    q: (sql: string, params: unknown[]) => Promise<QueryResultRow[]>,
    ref: CollectionRef,
    mode: 'FOR NO KEY UPDATE' | 'FOR KEY SHARE' = 'FOR NO KEY UPDATE',
  ): Promise<string | null> {
    const [row] = await q(`SELECT uid FROM collections WHERE kind = $1 AND id = $2 ${mode}`, [ref.kind, ref.id]);
    return (row?.uid as string | undefined) ?? null;
  }

  private async count(q: (sql: string, params: unknown[]) => Promise<QueryResultRow[]>, sql: string, params: unknown[]): Promise<number> {
    const [row] = await q(sql, params);
    return (row?.n as number | undefined) ?? 0;
  }
}

/** A notification's payload as a SnapshotNotice; null if it is not one (it comes over the wire). */
function parseNotice(payload: string): SnapshotNotice | null {
  try {
    const v = JSON.parse(payload) as Partial<Record<keyof SnapshotNotice, unknown>>;
    const kind = COLLECTION_KINDS.find((k) => k === v.kind);
    if (kind && typeof v.id === 'string' && typeof v.uid === 'string' && typeof v.version === 'number' && Number.isSafeInteger(v.version)) {
      return { kind, id: v.id, uid: v.uid, version: v.version };
    }
  } catch {
    // not JSON: falls through
  }
  return null;
}
