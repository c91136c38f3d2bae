/**
 * trainingStatusChanged: a collection's training status now, then again each time it changes
 * (notStarted -> running -> succeeded or failed, and again on the next training), learnt from
 * the EventBus notices training.ts and collections.ts publish (from any replica on the same
 * Redis); each notice re-reads the status through the CollectionsApi, as a query would. A
 * collection never trained reads as notStarted (where the query field says null).
 */
import { needsTraining, type CollectionRef, type TrainingStatus } from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import { watch, type WatchItem } from '../watch.js';
import type { CollectionsApi } from './api.js';

export interface TrainingUpdatesDeps {
  bus: EventBus;
  collections: CollectionsApi;
  clock: Clock;
}

const isCode = (err: unknown, code: string): boolean => err instanceof FaceError && err.code === code;

/**
 * The stream: a TrainingStatus per change, then `null` once if the collection is deleted (the
 * stream ends there). Before any item: COLLECTION_NOT_FOUND for an unknown collection,
 * INVALID_ARGUMENT for a FaceList (not trained).
 */
export async function watchTraining(
  deps: TrainingUpdatesDeps,
  ref: CollectionRef,
): Promise<AsyncIterableIterator<WatchItem<TrainingStatus | null>>> {
  if (!needsTraining(ref.kind)) {
    throw new FaceError('INVALID_ARGUMENT', 'A FACE_LIST is searched as it is and is not trained; only a LARGE_FACE_LIST is.', {
      argument: 'kind',
    });
  }
  const { collections } = deps.collections;
  const { training } = deps.collections;
  let first = true;
  const read = async (): Promise<TrainingStatus | null> => {
    try {
      const status = await training.status(ref).catch(async (err: unknown) => {
        if (!isCode(err, 'COLLECTION_NOT_TRAINED')) throw err;
        const info = await collections.get(ref);
        const created = info.createdAt ?? deps.clock.now();
        return {
          status: 'notStarted',
          createdDateTime: created,
          lastActionDateTime: created,
          lastSuccessfulTrainingDateTime: null,
          message: null,
        } satisfies TrainingStatus;
      });
      first = false;
      return status;
    } catch (err) {
      if (!first && isCode(err, 'COLLECTION_NOT_FOUND')) return null;
      throw err;
    }
  };
  return watch<TrainingStatus | null>({
    bus: deps.bus,
    topic: { kind: 'training', collectionKind: ref.kind, collectionId: ref.id },
    read,
    version: (s) => (s ? `${s.status}|${s.lastActionDateTime}|${s.message ?? ''}` : 'gone'),
    isFinal: (s) => s === null,
  });
}
