/**
 * Training: `train` records `running` and returns at once; the job runs in this process, reads
 * the collection's embeddings, builds the index (trained-index.ts: exact below `annMinFaces`
 * faces, else an approximate-nearest-neighbour index through the VectorIndex port, built off the
 * event loop) and saves it as a snapshot through the store with `succeeded` (or records `failed`). Searches use the LAST
 * SUCCESSFUL training's snapshot only, as in Azure: faces added after it are not searched until
 * the next training. Deleted faces and persons are different — delete means gone: they are cut
 * out of the current snapshot at once (removeFromIndex), and a training that read them before
 * the delete drops them before it saves. For an ANN index the cut removes the keys from the
 * in-memory index (out of search at once), then rewrites the snapshot with their vectors zeroed
 * and their ids nulled before the delete answers: the old snapshot row is deleted in the same
 * transaction (secure_delete overwrites its pages). At 1M faces that rewrite costs seconds per
 * delete (docs/benchmarks.md).
 *
 * Snapshot writes of one collection (a job's save, a delete's cut) run one at a time in this
 * process.
 *
 * Several processes may share one store (replicas on one PostgreSQL). A `running` training
 * carries a lease: the id of the instance running the job and an expiry, which the job renews
 * every third of `leaseMs` while it runs. Another replica reading it sees `running` (and does not
 * start a second job on train()); only a `running` training whose lease has expired, or that
 * claims this instance but has no job here, was left by a stopped process and is recorded as
 * `failed` (INTERRUPTED_MESSAGE) when next read. Each read of the index re-reads the training
 * record, so a snapshot another replica saved (a training, a delete's cut) is loaded by its
 * version on the next search; decoded indexes are cached by version. A delete's cut replaces the
 * snapshot only if it is still the version it cut from (replaceSnapshot, a compare-and-set),
 * else it cuts the newer one, and leaves the status as it is; a training re-reads the face ids
 * after its save and cuts what another replica deleted meanwhile.
 */
import { randomUUID } from 'node:crypto';
import { needsTraining, type Collection, type CollectionRef, type TrainingStatus } from '../../domain/collections.js';
import type { Logger } from '../../platform/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { CollectionStore, TrainingLease, TrainingRecord } from '../../ports/collection-store.js';
import { noEvents, type EventBus } from '../../ports/event-bus.js';
import { collectionNotFound, notTrained, trainingNotFinished } from './errors.js';
import type { VectorIndexFactory } from '../../ports/vector-index.js';
import type { IndexEntry } from './exact-index.js';
import {
  buildTrainedIndex,
  TRAINING_BATCH_FACES,
  decodeTrainedIndex,
  encodeTrainedIndex,
  removeEntries,
  type IndexBuilder,
  type TrainedIndex,
} from './trained-index.js';

export interface TrainingOptions {
  logger?: Logger;
  /** Decoded indexes kept in memory (least recently used first out). */
  maxCachedIndexes?: number;
  /** Builds approximate-nearest-neighbour indexes; without it every index is exact. */
  vectorIndex?: VectorIndexFactory;
  /** Collections with at least this many faces get an ANN index (default ANN_MIN_FACES). */
  annMinFaces?: number;
  /** This process's id in training leases (default a random UUID). */
  instanceId?: string;
  /** How long a training's lease lasts unless renewed (default TRAINING_LEASE_MS). */
  leaseMs?: number;
  /**
   * Told of every training status this process writes (running, succeeded, failed, interrupted)
   * and of a deleted collection, after the write: trainingStatusChanged's notices.
   */
  events?: EventBus;
}

/**
 * A running training's lease: renewed every third of it while the job runs, so a replica
 * declares a training interrupted at most this long after its process stopped.
 */
export const TRAINING_LEASE_MS = 60_000;

/** Below this many faces an exact scan is cheap enough (see trained-index.ts and docs/benchmarks.md). */
export const ANN_MIN_FACES = 20_000;

/** A cut that loses its compare-and-set this many times in a row gives up (with an error). */
const MAX_CUT_ATTEMPTS = 10;

