/**
 * Training operations: what `POST …/train` hands out (Azure's `operation-location`) and
 * `GET /operations/{operationId}` reads, in Azure's OperationResult terms (reference §1g).
 *
 * An operation follows one training job of Training (training.ts): it is `running` from the
 * train call and takes the collection's training outcome (`succeeded`, or `failed` with its
 * message) when the job settles. A train call while a training runs follows the running job.
 *
 * Operations are kept in memory, at most `maxOperations` (oldest dropped first): after a restart
 * an operationId is unknown (OPERATION_NOT_FOUND) — the collection's training status
 * (`GET …/training`, persisted) still tells how its last training ended.
 */
import { randomUUID } from 'node:crypto';
import type { Collection, CollectionRef, TrainingState } from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { Collections } from './collections.js';
import type { Training } from './training.js';

/** Azure's OperationResult, with epoch-ms times. */
export interface TrainingOperation {
  operationId: string;
  status: TrainingState;
  createdTime: number;
  lastActionTime: number;
  /** When the training succeeded or failed; null while it runs. */
  finishedTime: number | null;
  /** Why it failed; null otherwise. */
  message: string | null;
}

export const DELETED_DURING_TRAINING = 'The collection was deleted before its training finished.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TrainingOperations {
  /** By operationId, oldest first. */
  private readonly operations = new Map<string, TrainingOperation>();

  constructor(
    private readonly collections: Collections,
    private readonly training: Training,
    private readonly clock: Clock,
    private readonly options: { maxOperations?: number; logger?: Logger } = {},
  ) {}

  /** Starts (or joins) the collection's training; returns the operation without waiting for it. */
  async train(ref: CollectionRef): Promise<TrainingOperation> {
    const collection = await this.collections.get(ref);
    const status = await this.training.train(collection);
    const operation: TrainingOperation = {
      operationId: randomUUID(),
      status: status.status,
      createdTime: this.clock.now(),
      lastActionTime: status.lastActionDateTime,
      finishedTime: null,
      message: null,
    };
    this.operations.set(operation.operationId, operation);
    const max = this.options.maxOperations ?? 10_000;
    while (this.operations.size > max) this.operations.delete(this.operations.keys().next().value!);
    void this.follow(operation, collection);
    return { ...operation };
  }

  /** The operation; OPERATION_NOT_FOUND for an id this process did not hand out (or has dropped). */
  get(operationId: unknown): TrainingOperation {
    const found = typeof operationId === 'string' && UUID.test(operationId) ? this.operations.get(operationId.toLowerCase()) : undefined;
    if (!found) {
      throw new FaceError('OPERATION_NOT_FOUND', 'No operation has this operationId (operations are not kept across restarts).', {
        operationId: typeof operationId === 'string' ? operationId.slice(0, 64) : null,
      });
    }
    return { ...found };
  }

  /** Waits for the training job, then copies its outcome into the operation. */
  private async follow(operation: TrainingOperation, collection: Collection): Promise<void> {
    try {
      await this.training.settled(collection);
      // Deleted (perhaps re-created under the same id): not this operation's collection any more.
      if ((await this.collections.get(collection)).uid !== collection.uid)
        throw new FaceError('COLLECTION_NOT_FOUND', DELETED_DURING_TRAINING);
      const status = await this.training.status(collection);
      Object.assign(operation, {
        status: status.status,
        lastActionTime: status.lastActionDateTime,
        finishedTime: status.status === 'succeeded' || status.status === 'failed' ? status.lastActionDateTime : null,
        message: status.message,
      });
    } catch (err) {
      // The collection was deleted (its training status with it), or the store closed at shutdown.
      const now = this.clock.now();
      const deleted = err instanceof FaceError;
      if (!deleted) this.options.logger?.warn({ err, operationId: operation.operationId }, 'training operation lost its outcome');
      Object.assign(operation, {
        status: 'failed',
        lastActionTime: now,
        finishedTime: now,
        message: deleted ? DELETED_DURING_TRAINING : 'The training outcome could not be read.',
      });
    }
  }
}
