/**
 * Collections on the upstream face service (the Azure provider): the CollectionsApi the GraphQL
 * edge uses, over the UpstreamCollectionsClient port. The upstream keeps the collections,
 * persons and faces, trains and searches; this use case checks what facegraph can check before
 * the call (ids, names, userData, paging, identify's ranges, faceIds and their recognition
 * model against the collection's), so the errors and their `argument` are the local path's,
 * and turns faces to search with into the upstream's faceIds:
 * - a registered faceId: the Azure provider registers faces under the upstream's faceId;
 * - an inline image: detected through the edge's detector (the provider: the upstream's detect,
 *   returnFaceId, with the collection's recognition model), largest face.
 *
 * What the upstream does not say is not invented: no creation times (createdAt null).
 */
import {
  checkCollectionId,
  checkName,
  checkPage,
  checkRecognitionModel,
  checkTargetFace,
  checkUserData,
  checkUuid,
  DEFAULT_COLLECTION_RECOGNITION_MODEL,
  isCollectionId,
  isPersonGroupKind,
  MAX_FACE_USER_DATA,
  MAX_USER_DATA,
  type CollectionInfo,
  type CollectionKind,
  type CollectionRef,
  type FaceListKind,
  type PersistedFaceInfo,
  type PersonInfo,
  type TrainingStatus,
} from '../../domain/collections.js';
import { FaceError } from '../../domain/errors.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import type { RecognitionFace } from '../../ports/face-provider.js';
import type { UpstreamCollectionsClient } from '../../ports/upstream-collections.js';
import type { InlineDetector } from '../faces/recognition.js';
import type { CollectionsApi, EnrolFaceInput } from './api.js';
import { checkPatch, type CollectionPatchInput, type NewCollectionInput } from './collections.js';
import { collectionNotFound } from './errors.js';
import {
  assertModel,
  assertNotSeen,
  checkFindSimilarMax,
  checkIdentify,
  noImages,
  resolveFace,
  type FaceInput,
  type IdentifyOptions,
  type IdentifyResult,
  type RegisteredFaces,
  type SimilarPersistedFace,
} from './identification.js';
import type { NewPersonInput, PersonGroupRef } from './persons.js';

/** Errors about the image itself (the upstream's answer to add-face): named after the face's input. */
const IMAGE_CODES: ReadonlySet<string> = new Set([
  'IMAGE_TOO_SMALL',
  'IMAGE_TOO_LARGE',
  'IMAGE_DIMENSIONS_TOO_LARGE',
  'UNSUPPORTED_IMAGE_FORMAT',
  'CORRUPT_IMAGE',
  'NO_FACE_IN_IMAGE',
  'MULTIPLE_FACES_IN_IMAGE',
  'INVALID_IMAGE_INPUT',
  'INVALID_BASE64',
  'INVALID_URL',
  'URL_FORBIDDEN',
  'URL_FETCH_FAILED',
  'URL_TIMEOUT',
]);

/**
 * Image errors renamed under `prefix` ('faces.2' -> 'faces.2.image'; a second face, or a
 * targetFace the upstream refused, -> 'faces.2.targetFace'), as the local path names them.
 */
async function namedImage<T>(prefix: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (prefix === undefined || !(err instanceof FaceError) || err.isInfrastructure) throw err;
    const aboutTarget =
      err.code === 'MULTIPLE_FACES_IN_IMAGE' ||
      err.details.argument === 'targetFace' ||
      (err.code === 'INVALID_ARGUMENT' && /targetface/i.test(err.message));
    if (!aboutTarget && !IMAGE_CODES.has(err.code)) throw err;
    throw new FaceError(err.code, err.message, { ...err.details, argument: `${prefix}.${aboutTarget ? 'targetFace' : 'image'}` });
  }
}

/** The upstream's faceId of a face to search with. */
function upstreamFaceId(face: RecognitionFace, argument: string): string {
  const id = face.face.upstreamFaceId;
  if (!id) {
    throw new FaceError(
      'FACE_NOT_FOUND',
      `Face ${face.faceId ?? '(inline)'} has no upstream faceId: it was detected without returnFaceId.`,
      {
        faceId: face.faceId,
        argument,
      },
    );
  }
  return id;
}

