/** The collection use cases' FaceErrors, with the kind and ids in details (the REST edge picks Azure's per-kind code from `collectionKind`). */
import { KIND_LABEL, type CollectionRef } from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { InsertFailure } from '../../ports/collection-store.js';

const where = (ref: CollectionRef): Record<string, unknown> => ({ collectionKind: ref.kind, collectionId: ref.id });

export const collectionNotFound = (ref: CollectionRef): FaceError =>
  new FaceError('COLLECTION_NOT_FOUND', `${KIND_LABEL[ref.kind]} '${ref.id}' is not found.`, where(ref));

export const collectionExists = (ref: CollectionRef): FaceError =>
  new FaceError('COLLECTION_EXISTS', `${KIND_LABEL[ref.kind]} '${ref.id}' already exists.`, where(ref));

export const personNotFound = (ref: CollectionRef, personId: string): FaceError =>
  new FaceError('PERSON_NOT_FOUND', `Person ${personId} is not found in ${KIND_LABEL[ref.kind].toLowerCase()} '${ref.id}'.`, {
    ...where(ref),
    personId,
  });

export const persistedFaceNotFound = (ref: CollectionRef, persistedFaceId: string, personId: string | null): FaceError =>
  new FaceError('PERSISTED_FACE_NOT_FOUND', `Persisted face ${persistedFaceId} is not found.`, {
    ...where(ref),
    persistedFaceId,
    personId,
  });

export const notTrained = (ref: CollectionRef): FaceError =>
  new FaceError('COLLECTION_NOT_TRAINED', `${KIND_LABEL[ref.kind]} '${ref.id}' is not trained.`, where(ref));

export const trainingNotFinished = (ref: CollectionRef): FaceError =>
  new FaceError('TRAINING_NOT_FINISHED', `${KIND_LABEL[ref.kind]} '${ref.id}' is under training.`, where(ref));

export const quotaExceeded = (ref: CollectionRef, what: string, limit: number): FaceError =>
  new FaceError('QUOTA_EXCEEDED', `Quota exceeded: at most ${limit} ${what}.`, { ...where(ref), limit });

/**
 * A store insert that did not happen, as the use case's error. 'exists' is an error of the
 * caller only for a collection (its id is the caller's); for a person or face (a fresh UUID) it
 * is a bug, and `context.idCollision` says so.
 */
export function insertFailure(
  reason: InsertFailure,
  ref: CollectionRef,
  context: { personId?: string; quota: [what: string, limit: number]; idCollision?: boolean },
): Error {
  if (reason === 'exists' && context.idCollision) return new Error(`a fresh UUID is already taken in ${ref.kind} '${ref.id}'`);
  switch (reason) {
    case 'collection-not-found':
      return collectionNotFound(ref);
    case 'person-not-found':
      return personNotFound(ref, context.personId ?? '');
    case 'exists':
      return collectionExists(ref);
    case 'quota-exceeded':
      return quotaExceeded(ref, ...context.quota);
  }
}
