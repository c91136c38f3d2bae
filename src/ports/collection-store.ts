/**
 * The collection store port: FaceLists, LargeFaceLists, PersonGroups and LargePersonGroups, their
 * persons and persisted faces (embeddings, never images), training status and the trained
 * index's snapshot. Every method is async so a networked database (PostgreSQL) can implement
 * it; every write is durable when its promise resolves, and multi-step changes are atomic.
 *
 * Deleting a collection deletes its persons, faces, training status and snapshots; deleting a
 * person deletes its faces. Count limits are checked in the same transaction as the insert, so
 * concurrent adds cannot overshoot them. The embedded adapter is SQLite
 * (src/adapters/store/sqlite-collection-store.ts).
 */
import type { Collection, CollectionKind, CollectionRef, Page, PersistedFace, Person, TrainingStatus } from '../domain/collections.js';

/** Why an insert did not happen. */
export type InsertFailure = 'collection-not-found' | 'person-not-found' | 'exists' | 'quota-exceeded';
export type InsertResult = { ok: true } | { ok: false; reason: InsertFailure };

export interface CollectionPatch {
  name?: string;
  /** null clears it. */
  userData?: string | null;
}

export type NewPerson = Omit<Person, 'persistedFaceIds'>;

/** A face's embedding with its owner, as training reads them. */
export interface FaceEmbedding {
  persistedFaceId: string;
  personId: string | null;
  embedding: Float32Array;
}

/**
 * Who runs a `running` training and until when. Several processes may share one store
 * (PostgreSQL): the one running the job renews its lease while the job runs; a `running`
 * training whose lease has expired was left by a process that stopped.
 */
export interface TrainingLease {
  /** The instance id of the process running the job. */
  owner: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A training status as written: `lease` (omitted = none) is set while it is `running`. */
export interface TrainingWrite extends TrainingStatus {
  lease?: TrainingLease | null;
}

/** The training status with the version of the snapshot the last successful training saved. */
export interface TrainingRecord extends TrainingStatus {
  /** Null until a training has succeeded. */
  snapshotVersion: number | null;
  /** Null when none was written. */
  lease: TrainingLease | null;
}

/** A trained index, serialised by the use case (an exact matrix now, an ANN index later). */
/**
 * Snapshots are stored in parts of at most this many bytes: one SQLite blob or bound parameter
 * stops at ~512 MiB here (better-sqlite3 refused 600 MB) and a PostgreSQL bytea at 1 GB, while a
 * trained index of 1M faces is ~600–700 MB.
 */
export const SNAPSHOT_PART_BYTES = 64 * 1024 * 1024;

/** `bytes` cut into parts of at most `partBytes` (views, not copies); an empty snapshot is one empty part. */
export function snapshotParts(bytes: Buffer, partBytes = SNAPSHOT_PART_BYTES): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.length || parts.length === 0; offset += partBytes) {
    parts.push(bytes.subarray(offset, offset + partBytes));
  }
  return parts;
}

/**
 * Puts a snapshot's parts back together in one buffer of the size the store announced, one part
 * at a time (the inverse of snapshotParts): the parts need not all be held at once. done() throws
 * when they do not add up to that size.
 */
export class SnapshotJoiner {
  private readonly out: Buffer;
  private offset = 0;

  constructor(private readonly size: number) {
    this.out = Buffer.allocUnsafe(size);
  }

  add(part: Buffer): void {
    if (this.offset + part.length > this.size) throw new Error(`snapshot parts exceed the ${this.size} bytes announced`);
    this.offset += part.copy(this.out, this.offset);
  }

  done(): Buffer {
    if (this.offset !== this.size) throw new Error(`snapshot parts hold ${this.offset} of the ${this.size} bytes announced`);
    return this.out;
  }
}

export interface IndexSnapshot {
  version: number;
  bytes: Buffer;
}

export interface CollectionStore {
  /** Inserts the collection unless the id is taken ('exists') or `maxOfKind` collections of its kind exist. */
  createCollection(collection: Collection, maxOfKind: number): Promise<InsertResult>;
  getCollection(ref: CollectionRef): Promise<Collection | null>;
  /** False when there is no such collection. */
  updateCollection(ref: CollectionRef, patch: CollectionPatch): Promise<boolean>;
  /** Deletes it with everything it holds. False when there was none. */
  deleteCollection(ref: CollectionRef): Promise<boolean>;
  /** Sorted by id ascending, ids > `page.start`, at most `page.top`. */
  listCollections(kind: CollectionKind, page: Page): Promise<Collection[]>;

