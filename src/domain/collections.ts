/**
 * Persistent collections, as in Azure AI Face v1.2: FaceList, LargeFaceList, PersonGroup and
 * LargePersonGroup, their persons and persisted faces, training status, and Azure's rules for
 * them as pure checks (reference §0 "IDs" and "Paging", §1b–1e quotas).
 *
 * A persisted face keeps its embedding and the recognition model that made it, never the image.
 * Times are epoch milliseconds from the service clock; the edges format them.
 */
import { FaceError } from './errors.js';
import type { FaceRectangle, RecognitionModel } from './types.js';

export const COLLECTION_KINDS = ['faceList', 'largeFaceList', 'personGroup', 'largePersonGroup'] as const;
export type CollectionKind = (typeof COLLECTION_KINDS)[number];
/** Collections of persons (identify, verify to a person). */
export type PersonGroupKind = 'personGroup' | 'largePersonGroup';
/** Collections of faces without persons (findSimilar). */
export type FaceListKind = 'faceList' | 'largeFaceList';

export const isPersonGroupKind = (kind: CollectionKind): kind is PersonGroupKind => kind === 'personGroup' || kind === 'largePersonGroup';
/** Every kind but FaceList is searched through its last successful training; a FaceList is searched as it is. */
export const needsTraining = (kind: CollectionKind): boolean => kind !== 'faceList';

export const RECOGNITION_MODELS: readonly RecognitionModel[] = ['recognition_01', 'recognition_02', 'recognition_03', 'recognition_04'];
/** Azure's default recognition model for a new collection. */
export const DEFAULT_COLLECTION_RECOGNITION_MODEL: RecognitionModel = 'recognition_01';

export interface CollectionRef {
  kind: CollectionKind;
  /** The caller's id: `^[a-z0-9-_]+$`, 1–64 characters. */
  id: string;
}

export interface Collection extends CollectionRef {
  /**
   * Internal, never shown: a UUID per creation. A training that finishes after its collection
   * was deleted (and perhaps re-created under the same id) writes nothing, because its uid is gone.
   */
  uid: string;
  name: string;
  userData: string | null;
  /** Fixed at creation: every face added is embedded with it. */
  recognitionModel: RecognitionModel;
  createdAt: number;
}

export interface Person {
  personId: string;
  name: string;
  userData: string | null;
  /** In the order the faces were added. */
  persistedFaceIds: string[];
  createdAt: number;
}

export interface PersistedFace {
  persistedFaceId: string;
  /** The owning person in a (Large)PersonGroup; null in a (Large)FaceList. */
  personId: string | null;
  userData: string | null;
  /** L2 embedding of the face (no image is kept). */
  embedding: Float32Array;
  recognitionModel: RecognitionModel;
  createdAt: number;
}

/**
 * What every provider can tell of a collection, person or face: what the edges serve. No
 * internal uid and no embedding; `createdAt` is null where the provider keeps none (Azure AI Face
 * does not say when a collection, person or face was created).
 */
export type CollectionInfo = Omit<Collection, 'uid' | 'createdAt'> & { createdAt: number | null };
export type PersonInfo = Omit<Person, 'createdAt'> & { createdAt: number | null };
export type PersistedFaceInfo = Pick<PersistedFace, 'persistedFaceId' | 'personId' | 'userData'> & { createdAt: number | null };

export type TrainingState = 'notStarted' | 'running' | 'succeeded' | 'failed';

/** Azure's TrainingResult, with epoch-ms times. */
export interface TrainingStatus {
  status: TrainingState;
  /** When the collection was created. */
  createdDateTime: number;
  /** When the training last changed state (started, succeeded or failed). */
  lastActionDateTime: number;
  /** When the last successful training finished; null if none has. */
  lastSuccessfulTrainingDateTime: number | null;
  /** Why the last training failed; null otherwise. */
  message: string | null;
}

/** Counts Azure enforces (S0 tier). Injectable so tests can use small ones. */
export interface CollectionLimits {
  /** Collections of each kind per resource. */
  collections: Readonly<Record<CollectionKind, number>>;
  /** Faces in one FaceList / LargeFaceList. */
  facesPerList: Readonly<Record<FaceListKind, number>>;
  /** Persons in one PersonGroup / LargePersonGroup. */
  personsPerGroup: Readonly<Record<PersonGroupKind, number>>;
  /** Faces of one person (both group kinds). */
  facesPerPerson: number;
}