/** A collection id that could never exist is not asked for: COLLECTION_NOT_FOUND, as locally. */
function known<R extends CollectionRef>(ref: R): R {
  if (!isCollectionId(ref.id)) throw collectionNotFound(ref);
  return ref;
}

export class UpstreamCollections implements CollectionsApi {
  constructor(
    private readonly upstream: UpstreamCollectionsClient,
    private readonly registered: RegisteredFaces,
  ) {}

  readonly collections = {
    create: async (kind: CollectionKind, id: unknown, input: NewCollectionInput): Promise<CollectionInfo> => {
      const collection: CollectionInfo = {
        kind,
        id: checkCollectionId(id),
        name: checkName(input.name),
        userData: checkUserData(input.userData, MAX_USER_DATA),
        recognitionModel: checkRecognitionModel(input.recognitionModel ?? DEFAULT_COLLECTION_RECOGNITION_MODEL),
        createdAt: null,
      };
      await this.upstream.createCollection(collection, collection);
      return collection;
    },
    get: (ref: CollectionRef): Promise<CollectionInfo> => this.upstream.getCollection(known(ref)),
    update: async (ref: CollectionRef, patch: CollectionPatchInput): Promise<CollectionInfo> => {
      const checked = checkPatch(patch, MAX_USER_DATA);
      await this.upstream.updateCollection(known(ref), checked);
      return this.upstream.getCollection(ref);
    },
    delete: (ref: CollectionRef): Promise<void> => this.upstream.deleteCollection(known(ref)),
    list: (kind: CollectionKind, start?: unknown, top?: unknown): Promise<CollectionInfo[]> =>
      this.upstream.listCollections(kind, checkPage(start, top)),
  };

  readonly persons = {
    create: async (ref: PersonGroupRef, input: NewPersonInput): Promise<PersonInfo> => {
      const name = checkName(input.name);
      const userData = checkUserData(input.userData, MAX_USER_DATA);
      const personId = await this.upstream.createPerson(known(ref), { name, userData });
      return { personId, name, userData, persistedFaceIds: [], createdAt: null };
    },
    get: (ref: PersonGroupRef, personId: unknown): Promise<PersonInfo> => {
      const id = checkUuid(personId, 'personId');
      return this.upstream.getPerson(known(ref), id);
    },
    update: async (ref: PersonGroupRef, personId: unknown, patch: CollectionPatchInput): Promise<PersonInfo> => {
      const id = checkUuid(personId, 'personId');
      const checked = checkPatch(patch, MAX_USER_DATA);
      await this.upstream.updatePerson(known(ref), id, checked);
      return this.upstream.getPerson(ref, id);
    },
    delete: (ref: PersonGroupRef, personId: unknown): Promise<void> => {
      const id = checkUuid(personId, 'personId');
      return this.upstream.deletePerson(known(ref), id);
    },
    list: (ref: PersonGroupRef, start?: unknown, top?: unknown): Promise<PersonInfo[]> => {
      const page = checkPage(start, top);
      return this.upstream.listPersons(known(ref), page);
    },
  };

