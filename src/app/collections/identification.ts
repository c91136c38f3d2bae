/**
 * Searching collections with faces — registered faceIds, or (from GraphQL) images whose largest
 * face is detected with the collection's recognition model: identify against a
 * (Large)PersonGroup, verify a face to a person, findSimilar in a (Large)FaceList. Confidences are the verify scale
 * of domain/similarity.ts; a person's confidence is the best of its faces'.
 *
 * - identify and LargeFaceList findSimilar search the last successful training only (training.ts);
 * - a FaceList is searched as it is, with no training (empty: COLLECTION_EMPTY, Azure's FaceListNotReady);
 * - verify to a person compares with the person's faces as they are, with no training;
 * - a faceId of another recognition model than the collection's: RECOGNITION_MODEL_MISMATCH.
 */
import { checkUuid, type Collection, type CollectionRef, type FaceListKind } from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import { findSimilar, roundConfidence, verify, type FindSimilarMode, type Verification } from '../../domain/similarity.js';
import type { CollectionStore } from '../../ports/collection-store.js';
import type { RecognitionFace } from '../../ports/face-provider.js';
import type { RecognitionModel } from '../../domain/types.js';
import { DEFAULT_MAX_CANDIDATES, MAX_FACE_LIST, type FaceRef, type InlineDetector } from '../faces/recognition.js';
import type { Collections } from './collections.js';
import { persistedFaceNotFound, personNotFound } from './errors.js';
import { nearest, searchableSize, type TrainedIndex } from './trained-index.js';
import type { PersonGroupRef } from './persons.js';
import type { Training } from './training.js';

/** Azure's identify limits: 1–10 faceIds, 1–100 candidates (default 10), threshold 0–1. */
export const IDENTIFY_LIMITS = Object.freeze({ maxFaceIds: 10, maxCandidates: 100, defaultCandidates: 10 });
/** The default confidenceThreshold: the verify scale's isIdentical point. */
export const DEFAULT_CONFIDENCE_THRESHOLD = 0.5;

/** Resolves face references (the recognition use case's rules: INVALID_ARGUMENT, INVALID_FACE_REF, FACE_NOT_FOUND). */
export interface RegisteredFaces {
  registered(faceId: unknown, argument: string): Promise<RecognitionFace>;
  resolveRef<Image>(
    ref: FaceRef<Image>,
    argument: string,
    model: RecognitionModel,
    detect: InlineDetector<Image>,
  ): Promise<RecognitionFace>;
}

/** A face to search with: a faceId string, or a FaceRef (faceId or image). */
export type FaceInput<Image> = string | FaceRef<Image>;

/** The REST edge and tests search with faceIds only. */
export const noImages: InlineDetector<unknown> = () => {
  throw new Error('internal: no inline images here');
};

export interface IdentifyOptions {
  maxNumOfCandidatesReturned?: number | null;
  confidenceThreshold?: number | null;
}

export interface IdentifyCandidate {
  personId: string;
  confidence: number;
}

export interface IdentifyResult {
  /** Null for a face given as an image. */
  faceId: string | null;
  candidates: IdentifyCandidate[];
}

export interface SimilarPersistedFace {
  persistedFaceId: string;
  confidence: number;
}

const invalid = (argument: string, message: string): FaceError => new FaceError('INVALID_ARGUMENT', message, { argument });

/** identify's arguments (Azure's ranges): 1–10 faces, 1–100 candidates, threshold 0–1. */
export function checkIdentify(faceIds: unknown, options: IdentifyOptions): { faces: unknown[]; max: number; threshold: number } {
  if (!Array.isArray(faceIds) || faceIds.length < 1 || faceIds.length > IDENTIFY_LIMITS.maxFaceIds) {
    throw invalid('faceIds', `The length of faceIds is not in a valid range (1–${IDENTIFY_LIMITS.maxFaceIds}).`);
  }
  const max = options.maxNumOfCandidatesReturned ?? IDENTIFY_LIMITS.defaultCandidates;
  if (!Number.isInteger(max) || max < 1 || max > IDENTIFY_LIMITS.maxCandidates) {
    throw invalid(
      'maxNumOfCandidatesReturned',
      `The argument maxNumOfCandidatesReturned is not valid (1–${IDENTIFY_LIMITS.maxCandidates}).`,
    );
  }
  const threshold = options.confidenceThreshold ?? DEFAULT_CONFIDENCE_THRESHOLD;
  if (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1)) {
    throw invalid('confidenceThreshold', 'The argument confidenceThreshold is not valid (0–1).');
  }
  return { faces: faceIds as unknown[], max, threshold };
}