  /** Adds a person unless the group is missing or already has `maxPersons`. */
  addPerson(ref: CollectionRef, person: NewPerson, maxPersons: number): Promise<InsertResult>;
  getPerson(ref: CollectionRef, personId: string): Promise<Person | null>;
  updatePerson(ref: CollectionRef, personId: string, patch: CollectionPatch): Promise<boolean>;
  /** Deletes the person and its faces. */
  deletePerson(ref: CollectionRef, personId: string): Promise<boolean>;
  /** Sorted by personId ascending, personIds > `page.start`, at most `page.top`. */
  listPersons(ref: CollectionRef, page: Page): Promise<Person[]>;

  /**
   * Adds a face to a list (`face.personId` null) or to a person, unless the collection or person
   * is missing or already holds `maxFaces` faces (the list's or the person's).
   */
  addFace(ref: CollectionRef, face: PersistedFace, maxFaces: number): Promise<InsertResult>;
  /** The face of the list (personId null) or of that person. */
  getFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<PersistedFace | null>;
  updateFace(ref: CollectionRef, personId: string | null, persistedFaceId: string, userData: string | null): Promise<boolean>;
  deleteFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<boolean>;
  /**
   * Faces of the list (personId null) or of the person, sorted by persistedFaceId ascending,
   * after `page.start`, at most `page.top`; every face when `page` is omitted.
   */
  listFaces(ref: CollectionRef, personId: string | null, page?: Page): Promise<PersistedFace[]>;
  /** How many faces the collection holds (all persons' in a group). */
  countFaces(ref: CollectionRef): Promise<number>;
  /** The ids of every face the collection holds now (to drop deleted faces from a trained index). */
  faceIds(ref: CollectionRef): Promise<string[]>;
  /** Every face embedding of the collection with its owner (for training and FaceList search). */
  embeddings(ref: CollectionRef): Promise<FaceEmbedding[]>;
  /**
   * The same embeddings in the same order, `batchSize` at a time (the last batch may be shorter):
   * training reads a million faces without holding a million row objects at once. Each batch is
   * read when the previous one has been consumed; faces added or deleted meanwhile may or may not
   * be in it (training re-checks the face ids before it saves).
   */
  embeddingBatches(ref: CollectionRef, batchSize: number): AsyncIterable<FaceEmbedding[]>;

  /** Null when the collection has never been trained (or does not exist). */
  getTraining(ref: CollectionRef): Promise<TrainingRecord | null>;
  /**
   * Writes the training status and, if given, a new snapshot (whose version the store assigns,
   * one more than the last; older snapshots are dropped), atomically. Writes nothing and
   * answers null when the collection `uid` identifies is gone (deleted, or re-created under the
   * same id); otherwise the snapshot version now current (null if none).
   */
  writeTraining(
    ref: CollectionRef,
    uid: string,
    status: TrainingWrite,
    snapshot?: Buffer,
  ): Promise<{ snapshotVersion: number | null } | null>;
  /**
   * Replaces the current snapshot with `snapshot` (a new version, as writeTraining assigns) if
   * the current one is still version `basedOn`, leaving the training status as it is; for a
   * delete's cut, which several replicas may write at once. Answers the new version, or null
   * (nothing written) when the collection `uid` identifies is gone or the current snapshot is no
   * longer `basedOn`.
   */
  replaceSnapshot(ref: CollectionRef, uid: string, basedOn: number, snapshot: Buffer, at: number): Promise<number | null>;
  /**
   * Moves the lease's expiry to `lease.expiresAt` if the training is still `running` under a
   * lease `lease.owner` holds; false (nothing written) otherwise — the owner has lost it.
   */
  renewTrainingLease(ref: CollectionRef, uid: string, lease: TrainingLease): Promise<boolean>;
  /** The current snapshot, or null. */
  readSnapshot(ref: CollectionRef): Promise<IndexSnapshot | null>;
  /**
   * Stores shared by several processes (PostgreSQL) tell each of them of every snapshot any of
   * them saves, so a replica can load a new index before its next search needs it. A hint
   * only: notices can be missed (a dropped connection), and every search still reads the
   * current version from the store. Answers a function that stops the calls. A store only one
   * process uses (SQLite) does not implement it.
   */
  watchSnapshots?(listener: (notice: SnapshotNotice) => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
}

/** A snapshot was saved (by a training or a delete's cut), in any process sharing the store. */
export interface SnapshotNotice {
  kind: CollectionKind;
  id: string;
  uid: string;
  version: number;
}