  readonly faces = {
    add: async (ref: CollectionRef, personId: unknown, input: EnrolFaceInput): Promise<PersistedFaceInfo> => {
      const userData = checkUserData(input.userData, MAX_FACE_USER_DATA);
      const targetFace = input.targetFace ? checkTargetFace(input.targetFace) : null;
      const person = owner(known(ref), personId);
      const persistedFaceId = await namedImage(input.argumentPrefix, async () =>
        this.upstream.addFace(ref, person, { image: await input.image(), targetFace, userData, detectionModel: input.detectionModel }),
      );
      return { persistedFaceId, personId: person, userData, createdAt: null };
    },
    get: (ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<PersistedFaceInfo> => {
      const id = checkUuid(persistedFaceId, 'persistedFaceId');
      return this.upstream.getFace(known(ref), owner(ref, personId), id);
    },
    update: async (ref: CollectionRef, personId: unknown, persistedFaceId: unknown, userData: unknown): Promise<PersistedFaceInfo> => {
      const id = checkUuid(persistedFaceId, 'persistedFaceId');
      const checked = checkUserData(userData, MAX_FACE_USER_DATA);
      const person = owner(known(ref), personId);
      await this.upstream.updateFace(ref, person, id, checked);
      return this.upstream.getFace(ref, person, id);
    },
    delete: (ref: CollectionRef, personId: unknown, persistedFaceId: unknown): Promise<void> => {
      const id = checkUuid(persistedFaceId, 'persistedFaceId');
      return this.upstream.deleteFace(known(ref), owner(ref, personId), id);
    },
    list: (ref: CollectionRef, personId: unknown, start?: unknown, top?: unknown): Promise<PersistedFaceInfo[]> => {
      const page = checkPage(start, top);
      const person = owner(known(ref), personId);
      // A person's faces come all at once (at most 248), as locally.
      return this.upstream.listFaces(ref, person, person === null ? page : undefined);
    },
  };

  readonly training = {
    train: async (ref: CollectionRef): Promise<TrainingStatus> => {
      if (ref.kind === 'faceList') throw new Error('a faceList is not trained');
      await this.upstream.train(known(ref));
      return this.upstream.trainingStatus(ref);
    },
    status: (ref: CollectionRef): Promise<TrainingStatus> => this.upstream.trainingStatus(known(ref)),
  };

  readonly identification = {
    identify: async <Image = never>(
      ref: PersonGroupRef,
      faceIds: unknown,
      options: IdentifyOptions = {},
      detect: InlineDetector<Image> = noImages,
    ): Promise<IdentifyResult[]> => {
      const { faces: inputs, max, threshold } = checkIdentify(faceIds, options);
      const collection = await this.collections.get(ref);
      const seen = new Set<string>();
      const faces: Array<{ faceId: string | null; upstreamId: string }> = [];
      for (const [i, input] of inputs.entries()) {
        const argument = `faceIds.${i}`;
        const face = await resolveFace(this.registered, input as FaceInput<Image>, argument, collection.recognitionModel, detect);
        assertNotSeen(face, seen);
        assertModel(collection, face, argument);
        faces.push({ faceId: face.faceId, upstreamId: upstreamFaceId(face, argument) });
      }
      // Two images of the same bytes are one upstream face: asked once.
      const unique = [...new Set(faces.map((f) => f.upstreamId))];
      const results = await this.upstream.identify(ref, unique, { max, threshold });
      const byId = new Map(results.map((r) => [r.faceId, r.candidates]));
      return faces.map((f) => {
        const candidates = byId.get(f.upstreamId);
        if (!candidates) throw new FaceError('UPSTREAM_BAD_RESPONSE', 'The upstream answered identify without one of the faceIds sent.');
        return { faceId: f.faceId, candidates: candidates.map((c) => ({ personId: c.personId, confidence: c.confidence })) };
      });
    },
    verifyToPerson: async <Image = never>(
      ref: PersonGroupRef,
      faceId: unknown,
      personId: unknown,
      detect: InlineDetector<Image> = noImages,
    ): Promise<Verification> => {
      const id = checkUuid(personId, 'personId');
      const collection = await this.collections.get(ref);
      const face = await resolveFace(this.registered, faceId as FaceInput<Image>, 'faceId', collection.recognitionModel, detect);
      assertModel(collection, face, 'faceId');
      return this.upstream.verifyToPerson(ref, upstreamFaceId(face, 'faceId'), id);
    },
    findSimilar: async <Image = never>(
      ref: CollectionRef & { kind: FaceListKind },
      faceId: unknown,
      options: { mode?: FindSimilarMode | null; maxNumOfCandidatesReturned?: number | null } = {},
      detect: InlineDetector<Image> = noImages,
    ): Promise<SimilarPersistedFace[]> => {
      const max = checkFindSimilarMax(options.maxNumOfCandidatesReturned);
      const collection = await this.collections.get(ref);
      const face = await resolveFace(this.registered, faceId as FaceInput<Image>, 'faceId', collection.recognitionModel, detect);
      assertModel(collection, face, 'faceId');
      return this.upstream.findSimilar(ref, upstreamFaceId(face, 'faceId'), { mode: options.mode ?? 'matchPerson', max });
    },
  };
}

/** The person of a person group's face (checked); a list's faces have none. */
function owner(ref: CollectionRef, personId: unknown): string | null {
  const grouped = isPersonGroupKind(ref.kind);
  if (grouped !== (personId !== null && personId !== undefined)) {
    throw new Error(`${ref.kind} faces ${grouped ? 'need' : 'take no'} personId`);
  }
  return grouped ? checkUuid(personId, 'personId') : null;
}