/** Azure S0: 64 FaceLists, 1M of the others; reference §1b–1e. */
export const AZURE_COLLECTION_LIMITS: CollectionLimits = Object.freeze({
  collections: Object.freeze({ faceList: 64, largeFaceList: 1_000_000, personGroup: 1_000_000, largePersonGroup: 1_000_000 }),
  facesPerList: Object.freeze({ faceList: 1_000, largeFaceList: 1_000_000 }),
  personsPerGroup: Object.freeze({ personGroup: 10_000, largePersonGroup: 1_000_000 }),
  facesPerPerson: 248,
});

export const COLLECTION_ID_PATTERN = /^[a-z0-9-_]+$/;
export const MAX_ID_LENGTH = 64;
export const MAX_NAME_LENGTH = 128;
/** userData of collections and persons (Azure: 16 KB). */
export const MAX_USER_DATA = 16_384;
/** userData of persisted faces (Azure: 1 KB). */
export const MAX_FACE_USER_DATA = 1_024;
export const LIST_TOP = Object.freeze({ min: 1, max: 1000, default: 1000 });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalid = (argument: string, message: string): FaceError => new FaceError('INVALID_ARGUMENT', message, { argument });

export const isCollectionId = (id: unknown): id is string =>
  typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH && COLLECTION_ID_PATTERN.test(id);

/** A caller-chosen collection id. */
export function checkCollectionId(id: unknown, argument = 'id'): string {
  if (!isCollectionId(id)) {
    throw invalid(argument, `${argument} must be 1–${MAX_ID_LENGTH} characters of a-z, 0-9, '-' and '_'.`);
  }
  return id;
}

export function checkName(name: unknown, argument = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) throw invalid(argument, `'${argument}' is empty.`);
  if (name.length > MAX_NAME_LENGTH) throw invalid(argument, `'${argument}' is too long (at most ${MAX_NAME_LENGTH} characters).`);
  return name;
}

/** Optional userData of at most `max` characters; null/undefined mean none. */
export function checkUserData(userData: unknown, max: number, argument = 'userData'): string | null {
  if (userData === null || userData === undefined) return null;
  if (typeof userData !== 'string') throw invalid(argument, `'${argument}' must be a string.`);
  if (userData.length > max) throw invalid(argument, `'${argument}' is too long (at most ${max} characters).`);
  return userData;
}

export function checkRecognitionModel(model: unknown, argument = 'recognitionModel'): RecognitionModel {
  if (!RECOGNITION_MODELS.includes(model as RecognitionModel)) throw invalid(argument, `'${argument}' is invalid.`);
  return model as RecognitionModel;
}

/** A server-issued id (personId, persistedFaceId): a UUID, compared lower-case. */
export function checkUuid(id: unknown, argument: string): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw invalid(argument, `${argument} is invalid (not a UUID).`);
  return id.toLowerCase();
}

export interface Page {
  /** Exclusive lower bound on the id; null from the first. */
  start: string | null;
  top: number;
}

/** Azure's paging: `start` ≤ 64 characters, `top` 1–1000 (default 1000). */
export function checkPage(start: unknown, top: unknown): Page {
  if (start !== null && start !== undefined && (typeof start !== 'string' || start.length > MAX_ID_LENGTH)) {
    throw invalid('start', `'start' is too long (at most ${MAX_ID_LENGTH} characters).`);
  }
  const n = top ?? LIST_TOP.default;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < LIST_TOP.min || n > LIST_TOP.max) {
    throw invalid('top', `'top' is invalid (an integer of ${LIST_TOP.min}–${LIST_TOP.max}).`);
  }
  return { start: typeof start === 'string' && start.length > 0 ? start : null, top: n };
}

/** A targetFace rectangle: non-negative integers with a positive size. */
export function checkTargetFace(rect: FaceRectangle, argument = 'targetFace'): FaceRectangle {
  const { left, top, width, height } = rect;
  const ok = [left, top, width, height].every((v) => Number.isInteger(v) && v >= 0) && width > 0 && height > 0;
  if (!ok) throw invalid(argument, 'Invalid argument targetFace.');
  return rect;
}

/** Intersection over union of two rectangles, 0–1. */
export function intersectionOverUnion(a: FaceRectangle, b: FaceRectangle): number {
  const w = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const h = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/** Human names of the kinds, for messages ("Large person group 'x' is not found."). */
export const KIND_LABEL: Readonly<Record<CollectionKind, string>> = {
  faceList: 'Face list',
  largeFaceList: 'Large face list',
  personGroup: 'Person group',
  largePersonGroup: 'Large person group',
};
