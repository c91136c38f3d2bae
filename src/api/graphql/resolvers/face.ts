/** Face detection and lookup: Query.detectFaces, Query.face, the Face entity and its fields. */
import type { GraphQLResolveInfo } from 'graphql';
import { DETECTION_DEFAULTS, FACE_ID_TTL, type DetectedFace, type FaceAttributes } from '../../../domain/types.js';
import { assertAttributeSupported, checkDetectRequest, computable } from '../../../app/faces/detection.js';
import { contentHash } from '../../../app/images.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { faceModel, type FaceModel } from '../models.js';
import { addFaceSelection, emptySelection, operationFaceSelection, type FaceSelection } from '../selection.js';
import { detectionModelFromEnum, recognitionModelFromEnum, toEnum } from './enums.js';
import { rethrow } from '../errors.js';

/** Root fields whose Face selections decide what the engine computes for an image. */
const FACE_ROOT_FIELDS: ReadonlySet<string> = new Set(['detectFaces']);

function operationSelection(ctx: GraphQLContext, info: GraphQLResolveInfo): FaceSelection {
  ctx.faceSelection ??= operationFaceSelection(info.operation, info.fragments, FACE_ROOT_FIELDS);
  return ctx.faceSelection;
}

function fieldSelection(info: GraphQLResolveInfo): FaceSelection {
  const selection = emptySelection();
  for (const node of info.fieldNodes) addFaceSelection(node.selectionSet, info.fragments, selection);
  return selection;
}

async function detectFaces(
  args: {
    image: { url?: string | null; base64?: string | null };
    options?: {
      detectionModel?: string | null;
      recognitionModel?: string | null;
      returnFaceId?: boolean | null;
      faceIdTimeToLive?: number | null;
      minFaceSize?: number | null;
      minDetectionConfidence?: number | null;
    } | null;
  },
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
): Promise<FaceModel[]> {
  const detectionModel = detectionModelFromEnum(args.options?.detectionModel ?? 'DETECTION_03');
  const recognitionModel = recognitionModelFromEnum(args.options?.recognitionModel ?? 'RECOGNITION_04');
  const returnFaceId = args.options?.returnFaceId ?? true;
  const ttl = args.options?.faceIdTimeToLive ?? FACE_ID_TTL.max;
  const minFaceSize = args.options?.minFaceSize ?? DETECTION_DEFAULTS.minFaceSize;
  const minDetectionConfidence = args.options?.minDetectionConfidence ?? DETECTION_DEFAULTS.minDetectionConfidence;
  // What this field selects is what it asks for; the rules are the use case's.
  const mine = fieldSelection(info);
  checkDetectRequest(
    {
      detectionModel,
      recognitionModel,
      faceIdTimeToLive: ttl,
      returnLandmarks: mine.landmarks,
      attributes: mine.attributes,
      minFaceSize,
      minDetectionConfidence,
    },
    ctx.provider.capabilities,
  );

  const bytes = await ctx.loaders.imageBytes.load(args.image);
  const hash = contentHash(bytes);
  ctx.loaders.bytesByHash.set(hash, bytes);
  // The union over the document, less what these models cannot return: another alias's
  // selection must not send detection_02 + landmarks upstream (equal keys get equal unions, so
  // aliases with the same models still share one detection).
  const union = operationSelection(ctx, info);
  const wanted = computable({ detectionModel, recognitionModel, ...union }, ctx.provider.capabilities);
  const faces = await ctx.loaders.detections.load({
    hash,
    detectionModel,
    recognitionModel,
    faceIdTimeToLive: ttl,
    withEmbedding: returnFaceId,
    minFaceSize,
    minDetectionConfidence,
    ...wanted,
  });

  if (!returnFaceId) {
    return faces.map((face) => ({ faceId: null, face, detectionModel, recognitionModel, expiresAt: null }));
  }
  const regKey = `${hash}|${detectionModel}|${recognitionModel}|${ttl}|${minFaceSize}|${minDetectionConfidence}`;
  const existing = ctx.loaders.registered.get(regKey);
  if (existing) return existing;
  // The promise is kept (not its result), so aliases resolving at once share one registration.
  const registered = ctx.registry.registerMany(faces, { detectionModel, recognitionModel }, ttl).then((entries) =>
    entries.map((entry): FaceModel => ({
      faceId: entry.faceId,
      face: entry.face,
      detectionModel,
      recognitionModel,
      expiresAt: entry.expiresAt,
    })),
  );
  ctx.loaders.registered.set(regKey, registered);
  return registered;
}

const lookup = async (ctx: GraphQLContext, faceId: string): Promise<FaceModel | null> => faceModel(await ctx.loaders.faces.load(faceId));

const attributes = (face: DetectedFace): FaceAttributes => face.attributes;

export const faceResolvers: Resolvers = {
  Query: {
    detectFaces: (_root, args, ctx, info) => detectFaces(args, ctx, info).catch(rethrow),
    face: (_root, { faceId }, ctx) => lookup(ctx, faceId).catch(rethrow),
    capabilities: (_root, _args, ctx) => ctx.provider.capabilities,
  },
  Face: {
    __resolveReference: (ref, ctx) => (ref.faceId ? lookup(ctx, ref.faceId).catch(rethrow) : null),
    faceId: (f) => f.faceId,
    faceRectangle: (f) => f.face.faceRectangle,
    detectionConfidence: (f) => Math.round(f.face.detectionScore * 1000) / 1000,
    landmarks: (f) => f.face.landmarks ?? null,
    attributes: (f) => attributes(f.face),
    detectionModel: (f) => toEnum(f.detectionModel),
    recognitionModel: (f) => toEnum(f.recognitionModel),
    expiresAt: (f) => f.expiresAt,
  },
  FaceAttributes: {
    headPose: (a) => a.headPose ?? null,
    blur: (a) => (a.blur ? { blurLevel: toEnum(a.blur.blurLevel), value: a.blur.value } : null),
    exposure: (a) => (a.exposure ? { exposureLevel: toEnum(a.exposure.exposureLevel), value: a.exposure.value } : null),
    noise: (a) => (a.noise ? { noiseLevel: toEnum(a.noise.noiseLevel), value: a.noise.value } : null),
    qualityForRecognition: (a) => (a.qualityForRecognition ? toEnum(a.qualityForRecognition) : null),
    // The embedded engine computes none of these (UNSUPPORTED_ATTRIBUTE); the Azure provider does.
    glasses: (a, _args, ctx) => (assertAttributeSupported(ctx.provider.capabilities, 'glasses'), a.glasses ? toEnum(a.glasses) : null),
    occlusion: (a, _args, ctx) => (assertAttributeSupported(ctx.provider.capabilities, 'occlusion'), a.occlusion ?? null),
    accessories: (a, _args, ctx) => (
      assertAttributeSupported(ctx.provider.capabilities, 'accessories'),
      a.accessories ? a.accessories.map((x) => ({ type: toEnum(x.type), confidence: x.confidence })) : null
    ),
    mask: (a, _args, ctx) => (
      assertAttributeSupported(ctx.provider.capabilities, 'mask'),
      a.mask ? { type: toEnum(a.mask.type), noseAndMouthCovered: a.mask.noseAndMouthCovered } : null
    ),
  },
  ProviderCapabilities: {
    detectionModels: (c) => c.detectionModels.map((m) => toEnum(m)),
    recognitionModels: (c) => c.recognitionModels.map((m) => toEnum(m)),
    attributes: (c) => [...c.attributes],
  },
};
