/**
 * The GraphQL subscriptions' use cases in one place: a liveness session's and a collection's
 * training's state, now and on each change (liveness/session-updates.ts,
 * collections/training-updates.ts), over the process's EventBus.
 */
import type { CollectionRef, TrainingStatus } from '../domain/collections.js';
import type { Clock } from '../ports/clock.js';
import type { EventBus } from '../ports/event-bus.js';
import type { CollectionsApi } from './collections/api.js';
import { watchTraining } from './collections/training-updates.js';
import type { SessionView } from './liveness/model.js';
import { watchSession } from './liveness/session-updates.js';
import type { LivenessSessions } from './liveness/sessions.js';
import type { WatchItem } from './watch.js';

export interface LiveUpdatesDeps {
  bus: EventBus;
  livenessSessions: LivenessSessions;
  collections: CollectionsApi;
  clock: Clock;
}

export class LiveUpdates {
  constructor(private readonly deps: LiveUpdatesDeps) {}

  /** SESSION_NOT_FOUND for an unknown id; then the session per change, `null` once if deleted. */
  livenessSession(id: string): Promise<AsyncIterableIterator<WatchItem<SessionView | null>>> {
    return watchSession({ bus: this.deps.bus, sessions: this.deps.livenessSessions, clock: this.deps.clock }, id);
  }

  /** COLLECTION_NOT_FOUND / INVALID_ARGUMENT first; then the status per change, `null` once if deleted. */
  training(ref: CollectionRef): Promise<AsyncIterableIterator<WatchItem<TrainingStatus | null>>> {
    return watchTraining({ bus: this.deps.bus, collections: this.deps.collections, clock: this.deps.clock }, ref);
  }
}
