/**
 * A collection store whose training reads (embeddingBatches, what a training job reads first)
 * wait for a promise the test controls: the test sees a training `running` for as long as it
 * likes, then releases it. Every other method is the store's own.
 */
import type { CollectionRef } from '../../src/domain/collections.js';
import type { CollectionStore } from '../../src/ports/collection-store.js';

/** `gate(ref)` answers the promise the training of `ref` waits for (or nothing: no wait). */
export const holdTrainingReads =
  (gate: (ref: CollectionRef) => Promise<void> | null | undefined) =>
  (store: CollectionStore): CollectionStore =>
    new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'embeddingBatches') {
          return async function* (ref: CollectionRef, batchSize: number) {
            await gate(ref);
            yield* target.embeddingBatches(ref, batchSize);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
