/**
 * Recognition mutations: verifyFaces, findSimilarFaces, groupFaces. Thin: resolve face
 * references (registry or inline image through the per-request loaders), check the business
 * rules, hand the faces to the provider, shape the payload. Business outcomes are userErrors;
 * infrastructure failures (OVERLOADED, ENGINE_UNAVAILABLE) are GraphQL errors.
 */
import { FaceError, INFRASTRUCTURE_CODES, type ErrorCode } from '../../../domain/errors.js';
import type { RecognitionFace } from '../../../ports/face-provider.js';
import type { RecognitionModel } from '../../../domain/types.js';
import { contentHash } from '../../../app/images.js';
import type { GraphQLContext } from '../context.js';
import { rethrow } from '../errors.js';
import { INLINE_MODELS } from '../loaders.js';
import type { FaceRefInput, Resolvers } from '../generated/resolvers-types.js';
import type { FaceModel } from '../models.js';

interface UserError {
  code: ErrorCode;
  message: string;
  field: string[];
}

/** A business rule was broken: becomes one userError in the payload. */
class UserInputProblem extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

const problem = (code: ErrorCode, message: string, field: string[]): UserInputProblem => new UserInputProblem({ code, message, field });


const MAX_LIST = 1000;

function registered(ctx: GraphQLContext, faceId: string, field: string[]): RecognitionFace {
  const entry = ctx.registry.get(faceId);
  if (!entry) throw problem('FACE_NOT_FOUND', `Face ${faceId} was not found: it is unknown or its faceIdTimeToLive has expired.`, field);
  return { faceId, face: entry.face, recognitionModel: entry.recognitionModel };
}

async function inlineFace(ctx: GraphQLContext, image: NonNullable<FaceRefInput['image']>, field: string[], recognitionModel: RecognitionModel): Promise<RecognitionFace> {
  try {
    const bytes = await ctx.loaders.imageBytes.load(image);
    const hash = contentHash(bytes);
    ctx.loaders.bytesByHash.set(hash, bytes);
    const faces = await ctx.loaders.detections.load({ hash, ...INLINE_MODELS, recognitionModel, withEmbedding: true, landmarks: false, attributes: [] });
    const largest = faces[0];
    if (!largest) throw problem('NO_FACE_IN_IMAGE', 'No face was detected in the image.', field);
    return { faceId: null, face: largest, recognitionModel };
  } catch (err) {
    if (err instanceof FaceError && !INFRASTRUCTURE_CODES.has(err.code)) throw problem(err.code, err.message, field);
    throw err;
  }
}

/**
 * Inline images are detected with the recognition model of the registered faces they are
 * compared with (an upstream provider binds its faceIds to one model), recognition_04 if none.
 */
function inlineModel(ctx: GraphQLContext, faceIds: ReadonlyArray<string | null | undefined>): RecognitionModel {
  for (const id of faceIds) {
    const entry = id ? ctx.registry.get(id) : undefined;
    if (entry) return entry.recognitionModel;
  }
  return INLINE_MODELS.recognitionModel;
}

async function resolveRef(ctx: GraphQLContext, ref: FaceRefInput, field: string[], model: RecognitionModel): Promise<RecognitionFace> {
  const hasId = typeof ref.faceId === 'string' && ref.faceId.length > 0;
  const hasImage = ref.image != null;
  if (hasId === hasImage) throw problem('INVALID_FACE_REF', 'A face reference needs exactly one of faceId or image.', field);
  return hasId ? registered(ctx, ref.faceId!, [...field, 'faceId']) : inlineFace(ctx, ref.image!, [...field, 'image'], model);
}

/** A provider's input error (e.g. an upstream faceId that expired first) is the caller's: a userError. */
async function fromProvider<T>(run: Promise<T>, field: string[]): Promise<T> {
  try {
    return await run;
  } catch (err) {
    if (err instanceof FaceError && !INFRASTRUCTURE_CODES.has(err.code)) throw problem(err.code, err.message, field);
    throw err;
  }
}

/** All registered faces must share one recognition model; inline faces adapt to it. */
function assertSameModel(faces: Array<{ face: RecognitionFace; field: string[] }>): RecognitionModel | null {
  const withIds = faces.filter((f) => f.face.faceId !== null);
  const first = withIds[0];
  if (!first) return null;
  for (const f of withIds) {
    if (f.face.recognitionModel !== first.face.recognitionModel) {
      throw problem(
        'RECOGNITION_MODEL_MISMATCH',
        `Face ${f.face.faceId} was detected with ${f.face.recognitionModel} but face ${first.face.faceId} with ${first.face.recognitionModel}; faces of different recognition models cannot be compared.`,
        f.field,
      );
    }
  }
  return first.face.recognitionModel;
}

