/**
 * Persisted faces of a collection (FaceList, LargeFaceList) or of a person: add, get, update,
 * delete, list. Adding takes the image's detected faces, detected by the edge with the
 * collection's recognition model, and keeps one face's embedding (never the image):
 * - with `targetFace`, the detected face whose rectangle overlaps it most, if by IoU ≥ 0.5;
 * - without, the only face; several faces are Azure's InvalidImage "There is more than 1 face
 *   in the image." (MULTIPLE_FACES_IN_IMAGE), none its "No face detected in the image."
 */
import { randomUUID } from 'node:crypto';
import {
  AZURE_COLLECTION_LIMITS,
  checkPage,
  checkTargetFace,
  checkUserData,
  checkUuid,
  intersectionOverUnion,
  isPersonGroupKind,
  KIND_LABEL,
  MAX_FACE_USER_DATA,
  type Collection,
  type CollectionLimits,
  type CollectionRef,
  type PersistedFace,
} from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { DetectedFace, FaceRectangle, RecognitionModel } from '../../domain/types.js';
import type { Clock } from '../../ports/clock.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import type { Collections } from './collections.js';
import { insertFailure, persistedFaceNotFound, personNotFound } from './errors.js';
import type { Training } from './training.js';

/** The least overlap (intersection over union) of a detected face with `targetFace`. */
export const TARGET_FACE_MIN_IOU = 0.5;

export interface AddFaceInput {
  /** Detects the image's faces (with embeddings) with the given model: the collection's. */
  detect: (recognitionModel: RecognitionModel) => Promise<readonly DetectedFace[]>;
  targetFace?: FaceRectangle | null;
  userData?: unknown;
  /**
   * Where the face sits in the caller's input ('faces.2'): errors about its image and
   * targetFace then name `<prefix>.image` and `<prefix>.targetFace`.
   */
  argumentPrefix?: string;
}

/** The face to persist among the detected ones (see the module comment). */
export function pickFace(faces: readonly DetectedFace[], targetFace: FaceRectangle | null | undefined): DetectedFace {
  if (targetFace) {
    let best: DetectedFace | undefined;
    let bestIou = 0;
    for (const face of faces) {
      const iou = intersectionOverUnion(face.faceRectangle, targetFace);
      if (iou > bestIou) [best, bestIou] = [face, iou];
    }
    if (!best || bestIou < TARGET_FACE_MIN_IOU) {
      throw new FaceError('NO_FACE_IN_IMAGE', `No face was detected in the targetFace rectangle (overlap ≥ ${TARGET_FACE_MIN_IOU}).`, {
        argument: 'targetFace',
      });
    }
    return best;
  }
  if (faces.length === 0) throw new FaceError('NO_FACE_IN_IMAGE', 'No face was detected in the image.');
  if (faces.length > 1) {
    throw new FaceError('MULTIPLE_FACES_IN_IMAGE', `There are ${faces.length} faces in the image: give targetFace to pick one.`, {
      argument: 'targetFace',
      faces: faces.length,
    });
  }
  return faces[0]!;
}

/** Input errors of `run` renamed under `prefix` (see AddFaceInput.argumentPrefix); others as they are. */
async function named<T>(prefix: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (prefix === undefined || !(err instanceof FaceError) || err.isInfrastructure) throw err;
    const argument = err.details.argument === 'targetFace' ? 'targetFace' : 'image';
    throw new FaceError(err.code, err.message, { ...err.details, argument: `${prefix}.${argument}` });
  }
}

export class PersistedFaces {
  constructor(
    private readonly store: CollectionStore,
    private readonly collections: Collections,
    private readonly training: Training,
    private readonly clock: Clock,
    private readonly limits: CollectionLimits = AZURE_COLLECTION_LIMITS,
  ) {}

  /**
   * Adds a face to a (Large)FaceList (`personId` null) or to a person of a (Large)PersonGroup.
   * The collection and person are checked before detection runs. A trained collection searches
   * the face only after its next training.
   */
  async add(ref: CollectionRef, personId: unknown, input: AddFaceInput): Promise<PersistedFace> {
    const userData = checkUserData(input.userData, MAX_FACE_USER_DATA);
    const targetFace = input.targetFace ? checkTargetFace(input.targetFace) : null;
    const { collection, person } = await this.owner(ref, personId);
    const face = await named(input.argumentPrefix, async () => pickFace(await input.detect(collection.recognitionModel), targetFace));
    if (!face.embedding) throw new Error('the provider returned a face without an embedding; collections need embeddings');
    const persisted: PersistedFace = {
      persistedFaceId: randomUUID(),
      personId: person,
      userData,
      embedding: face.embedding,
      recognitionModel: collection.recognitionModel,
      createdAt: this.clock.now(),
    };
    const max = this.maxFaces(collection, person);
    const result = await this.store.addFace(ref, persisted, max);
    if (!result.ok) {
      const what = person === null ? `faces per ${KIND_LABEL[ref.kind].toLowerCase()}` : 'faces per person';
      throw insertFailure(result.reason, ref, { personId: person ?? undefined, quota: [what, max], idCollision: true });
    }
    return persisted;
  }

  async get(ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<PersistedFace> {
    const id = checkUuid(persistedFaceId, 'persistedFaceId');
    const { person } = await this.owner(ref, personId);
    const face = await this.store.getFace(ref, person, id);
    if (!face) throw persistedFaceNotFound(ref, id, person);
    return face;
  }

  /** Sets (or with null clears) the face's userData. */
  async update(ref: CollectionRef, personId: unknown, persistedFaceId: unknown, userData: unknown): Promise<PersistedFace> {
    const id = checkUuid(persistedFaceId, 'persistedFaceId');
    const checked = checkUserData(userData, MAX_FACE_USER_DATA);
    const { person } = await this.owner(ref, personId);
    if (!(await this.store.updateFace(ref, person, id, checked))) throw persistedFaceNotFound(ref, id, person);
    return this.get(ref, person, id);
  }

  /** Deletes the face, also from the trained index. */
  async delete(ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<void> {
    const id = checkUuid(persistedFaceId, 'persistedFaceId');
    const { collection, person } = await this.owner(ref, personId);
    if (!(await this.store.deleteFace(ref, person, id))) throw persistedFaceNotFound(ref, id, person);
    await this.training.removeFromIndex(collection, (e) => e.persistedFaceId === id);
  }

  /** A list's faces sorted by persistedFaceId (`start` exclusive, `top` 1–1000), or all of a person's. */
  async list(ref: CollectionRef, personId: unknown, start?: unknown, top?: unknown): Promise<PersistedFace[]> {
    const page = checkPage(start, top);
    const { person } = await this.owner(ref, personId);
    return this.store.listFaces(ref, person, page);
  }

  /** The collection, and the person (checked) in a person group; a list's faces have none. */
  private async owner(ref: CollectionRef, personId: unknown): Promise<{ collection: Collection; person: string | null }> {
    const grouped = isPersonGroupKind(ref.kind);
    if (grouped !== (personId !== null && personId !== undefined)) {
      throw new Error(`${ref.kind} faces ${grouped ? 'need' : 'take no'} personId`);
    }
    const person = grouped ? checkUuid(personId, 'personId') : null;
    const collection = await this.collections.get(ref);
    if (person !== null && !(await this.store.getPerson(ref, person))) throw personNotFound(ref, person);
    return { collection, person };
  }

  private maxFaces(collection: Collection, person: string | null): number {
    if (person !== null) return this.limits.facesPerPerson;
    return collection.kind === 'faceList' ? this.limits.facesPerList.faceList : this.limits.facesPerList.largeFaceList;
  }
}
