/**
 * Collections over GraphQL: FaceList (both list kinds), PersonGroup (both group kinds), Person
 * (a federation entity), PersistedFace, TrainingStatus; their mutations, identifyFaces,
 * verifyFaceToPerson and findSimilarInFaceList. Thin: every rule is the collection use cases'
 * (src/app/collections); this file maps enums, cursors, inline images and payloads.
 */
import type { CollectionInfo, CollectionKind, FaceListKind, PersonGroupKind } from '../../../domain/collections.js';
import { FaceError } from '../../../domain/errors.js';
import type { EnrolFaceInput } from '../../../app/collections/api.js';
import type { PersonGroupRef } from '../../../app/collections/persons.js';
import type { GraphQLContext } from '../context.js';
import { rethrow } from '../errors.js';
import type { NewPersistedFaceInput, Resolvers } from '../generated/resolvers-types.js';
import { inlineDetector } from '../inline-images.js';
import { payload } from '../payload.js';
import { detectionModelFromEnum, recognitionModelFromEnum, toEnum } from './enums.js';

/** A Person as resolvers see it: the person and the group it belongs to. */
export interface PersonModel {
  ref: PersonGroupRef;
  personId: string;
  name: string;
  userData: string | null;
  persistedFaceIds: string[];
  /** Null on the Azure provider. */
  createdAt: number | null;
}

export interface CandidateModel {
  ref: PersonGroupRef;
  personId: string;
  confidence: number;
}

/** FACE_LIST -> faceList, LARGE_PERSON_GROUP -> largePersonGroup. */
const kindOf = <K extends CollectionKind>(value: string): K =>
  value.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()) as K;

const listRef = (input: { kind?: string | null; id: string }): { kind: FaceListKind; id: string } => ({
  kind: kindOf<FaceListKind>(input.kind ?? 'FACE_LIST'),
  id: input.id,
});
const groupRef = (input: { kind?: string | null; id: string }): PersonGroupRef => ({
  kind: kindOf<PersonGroupKind>(input.kind ?? 'PERSON_GROUP'),
  id: input.id,
});

const date = (ms: number): Date => new Date(ms);
/** Null where the provider keeps no creation time (Azure). */
const maybeDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Cursors are the item's id (Azure's exclusive `start`), base64url so clients treat them as opaque. */
const toCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
function fromCursor(after: string | null | undefined): string | undefined {
  if (after === null || after === undefined) return undefined;
  const id = Buffer.from(after, 'base64url').toString('utf8');
  if (id === '' || toCursor(id) !== after)
    throw new FaceError('INVALID_ARGUMENT', '`after` is not a cursor of this list.', { argument: 'after' });
  return id;
}

/**
 * One page: `first` items after the cursor, and whether more follow. The use cases list by
 * Azure's start/top (top ≤ 1000), so a full page is followed by a one-item probe.
 */