export const INTERRUPTED_MESSAGE = 'The training was interrupted: the service stopped before it finished.';

const statusOf = (r: TrainingRecord): TrainingStatus => ({
  status: r.status,
  createdDateTime: r.createdDateTime,
  lastActionDateTime: r.lastActionDateTime,
  lastSuccessfulTrainingDateTime: r.lastSuccessfulTrainingDateTime,
  message: r.message,
});

export class Training {
  /** Running jobs by collection uid. */
  private readonly jobs = new Map<string, Promise<void>>();
  /** Decoded snapshots by collection uid, in least-recently-used order. */
  private readonly cache = new Map<string, { version: number; index: TrainedIndex }>();
  /** Snapshot loads under way by collection uid (one read of a large snapshot, not one per search). */
  private readonly loading = new Map<string, { version: number; index: Promise<TrainedIndex> }>();
  private unwatch: (() => Promise<void>) | null = null;
  /** The tail of each collection's queue of snapshot writes. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly maxCached: number;
  private readonly builder: IndexBuilder;
  private readonly instanceId: string;
  private readonly leaseMs: number;
  private readonly events: EventBus;

  constructor(
    private readonly store: CollectionStore,
    private readonly clock: Clock,
    private readonly options: TrainingOptions = {},
  ) {
    this.maxCached = options.maxCachedIndexes ?? 16;
    this.builder = { factory: options.vectorIndex ?? null, annMinFaces: options.annMinFaces ?? ANN_MIN_FACES };
    this.instanceId = options.instanceId ?? randomUUID();
    this.leaseMs = options.leaseMs ?? TRAINING_LEASE_MS;
    this.events = options.events ?? noEvents;
  }

  /** Starts a training (or finds the one running) and returns its status without waiting for it. */
  async train(collection: Collection): Promise<TrainingStatus> {
    if (!needsTraining(collection.kind)) throw new Error(`a ${collection.kind} is not trained`);
    const previous = await this.current(collection);
    // Running here, or in another replica that holds a live lease: one job at a time.
    if (previous?.status === 'running' && (this.jobs.has(collection.uid) || previous.lease)) return statusOf(previous);
    const running: TrainingStatus = {
      status: 'running',
      createdDateTime: collection.createdAt,
      lastActionDateTime: this.clock.now(),
      lastSuccessfulTrainingDateTime: previous?.lastSuccessfulTrainingDateTime ?? null,
      message: null,
    };
    const lease = this.newLease();
    if (!(await this.store.writeTraining(collection, collection.uid, { ...running, lease }))) throw collectionNotFound(collection);
    this.notify(collection, 'running');
    const job = this.run(collection, running, lease).finally(() => this.jobs.delete(collection.uid));
    this.jobs.set(collection.uid, job);
    return running;
  }

  /** The training status; COLLECTION_NOT_TRAINED when the collection was never trained. */
  async status(collection: Collection): Promise<TrainingStatus> {
    const record = await this.current(collection);
    if (!record) throw notTrained(collection);
    return statusOf(record);
  }

  /** Resolves when the collection's running training (if any) has finished. */
  async settled(collection: Collection): Promise<void> {
    await this.jobs.get(collection.uid);
  }

  /**
   * The index of the last successful training. COLLECTION_NOT_TRAINED if none succeeded and
   * none is running; TRAINING_NOT_FINISHED while the first one runs.
   */
  async index(collection: Collection): Promise<TrainedIndex> {
    const record = await this.current(collection);
    if (!record) throw notTrained(collection);
    if (record.snapshotVersion === null) throw record.status === 'running' ? trainingNotFinished(collection) : notTrained(collection);
    return this.load(collection, record.snapshotVersion);
  }