function checkIdList(ids: readonly string[], min: number, field: string[]): void {
  if (ids.length < min || ids.length > MAX_LIST) {
    throw problem('INVALID_ARGUMENT', `${field.at(-1)} must hold ${min}–${MAX_LIST} faceIds, got ${ids.length}.`, field);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) throw problem('DUPLICATE_FACE_ID', `Face ${id} appears more than once in ${field.at(-1)}.`, field);
    seen.add(id);
  }
}

function toFaceModel(f: RecognitionFace, ctx: GraphQLContext): FaceModel | null {
  if (!f.faceId) return null;
  const entry = ctx.registry.get(f.faceId);
  if (!entry) return null;
  return { faceId: entry.faceId, face: entry.face, detectionModel: entry.detectionModel, recognitionModel: entry.recognitionModel, expiresAt: entry.expiresAt };
}

/** Runs a mutation body, turning UserInputProblems into `{ userErrors }` and FaceErrors into GraphQL errors. */
async function payload<T extends object>(
  run: () => Promise<T>,
  empty: { [K in keyof T]: null },
): Promise<(T | { [K in keyof T]: null }) & { userErrors: UserError[] }> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (err) {
    if (err instanceof UserInputProblem) return { ...empty, userErrors: [err.userError] };
    return rethrow(err);
  }
}

export const recognitionResolvers: Resolvers = {
  Mutation: {
    verifyFaces: (_root, { input }, ctx) =>
      payload(async () => {
        // Resolve both references together: two inline images are detected in one batch.
        const model = inlineModel(ctx, [input.face1.faceId, input.face2.faceId]);
        const [face1, face2] = await Promise.all([
          resolveRef(ctx, input.face1, ['input', 'face1'], model),
          resolveRef(ctx, input.face2, ['input', 'face2'], model),
        ]);
        assertSameModel([{ face: face1, field: ['input', 'face1'] }, { face: face2, field: ['input', 'face2'] }]);
        return { verification: await fromProvider(ctx.provider.verify(face1, face2), ['input']) };
      }, { verification: null }),

    findSimilarFaces: (_root, { input }, ctx) =>
      payload(async () => {
        const ids = input.candidateFaceIds;
        checkIdList(ids, 1, ['input', 'candidateFaceIds']);
        const max = input.maxCandidates ?? 20;
        if (!Number.isInteger(max) || max < 1 || max > MAX_LIST) {
          throw problem('INVALID_ARGUMENT', `maxCandidates must be 1–${MAX_LIST}, got ${max}.`, ['input', 'maxCandidates']);
        }
        const query = await resolveRef(ctx, input.face, ['input', 'face'], inlineModel(ctx, [input.face.faceId, ...ids]));
        const candidates = ids.map((id, i) => registered(ctx, id, ['input', 'candidateFaceIds', String(i)]));
        assertSameModel([{ face: query, field: ['input', 'face'] }, ...candidates.map((c, i) => ({ face: c, field: ['input', 'candidateFaceIds', String(i)] }))]);
        const mode = input.mode === 'MATCH_FACE' ? 'matchFace' : 'matchPerson';
        const matches = await fromProvider(ctx.provider.findSimilar(query, candidates, mode, max), ['input']);
        return { matches: matches.map((m) => ({ faceId: m.face.faceId!, confidence: m.confidence, face: toFaceModel(m.face, ctx) })) };
      }, { matches: null }),

    groupFaces: (_root, { input }, ctx) =>
      payload(async () => {
        checkIdList(input.faceIds, 2, ['input', 'faceIds']);
        const faces = input.faceIds.map((id, i) => registered(ctx, id, ['input', 'faceIds', String(i)]));
        assertSameModel(faces.map((f, i) => ({ face: f, field: ['input', 'faceIds', String(i)] })));
        const grouping = await fromProvider(ctx.provider.group(faces), ['input', 'faceIds']);
        const group = (members: RecognitionFace[]) => ({
          faceIds: members.map((m) => m.faceId!),
          faces: members.map((m) => toFaceModel(m, ctx)).filter((f): f is FaceModel => f !== null),
        });
        return { grouping: { groups: grouping.groups.map(group), messyGroup: group(grouping.messyGroup) } };
      }, { grouping: null }),
  },
};