/** findSimilar's maxNumOfCandidatesReturned: 1–1000, default 20. */
export function checkFindSimilarMax(value: number | null | undefined): number {
  const max = value ?? DEFAULT_MAX_CANDIDATES;
  if (!Number.isInteger(max) || max < 1 || max > MAX_FACE_LIST) {
    throw invalid('maxNumOfCandidatesReturned', `maxNumOfCandidatesReturned must be an integer of 1–${MAX_FACE_LIST}, got ${max}.`);
  }
  return max;
}

/** A faceId string is a registered face; a FaceRef may also be an image, detected with the collection's model. */
export function resolveFace<Image>(
  faces: RegisteredFaces,
  input: FaceInput<Image>,
  argument: string,
  model: RecognitionModel,
  detect: InlineDetector<Image>,
): Promise<RecognitionFace> {
  if (input !== null && typeof input === 'object') return faces.resolveRef(input, argument, model, detect);
  return faces.registered(input, argument);
}

/** DUPLICATE_FACE_ID when a registered faceId comes twice (`seen` collects them). */
export function assertNotSeen(face: RecognitionFace, seen: Set<string>): void {
  if (face.faceId === null) return;
  if (seen.has(face.faceId))
    throw new FaceError('DUPLICATE_FACE_ID', `Face ${face.faceId} appears more than once in faceIds.`, { argument: 'faceIds' });
  seen.add(face.faceId);
}

export class Identification {
  constructor(
    private readonly store: CollectionStore,
    private readonly collections: Collections,
    private readonly training: Training,
    private readonly faces: RegisteredFaces,
  ) {}

  /** For each faceId, the persons of the group's last training most like it, best first. */
  async identify<Image = never>(
    ref: PersonGroupRef,
    faceIds: unknown,
    options: IdentifyOptions = {},
    detect: InlineDetector<Image> = noImages,
  ): Promise<IdentifyResult[]> {
    const { faces: inputs, max, threshold } = checkIdentify(faceIds, options);
    const collection = await this.collections.get(ref);
    const seen = new Set<string>();
    const faces: Array<readonly [RecognitionFace, string]> = [];
    for (const [i, input] of inputs.entries()) {
      const argument = `faceIds.${i}`;
      const face = await this.resolve(input as FaceInput<Image>, argument, collection, detect);
      assertNotSeen(face, seen);
      assertModel(collection, face, argument);
      faces.push([face, argument]);
    }
    const index = await this.training.index(collection);
    return faces.map(([face]) => ({ faceId: face.faceId, candidates: bestPersons(index, embeddingOf(face), max, threshold) }));
  }

  /** Face to person: the best of the person's faces now (no training needed). */
  async verifyToPerson<Image = never>(
    ref: PersonGroupRef,
    // A faceId string or a FaceRef (FaceInput); unknown because the edges pass their input unchecked.
    faceId: unknown,
    personId: unknown,
    detect: InlineDetector<Image> = noImages,
  ): Promise<Verification> {
    const id = checkUuid(personId, 'personId');
    const collection = await this.collections.get(ref);
    const face = await this.resolve(faceId as FaceInput<Image>, 'faceId', collection, detect);
    assertModel(collection, face, 'faceId');
    if (!(await this.store.getPerson(ref, id))) throw personNotFound(ref, id);
    const personFaces = await this.store.listFaces(ref, id);
    if (personFaces.length === 0) {
      const err = persistedFaceNotFound(ref, '', id);
      throw new FaceError(err.code, `No persisted face of person ${id} is found.`, err.details);
    }
    const query = embeddingOf(face);
    return personFaces.map((f) => verify(query, f.embedding)).reduce((a, b) => (b.confidence > a.confidence ? b : a));
  }