  /** Cuts deleted faces (or a deleted person's) out of the current snapshot at once. */
  async removeFromIndex(collection: Collection, drop: (e: IndexEntry) => boolean): Promise<void> {
    await this.exclusive(collection.uid, () => this.cut(collection, drop));
  }
  /**
   * With a store several replicas share: loads the new snapshot of every collection this process
   * holds an index of as soon as any replica saves one, so the next search here does not pay for
   * the load (seconds at a million faces). Without it, or when a notice is missed, the next
   * search still finds the new version by reading the training record, and loads it then.
   */
  async followSnapshots(): Promise<void> {
    if (!this.store.watchSnapshots || this.unwatch) return;
    this.unwatch = await this.store.watchSnapshots((notice) => {
      const cached = this.cache.get(notice.uid);
      // Not searched here (nothing to keep warm), or already this version (this process saved it).
      if (!cached || cached.version >= notice.version) return;
      this.load(notice, notice.version).catch((err: unknown) =>
        this.options.logger?.warn({ err, collectionKind: notice.kind, collectionId: notice.id }, 'loading a new collection index failed'),
      );
    });
  }

  /** Waits for the running trainings (at shutdown, before the store closes). */
  async close(): Promise<void> {
    const unwatch = this.unwatch;
    this.unwatch = null;
    await unwatch?.();
    await Promise.allSettled([...this.jobs.values()]);
  }

  /** Drops what is cached of a deleted collection, and tells its subscribers it is gone. */
  forget(collection: Collection): void {
    this.cache.delete(collection.uid);
    this.notify(collection, 'deleted');
  }

  private async run(collection: Collection, running: TrainingStatus, lease: TrainingLease): Promise<void> {
    // Returns to the caller first: train() answers before any work is done.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const renewal = setInterval(() => void this.renew(collection, lease), Math.max(1, Math.floor(this.leaseMs / 3)));
    renewal.unref();
    try {
      const expected = await this.store.countFaces(collection);
      const built = await buildTrainedIndex(this.builder, this.store.embeddingBatches(collection, TRAINING_BATCH_FACES), expected);
      await this.exclusive(collection.uid, async () => {
        // A face deleted while the embeddings were being indexed is not saved.
        const present = new Set(await this.store.faceIds(collection));
        const { index: kept } = removeEntries(built, (e) => !present.has(e.persistedFaceId));
        const now = this.clock.now();
        const done: TrainingStatus = { ...running, status: 'succeeded', lastActionDateTime: now, lastSuccessfulTrainingDateTime: now };
        const saved = await this.store.writeTraining(collection, collection.uid, done, await encodeTrainedIndex(kept));
        this.remember(collection.uid, saved?.snapshotVersion ?? null, kept);
        if (!saved) return;
        this.notify(collection, 'succeeded');
        // A face deleted through another replica after the check above and before the save
        // committed: that replica's cut may have read the snapshot before this one. Cut it here.
        // (A delete committed after this read is cut by its own replica, from this snapshot.)
        try {
          const still = new Set(await this.store.faceIds(collection));
          await this.cut(collection, (e) => !still.has(e.persistedFaceId));
        } catch (err) {
          // The training succeeded and is saved; only this re-check failed.
          this.options.logger?.error(
            { err, collectionKind: collection.kind, collectionId: collection.id },
            'collection index re-check failed',
          );
        }
      });
    } catch (err) {
      this.options.logger?.error({ err, collectionKind: collection.kind, collectionId: collection.id }, 'collection training failed');
      const failed: TrainingStatus = {
        ...running,
        status: 'failed',
        lastActionDateTime: this.clock.now(),
        message: 'The training failed.',
      };
      const written = await this.store.writeTraining(collection, collection.uid, failed).catch(() => null);
      if (written) this.notify(collection, 'failed');
    } finally {
      clearInterval(renewal);
    }
  }