async function page<T>(
  list: (start: string | undefined, top: number) => Promise<T[]>,
  idOf: (item: T) => string,
  first: number | null | undefined,
  after: string | null | undefined,
) {
  const start = fromCursor(after);
  const items = await list(start, first ?? 100);
  const last = items.at(-1);
  const hasNextPage = last !== undefined && items.length === (first ?? 100) && (await list(idOf(last), 1)).length > 0;
  const edges = items.map((node) => ({ cursor: toCursor(idOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: start !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** Query fields answer null for a collection or person that does not exist; other errors stay errors. */
async function orNull<T>(run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FaceError && (err.code === 'COLLECTION_NOT_FOUND' || err.code === 'PERSON_NOT_FOUND')) return null;
    return rethrow(err);
  }
}

/**
 * A face to enrol, for the use case: its image detected with the collection's recognition model
 * through the request's loaders. Input errors about it name it (`prefix.image`, `prefix.targetFace`).
 */
function enrolment(ctx: GraphQLContext, face: NewPersistedFaceInput, prefix: string): EnrolFaceInput {
  const detectionModel = detectionModelFromEnum(face.detectionModel ?? 'DETECTION_03');
  const detect = inlineDetector(ctx, detectionModel);
  return {
    detect: (model) => detect(face.image, model),
    image: () => ctx.loaders.imageBytes.load(face.image),
    detectionModel,
    targetFace: face.targetFace ?? null,
    userData: face.userData,
    argumentPrefix: prefix,
  };
}

const personModel = (ref: PersonGroupRef, person: Omit<PersonModel, 'ref'>): PersonModel => ({ ref, ...person });

const training = async (ctx: GraphQLContext, collection: CollectionInfo) => {
  if (collection.kind === 'faceList') return null;
  return orNullTraining(() => ctx.collections.training.status(collection));
};

/** A collection that was never trained has no training status (the use case says COLLECTION_NOT_TRAINED). */
async function orNullTraining<T>(run: () => Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FaceError && err.code === 'COLLECTION_NOT_TRAINED') return null;
    return rethrow(err);
  }
}

export const collectionResolvers: Resolvers = {
  Query: {
    faceList: (_root, args, ctx) => orNull(() => ctx.collections.collections.get(listRef(args))),
    faceLists: (_root, { kind, first, after }, ctx) =>
      page(
        (start, top) => ctx.collections.collections.list(listRef({ kind, id: '' }).kind, start, top),
        (c) => c.id,
        first,
        after,
      ).catch(rethrow),
    personGroup: (_root, args, ctx) => orNull(() => ctx.collections.collections.get(groupRef(args))),
    personGroups: (_root, { kind, first, after }, ctx) =>
      page(
        (start, top) => ctx.collections.collections.list(groupRef({ kind, id: '' }).kind, start, top),
        (c) => c.id,
        first,
        after,
      ).catch(rethrow),
  },

  FaceCollection: {
    __resolveType: (c) => (c.kind === 'faceList' || c.kind === 'largeFaceList' ? 'FaceList' : 'PersonGroup'),
  },

  FaceList: {
    id: (c) => c.id,
    kind: (c) => toEnum(c.kind as FaceListKind),
    name: (c) => c.name,
    userData: (c) => c.userData,
    recognitionModel: (c) => toEnum(c.recognitionModel),
    createdAt: (c) => maybeDate(c.createdAt),
    training: (c, _args, ctx) => training(ctx, c),
    faces: (c, { first, after }, ctx) =>
      page(
        (start, top) => ctx.collections.faces.list(c, null, start, top),
        (f) => f.persistedFaceId,
        first,
        after,
      ).catch(rethrow),
  },

  PersonGroup: {
    id: (c) => c.id,
    kind: (c) => toEnum(c.kind as PersonGroupKind),
    name: (c) => c.name,
    userData: (c) => c.userData,
    recognitionModel: (c) => toEnum(c.recognitionModel),
    createdAt: (c) => maybeDate(c.createdAt),
    training: (c, _args, ctx) => training(ctx, c),
    persons: async (c, { first, after }, ctx) => {
      const ref = groupRef({ kind: toEnum(c.kind as PersonGroupKind), id: c.id });
      const result = await page(
        (start, top) => ctx.collections.persons.list(ref, start, top),
        (p) => p.personId,
        first,
        after,
      ).catch(rethrow);
      return { ...result, edges: result.edges.map((e) => ({ ...e, node: personModel(ref, e.node) })) };
    },
    person: (c, { personId }, ctx) => {
      const ref = groupRef({ kind: toEnum(c.kind as PersonGroupKind), id: c.id });
      return orNull(async () => personModel(ref, await ctx.collections.persons.get(ref, personId)));
    },
  },

  Person: {
    __resolveReference: (key, ctx) => {
      const ref = groupRef({ kind: key.personGroupKind, id: key.personGroupId ?? '' });
      return orNull(async () => personModel(ref, await ctx.collections.persons.get(ref, key.personId)));
    },
    personGroupKind: (p) => toEnum(p.ref.kind),
    personGroupId: (p) => p.ref.id,
    personId: (p) => p.personId,
    name: (p) => p.name,
    userData: (p) => p.userData,
    createdAt: (p) => maybeDate(p.createdAt),
    persistedFaces: (p, _args, ctx) => ctx.collections.faces.list(p.ref, p.personId).catch(rethrow),
  },

  PersistedFace: {
    persistedFaceId: (f) => f.persistedFaceId,
    personId: (f) => f.personId,
    userData: (f) => f.userData,
    createdAt: (f) => maybeDate(f.createdAt),
  },

  TrainingStatus: {
    status: (t) => toEnum(t.status),
    createdAt: (t) => date(t.createdDateTime),
    lastActionAt: (t) => date(t.lastActionDateTime),
    lastSuccessfulTrainingAt: (t) => (t.lastSuccessfulTrainingDateTime === null ? null : date(t.lastSuccessfulTrainingDateTime)),
    message: (t) => t.message,
  },

  IdentifyCandidate: {
    personId: (c) => c.personId,
    confidence: (c) => c.confidence,
    person: (c, _args, ctx) => orNull(async () => personModel(c.ref, await ctx.collections.persons.get(c.ref, c.personId))),
  },

  Mutation: {
    createFaceList: (_root, { input }, ctx) =>
      payload(
        async () => ({
          faceList: await ctx.collections.collections.create(listRef(input).kind, input.id, {
            name: input.name,
            userData: input.userData,
            recognitionModel: recognitionModelFromEnum(input.recognitionModel ?? 'RECOGNITION_01'),
          }),
        }),
        { faceList: null },
      ),
    updateFaceList: (_root, { input }, ctx) =>
      payload(async () => ({ faceList: await ctx.collections.collections.update(listRef(input), patchOf(input)) }), { faceList: null }),
    deleteFaceList: (_root, { input }, ctx) =>
      payload(async () => (await ctx.collections.collections.delete(listRef(input)), { deletedId: input.id }), { deletedId: null }),
    addFaceListFace: (_root, { input }, ctx) =>
      payload(
        async () => ({
          persistedFace: await ctx.collections.faces.add(listRef(input.faceList), null, enrolment(ctx, input.face, 'face')),
        }),
        { persistedFace: null },
      ),
    deleteFaceListFace: (_root, { input }, ctx) =>
      payload(
        async () => (
          await ctx.collections.faces.delete(listRef(input.faceList), null, input.persistedFaceId),
          { deletedId: input.persistedFaceId }
        ),
        { deletedId: null },
      ),
    trainFaceList: (_root, { input }, ctx) =>
      payload(
        async () => {
          const collection = await ctx.collections.collections.get(listRef(input));
          if (collection.kind === 'faceList') {
            throw new FaceError('INVALID_ARGUMENT', 'A FACE_LIST is searched as it is and is not trained; only a LARGE_FACE_LIST is.', {
              argument: 'kind',
            });
          }
          return { training: await ctx.collections.training.train(collection) };
        },
        { training: null },
      ),

    createPersonGroup: (_root, { input }, ctx) =>
      payload(
        async () => ({
          personGroup: await ctx.collections.collections.create(groupRef(input).kind, input.id, {
            name: input.name,
            userData: input.userData,
            recognitionModel: recognitionModelFromEnum(input.recognitionModel ?? 'RECOGNITION_01'),
          }),
        }),
        { personGroup: null },
      ),
    updatePersonGroup: (_root, { input }, ctx) =>
      payload(async () => ({ personGroup: await ctx.collections.collections.update(groupRef(input), patchOf(input)) }), {
        personGroup: null,
      }),
    deletePersonGroup: (_root, { input }, ctx) =>
      payload(async () => (await ctx.collections.collections.delete(groupRef(input)), { deletedId: input.id }), { deletedId: null }),
    trainPersonGroup: (_root, { input }, ctx) =>
      payload(async () => ({ training: await ctx.collections.training.train(await ctx.collections.collections.get(groupRef(input))) }), {
        training: null,
      }),

    createPerson: (_root, { input }, ctx) =>
      payload(
        async () => {
          const ref = groupRef(input.personGroup);
          const person = await ctx.collections.persons.create(ref, { name: input.name, userData: input.userData });
          try {
            const faces = input.faces ?? [];
            for (const [i, face] of faces.entries()) {
              const added = await ctx.collections.faces.add(ref, person.personId, enrolment(ctx, face, `faces.${i}`));
              person.persistedFaceIds.push(added.persistedFaceId);
            }
          } catch (err) {
            // All or nothing: a person whose photos could not all be enrolled is not left behind.
            await ctx.collections.persons.delete(ref, person.personId).catch(() => undefined);
            throw err;
          }
          return { person: personModel(ref, person) };
        },
        { person: null },
      ),
    updatePerson: (_root, { input }, ctx) =>
      payload(
        async () => {
          const ref = groupRef(input.personGroup);
          return { person: personModel(ref, await ctx.collections.persons.update(ref, input.personId, patchOf(input))) };
        },
        { person: null },
      ),
    deletePerson: (_root, { input }, ctx) =>
      payload(
        async () => (await ctx.collections.persons.delete(groupRef(input.personGroup), input.personId), { deletedId: input.personId }),
        { deletedId: null },
      ),
    addPersonFace: (_root, { input }, ctx) =>
      payload(
        async () => ({
          persistedFace: await ctx.collections.faces.add(groupRef(input.personGroup), input.personId, enrolment(ctx, input.face, 'face')),
        }),
        { persistedFace: null },
      ),
    deletePersonFace: (_root, { input }, ctx) =>
      payload(
        async () => (
          await ctx.collections.faces.delete(groupRef(input.personGroup), input.personId, input.persistedFaceId),
          { deletedId: input.persistedFaceId }
        ),
        { deletedId: null },
      ),

    identifyFaces: (_root, { input }, ctx) =>
      payload(
        async () => {
          const ref = groupRef(input.personGroup);
          const results = await ctx.collections.identification.identify(
            ref,
            input.faces,
            { maxNumOfCandidatesReturned: input.maxCandidates, confidenceThreshold: input.confidenceThreshold },
            inlineDetector(ctx),
          );
          return {
            results: results.map((r) => ({ faceId: r.faceId, candidates: r.candidates.map((c): CandidateModel => ({ ref, ...c })) })),
          };
        },
        { results: null },
      ),
    verifyFaceToPerson: (_root, { input }, ctx) =>
      payload(
        async () => ({
          verification: await ctx.collections.identification.verifyToPerson(
            groupRef(input.personGroup),
            input.face,
            input.personId,
            inlineDetector(ctx),
          ),
        }),
        { verification: null },
      ),
    findSimilarInFaceList: (_root, { input }, ctx) =>
      payload(
        async () => ({
          matches: await ctx.collections.identification.findSimilar(
            listRef(input.faceList),
            input.face,
            { mode: input.mode === 'MATCH_FACE' ? 'matchFace' : 'matchPerson', maxNumOfCandidatesReturned: input.maxCandidates },
            inlineDetector(ctx),
          ),
        }),
        { matches: null },
      ),
  },
};

/** An update input's patch: fields the caller left out stay undefined (unchanged); an explicit null clears userData. */
function patchOf(input: { name?: string | null; userData?: string | null }): { name?: unknown; userData?: unknown } {
  const patch: { name?: unknown; userData?: unknown } = {};
  if (input.name !== undefined && input.name !== null) patch.name = input.name;
  if (input.userData !== undefined) patch.userData = input.userData;
  return patch;
}
