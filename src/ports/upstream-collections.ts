/**
 * Collections held by an upstream face service (Azure AI Face v1.2's FaceList, LargeFaceList,
 * PersonGroup and LargePersonGroup routes, reference §1b–1e and §3): the upstream stores the
 * faces, trains and searches; facegraph checks the input and maps the answers. The Azure
 * adapter is src/adapters/azure/collections.ts; the use case src/app/collections/upstream.ts.
 *
 * Ids are already checked; faceIds are the upstream's. Failures are FaceErrors in facegraph's
 * codes (COLLECTION_NOT_FOUND with `collectionKind`, PERSON_NOT_FOUND, ...).
 */
import type {
  CollectionInfo,
  CollectionKind,
  CollectionRef,
  FaceListKind,
  Page,
  PersistedFaceInfo,
  PersonInfo,
  TrainingStatus,
} from '../domain/collections.js';
import type { FindSimilarMode, Verification } from '../domain/similarity.js';
import type { DetectionModel, FaceRectangle, RecognitionModel } from '../domain/types.js';
import type { CollectionPatch } from './collection-store.js';

export type PersonGroupRef = CollectionRef & { kind: 'personGroup' | 'largePersonGroup' };
export type FaceListRef = CollectionRef & { kind: FaceListKind };

export interface UpstreamNewFace {
  /** The image's bytes (JPEG, PNG, ...), sent as application/octet-stream. */
  image: Buffer;
  targetFace: FaceRectangle | null;
  userData: string | null;
  detectionModel: DetectionModel;
}

export interface UpstreamIdentifyResult {
  faceId: string;
  candidates: Array<{ personId: string; confidence: number }>;
}

export interface UpstreamCollectionsClient {
  /** PUT: COLLECTION_EXISTS when the id is taken. */
  createCollection(ref: CollectionRef, body: { name: string; userData: string | null; recognitionModel: RecognitionModel }): Promise<void>;
  /** With its recognition model. */
  getCollection(ref: CollectionRef): Promise<CollectionInfo>;
  updateCollection(ref: CollectionRef, patch: CollectionPatch): Promise<void>;
  deleteCollection(ref: CollectionRef): Promise<void>;
  /** Sorted by id, ids after `page.start`, at most `page.top` (a FaceList has no paging upstream: paged here). */
  listCollections(kind: CollectionKind, page: Page): Promise<CollectionInfo[]>;

  /** The new personId. */
  createPerson(ref: PersonGroupRef, body: { name: string; userData: string | null }): Promise<string>;
  getPerson(ref: PersonGroupRef, personId: string): Promise<PersonInfo>;
  updatePerson(ref: PersonGroupRef, personId: string, patch: CollectionPatch): Promise<void>;
  deletePerson(ref: PersonGroupRef, personId: string): Promise<void>;
  listPersons(ref: PersonGroupRef, page: Page): Promise<PersonInfo[]>;

  /** Adds a face to a list (personId null) or to a person; the new persistedFaceId. Never retried. */
  addFace(ref: CollectionRef, personId: string | null, face: UpstreamNewFace): Promise<string>;
  getFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<PersistedFaceInfo>;
  updateFace(ref: CollectionRef, personId: string | null, persistedFaceId: string, userData: string | null): Promise<void>;
  deleteFace(ref: CollectionRef, personId: string | null, persistedFaceId: string): Promise<void>;
  /** A list's faces by persistedFaceId (after `page.start`, at most `page.top`), or all of a person's in the order added. */
  listFaces(ref: CollectionRef, personId: string | null, page?: Page): Promise<PersistedFaceInfo[]>;

  /** POST …/train (202): starts a training. */
  train(ref: CollectionRef): Promise<void>;
  /** GET …/training: COLLECTION_NOT_TRAINED when never trained. */
  trainingStatus(ref: CollectionRef): Promise<TrainingStatus>;

  identify(ref: PersonGroupRef, faceIds: string[], options: { max: number; threshold: number }): Promise<UpstreamIdentifyResult[]>;
  verifyToPerson(ref: PersonGroupRef, faceId: string, personId: string): Promise<Verification>;
  findSimilar(
    ref: FaceListRef,
    faceId: string,
    options: { mode: FindSimilarMode; max: number },
  ): Promise<Array<{ persistedFaceId: string; confidence: number }>>;
}