  /**
   * Cuts the entries `drop` selects out of the current snapshot, as a compare-and-set on its
   * version: when another replica wrote a snapshot meanwhile (a training, a cut), it starts again
   * from that one. Called in the collection's exclusive queue.
   */
  private async cut(collection: Collection, drop: (e: IndexEntry) => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.store.getTraining(collection);
      if (!record || record.snapshotVersion === null) return;
      const loaded = await this.load(collection, record.snapshotVersion);
      // An ANN index changes in place: its removed keys are out of search from here on.
      const { index, changed } = removeEntries(loaded, drop);
      if (!changed) return;
      const bytes = await encodeTrainedIndex(index);
      const version = await this.store.replaceSnapshot(collection, collection.uid, record.snapshotVersion, bytes, this.clock.now());
      if (version !== null) {
        this.remember(collection.uid, version, index);
        return;
      }
      // Gone, or another snapshot was written since the read: forget this one and read again.
      this.cache.delete(collection.uid);
      if (attempt >= MAX_CUT_ATTEMPTS)
        throw new Error(`the index cut of ${collection.kind} ${collection.id} kept losing to other snapshot writes`);
    }
  }

  /** Tells trainingStatusChanged's subscribers (in every replica on the bus) to re-read the status. */
  private notify(collection: CollectionRef, hint: string): void {
    void this.events.publish({ kind: 'training', collectionKind: collection.kind, collectionId: collection.id }, hint);
  }

  private newLease(): TrainingLease {
    return { owner: this.instanceId, expiresAt: this.clock.now() + this.leaseMs };
  }

  private async renew(collection: Collection, lease: TrainingLease): Promise<void> {
    try {
      const renewed = await this.store.renewTrainingLease(collection, collection.uid, { ...lease, expiresAt: this.newLease().expiresAt });
      if (!renewed) {
        this.options.logger?.warn(
          { collectionKind: collection.kind, collectionId: collection.id },
          "collection training lease lost: its status is no longer this job's running one",
        );
      }
    } catch (err) {
      this.options.logger?.warn(
        { err, collectionKind: collection.kind, collectionId: collection.id },
        'collection training lease renewal failed',
      );
    }
  }

  /**
   * The stored record, with a `running` whose lease has expired (or that claims this instance
   * but has no job here) recorded as failed: its process stopped.
   */
  private async current(collection: Collection): Promise<TrainingRecord | null> {
    const record = await this.store.getTraining(collection);
    if (!record || record.status !== 'running' || this.jobs.has(collection.uid)) return record;
    const { lease } = record;
    if (lease && lease.owner !== this.instanceId && lease.expiresAt > this.clock.now()) return record;
    const failed: TrainingStatus = {
      ...statusOf(record),
      status: 'failed',
      lastActionDateTime: this.clock.now(),
      message: INTERRUPTED_MESSAGE,
    };
    await this.store.writeTraining(collection, collection.uid, failed);
    this.notify(collection, 'failed');
    return { ...failed, snapshotVersion: record.snapshotVersion, lease: null };
  }

  /** The index of snapshot `version` or newer: cached, being loaded, or read from the store now. */
  private async load(collection: CollectionRef & { uid: string }, version: number): Promise<TrainedIndex> {
    const cached = this.cache.get(collection.uid);
    if (cached && cached.version >= version) {
      this.remember(collection.uid, cached.version, cached.index);
      return cached.index;
    }
    const inflight = this.loading.get(collection.uid);
    if (inflight && inflight.version >= version) return inflight.index;
    const index = (async () => {
      const snapshot = await this.store.readSnapshot(collection);
      if (!snapshot) throw notTrained(collection);
      const decoded = await decodeTrainedIndex(snapshot.bytes, this.builder.factory);
      // A cut or training may have remembered a newer version while this one was read.
      const now = this.cache.get(collection.uid);
      if (!now || now.version < snapshot.version) this.remember(collection.uid, snapshot.version, decoded);
      return decoded;
    })();
    const entry = { version, index };
    this.loading.set(collection.uid, entry);
    try {
      return await index;
    } finally {
      if (this.loading.get(collection.uid) === entry) this.loading.delete(collection.uid);
    }
  }

  private remember(uid: string, version: number | null, index: TrainedIndex): void {
    this.cache.delete(uid);
    if (version === null) return;
    this.cache.set(uid, { version, index });
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }

  private exclusive<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.queues.get(uid) ?? Promise.resolve()).then(fn, fn);
    const tail = run.catch(() => undefined);
    this.queues.set(uid, tail);
    void tail.then(() => {
      if (this.queues.get(uid) === tail) this.queues.delete(uid);
    });
    return run;
  }
}