  /**
   * The list's faces most like the face, at most `maxNumOfCandidatesReturned` (1–1000, default
   * 20). A FaceList as it is now; a LargeFaceList as last trained.
   */
  async findSimilar<Image = never>(
    ref: CollectionRef & { kind: FaceListKind },
    // A faceId string or a FaceRef (FaceInput); unknown because the edges pass their input unchecked.
    faceId: unknown,
    options: { mode?: FindSimilarMode | null; maxNumOfCandidatesReturned?: number | null } = {},
    detect: InlineDetector<Image> = noImages,
  ): Promise<SimilarPersistedFace[]> {
    const max = checkFindSimilarMax(options.maxNumOfCandidatesReturned);
    const collection = await this.collections.get(ref);
    const face = await this.resolve(faceId as FaceInput<Image>, 'faceId', collection, detect);
    assertModel(collection, face, 'faceId');
    const query = embeddingOf(face);
    const mode = options.mode ?? 'matchPerson';
    if (ref.kind === 'faceList') {
      const faces = await this.store.embeddings(ref);
      if (faces.length === 0) {
        throw new FaceError('COLLECTION_EMPTY', `Face list '${ref.id}' holds no face.`, { collectionKind: ref.kind, collectionId: ref.id });
      }
      const candidates = faces.map((f) => ({ item: f.persistedFaceId, embedding: f.embedding }));
      return findSimilar(query, candidates, mode, max).map((m) => ({ persistedFaceId: m.item, confidence: m.confidence }));
    }
    const index = await this.training.index(collection);
    const found = nearest(index, query, max);
    const kept = mode === 'matchPerson' ? found.filter((n) => n.confidence >= 0.5) : found;
    return kept.map((n) => ({ persistedFaceId: n.entry.persistedFaceId, confidence: roundConfidence(n.confidence) }));
  }

  /** A faceId string is a registered face; a FaceRef may also be an image, detected with the collection's model. */
  private resolve<Image>(
    input: FaceInput<Image>,
    argument: string,
    collection: Collection,
    detect: InlineDetector<Image>,
  ): Promise<RecognitionFace> {
    return resolveFace(this.faces, input, argument, collection.recognitionModel, detect);
  }
}

/** A first search asks for this many faces per person wanted (persons have several faces). */
const FACES_PER_PERSON_GUESS = 4;
const MIN_FIRST_K = 64;

/**
 * The `max` persons with the best face confidence >= `threshold`, best first (ties by personId).
 * Neighbours come nearest first, so a person's first face seen is its best. The search asks for
 * k = max(4·max, 64) faces, and asks again for 4× more while fewer than `max` persons are found,
 * the farthest face returned still clears the threshold (a farther face could still add a
 * person) and the index holds more faces than were asked for. An exact index is scanned whole.
 */
function bestPersons(index: TrainedIndex, query: Float32Array, max: number, threshold: number): IdentifyCandidate[] {
  const size = searchableSize(index);
  let k = index.kind === 'exact' ? size : Math.min(size, Math.max(FACES_PER_PERSON_GUESS * max, MIN_FIRST_K));
  for (;;) {
    const found = nearest(index, query, k);
    const best = new Map<string, number>();
    for (const n of found) {
      if (n.confidence < threshold) break;
      if (!best.has(n.entry.personId!)) best.set(n.entry.personId!, n.confidence);
    }
    const farthest = found[found.length - 1]?.confidence ?? 0;
    if (best.size >= max || k >= size || farthest < threshold) {
      return [...best]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, max)
        .map(([personId, c]) => ({ personId, confidence: roundConfidence(c) }));
    }
    k = Math.min(size, k * 4);
  }
}

/** RECOGNITION_MODEL_MISMATCH when the face was detected with another model than the collection's. */
export function assertModel(
  collection: Pick<Collection, 'kind' | 'id' | 'recognitionModel'>,
  face: RecognitionFace,
  argument: string,
): void {
  if (face.recognitionModel !== collection.recognitionModel) {
    throw new FaceError(
      'RECOGNITION_MODEL_MISMATCH',
      `Face ${face.faceId} was detected with ${face.recognitionModel} but ${collection.kind} '${collection.id}' uses ${collection.recognitionModel}.`,
      { argument, collectionKind: collection.kind, collectionId: collection.id },
    );
  }
}

function embeddingOf(face: RecognitionFace): Float32Array {
  if (!face.face.embedding) throw new Error(`face ${face.faceId} has no embedding; collections need a provider that computes embeddings`);
  return face.face.embedding;
}
