/**
 * Collections of the four kinds: create, get, update, delete, list. The rules (ids, names,
 * userData, recognition model, paging, the count per kind) are the domain's and Azure's.
 */
import { randomUUID } from 'node:crypto';
import {
  AZURE_COLLECTION_LIMITS,
  checkCollectionId,
  checkName,
  checkPage,
  checkRecognitionModel,
  checkUserData,
  DEFAULT_COLLECTION_RECOGNITION_MODEL,
  isCollectionId,
  KIND_LABEL,
  MAX_USER_DATA,
  type Collection,
  type CollectionKind,
  type CollectionLimits,
  type CollectionRef,
} from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { CollectionPatch, CollectionStore } from '../../ports/collection-store.js';
import { collectionNotFound, insertFailure } from './errors.js';
import type { Training } from './training.js';

export interface NewCollectionInput {
  name: unknown;
  userData?: unknown;
  /** Default recognition_01, as in Azure. */
  recognitionModel?: unknown;
}

export interface CollectionPatchInput {
  name?: unknown;
  userData?: unknown;
}

/** Checks a PATCH body: at least one member; name non-empty; userData within `maxUserData` (null clears it). */
export function checkPatch(patch: CollectionPatchInput, maxUserData: number): CollectionPatch {
  if (patch.name === undefined && patch.userData === undefined) {
    throw new FaceError('INVALID_ARGUMENT', "Both 'name' and 'userData' are empty.", { argument: 'name' });
  }
  const out: CollectionPatch = {};
  if (patch.name !== undefined) out.name = checkName(patch.name);
  if (patch.userData !== undefined) out.userData = checkUserData(patch.userData, maxUserData);
  return out;
}

export class Collections {
  constructor(
    private readonly store: CollectionStore,
    private readonly training: Training,
    private readonly clock: Clock,
    private readonly limits: CollectionLimits = AZURE_COLLECTION_LIMITS,
  ) {}

  /** Creates an empty collection; COLLECTION_EXISTS if the id is taken for this kind. */
  async create(kind: CollectionKind, id: unknown, input: NewCollectionInput): Promise<Collection> {
    const collection: Collection = {
      kind,
      id: checkCollectionId(id),
      uid: randomUUID(),
      name: checkName(input.name),
      userData: checkUserData(input.userData, MAX_USER_DATA),
      recognitionModel: checkRecognitionModel(input.recognitionModel ?? DEFAULT_COLLECTION_RECOGNITION_MODEL),
      createdAt: this.clock.now(),
    };
    const max = this.limits.collections[kind];
    const result = await this.store.createCollection(collection, max);
    if (!result.ok) throw insertFailure(result.reason, collection, { quota: [`${KIND_LABEL[kind].toLowerCase()}s`, max] });
    return collection;
  }

  /** The collection, or COLLECTION_NOT_FOUND (also for an id that could never exist). */
  async get(ref: CollectionRef): Promise<Collection> {
    const found = isCollectionId(ref.id) ? await this.store.getCollection(ref) : null;
    if (!found) throw collectionNotFound(ref);
    return found;
  }

  async update(ref: CollectionRef, patch: CollectionPatchInput): Promise<Collection> {
    const checked = checkPatch(patch, MAX_USER_DATA);
    if (!(await this.store.updateCollection(ref, checked))) throw collectionNotFound(ref);
    return this.get(ref);
  }

  /** Deletes the collection with its persons, faces, training and trained index. */
  async delete(ref: CollectionRef): Promise<void> {
    const collection = await this.get(ref);
    if (!(await this.store.deleteCollection(ref))) throw collectionNotFound(ref);
    this.training.forget(collection);
  }

  /** Sorted by id; `start` is an exclusive lower bound, `top` 1–1000 (default 1000). */
  async list(kind: CollectionKind, start?: unknown, top?: unknown): Promise<Collection[]> {
    return this.store.listCollections(kind, checkPage(start, top));
  }
}
