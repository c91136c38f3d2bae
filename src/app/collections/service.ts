/** The collection use cases, built together on one store (src/wiring.ts will build them once). */
import { AZURE_COLLECTION_LIMITS, type CollectionLimits } from '../../domain/collections.js';
import type { Logger } from '../../platform/logger.js';
import type { Clock } from '../../ports/clock.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { VectorIndexFactory } from '../../ports/vector-index.js';
import { Collections } from './collections.js';
import { PersistedFaces } from './faces.js';
import { Identification, type RegisteredFaces } from './identification.js';
import { TrainingOperations } from './operations.js';
import { Persons } from './persons.js';
import { Training } from './training.js';

export interface CollectionServices {
  collections: Collections;
  persons: Persons;
  faces: PersistedFaces;
  training: Training;
  /** The training operations `POST …/train` hands out (in memory). */
  operations: TrainingOperations;
  identification: Identification;
}

export interface CollectionDeps {
  store: CollectionStore;
  clock: Clock;
  /** Registered faceIds (the Recognition use case). */
  registered: RegisteredFaces;
  /** Azure's S0 limits unless given. */
  limits?: CollectionLimits;
  logger?: Logger;
  /** Builds ANN indexes for trained collections of at least `annMinFaces` faces; without it every index is exact. */
  vectorIndex?: VectorIndexFactory;
  /** Default ANN_MIN_FACES (training.ts). */
  annMinFaces?: number;
  /** Where training status changes are announced (trainingStatusChanged); none by default. */
  events?: EventBus;
}

export function createCollectionServices(deps: CollectionDeps): CollectionServices {
  const limits = deps.limits ?? AZURE_COLLECTION_LIMITS;
  const training = new Training(deps.store, deps.clock, {
    logger: deps.logger,
    vectorIndex: deps.vectorIndex,
    annMinFaces: deps.annMinFaces,
    events: deps.events,
  });
  const collections = new Collections(deps.store, training, deps.clock, limits);
  return {
    collections,
    persons: new Persons(deps.store, collections, training, deps.clock, limits),
    faces: new PersistedFaces(deps.store, collections, training, deps.clock, limits),
    training,
    operations: new TrainingOperations(collections, training, deps.clock, { logger: deps.logger }),
    identification: new Identification(deps.store, collections, training, deps.registered),
  };
}
