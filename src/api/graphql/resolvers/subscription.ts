/**
 * The Subscription root: livenessSessionUpdated and trainingStatusChanged. Thin: the streams are
 * the use cases' (src/app/updates.ts); here each item becomes the field's value or its coded
 * error. `subscribe` failing (unknown id, FACE_LIST, store away) fails the subscription before
 * any item; an item's error (a re-read that failed, the thing deleted) is sent as that item's
 * GraphQL error. Served over the WebSocket only (api/graphql/websocket.ts).
 */
import type { CollectionKind, TrainingStatus } from '../../../domain/collections.js';
import type { FaceError } from '../../../domain/errors.js';
import { collectionNotFound } from '../../../app/collections/errors.js';
import type { SessionView } from '../../../app/liveness/model.js';
import { sessionNotFound } from '../../../app/liveness/session-updates.js';
import type { WatchItem } from '../../../app/watch.js';
import { rethrow, toGraphQLError } from '../errors.js';
import type {
  Resolvers,
  SubscriptionLivenessSessionUpdatedArgs,
  SubscriptionTrainingStatusChangedArgs,
  TrainableCollectionKind,
} from '../generated/resolvers-types.js';

const TRAINABLE: Record<TrainableCollectionKind, CollectionKind> = {
  LARGE_FACE_LIST: 'largeFaceList',
  PERSON_GROUP: 'personGroup',
  LARGE_PERSON_GROUP: 'largePersonGroup',
};

const trainableRef = (input: { kind: TrainableCollectionKind; id: string }) => ({ kind: TRAINABLE[input.kind], id: input.id });

/** An item's state, or its error as the GraphQL error clients see; `gone` when the state is null (deleted). */
function stateOf<T>(item: WatchItem<T | null>, gone: () => FaceError): T {
  if ('error' in item) return rethrow(item.error);
  if (item.state === null) throw toGraphQLError(gone());
  return item.state;
}

export const subscriptionResolvers: Resolvers = {
  Subscription: {
    livenessSessionUpdated: {
      subscribe: (_root, { id }, ctx) => ctx.updates.livenessSession(id).catch(rethrow),
      resolve: (item: WatchItem<SessionView | null>, { id }: SubscriptionLivenessSessionUpdatedArgs) =>
        stateOf(item, () => sessionNotFound(id)),
    },
    trainingStatusChanged: {
      subscribe: (_root, { collection }, ctx) => ctx.updates.training(trainableRef(collection)).catch(rethrow),
      resolve: (item: WatchItem<TrainingStatus | null>, { collection }: SubscriptionTrainingStatusChangedArgs) =>
        stateOf(item, () => collectionNotFound(trainableRef(collection))),
    },
  },
};
