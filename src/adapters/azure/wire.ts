/**
 * Azure AI Face v1.2 detection and recognition (reference §2, §3): guards for the wire types of
 * src/contracts/azure-face-v1.2.ts, and pure mappings between them and facegraph's wire-neutral
 * face types.
 */
import type { FaceGrouping, RecognitionFace, SimilarFace } from '../../ports/face-provider.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import type { DetectedFace, DetectRequestOptions, FaceAttributes } from '../../domain/types.js';
import { AZURE_LANDMARK_NAMES } from '../../domain/types.js';
import type {
  WireFaceAttributes,
  WireFaceDetectionResult,
  WireFaceRectangle,
  WireFindSimilarRequest,
  WireFindSimilarResult,
  WireGroupResult,
  WireLandmarks,
  WireRecognitionModel,
  WireVerifyFaceToFaceRequest,
  WireVerifyResult,
} from '../../contracts/azure-face-v1.2.js';
import { arrayOf, boolean, type Guard, number, object, oneOf, optional, string, WireShapeError } from './guard.js';

// The wire types are src/contracts/azure-face-v1.2.ts; this module guards and maps them.

// ---------------------------------------------------------------------------------------------
// Guards

const level = oneOf(['low', 'medium', 'high'] as const);

export const faceRectangleGuard: Guard<WireFaceRectangle> = object({ top: number, left: number, width: number, height: number });

const point = object({ x: number, y: number });

// All 27 points are required whenever faceLandmarks is present (reference §2). The shape is
// built from the name list, so TypeScript cannot see its keys: hence the cast.
const landmarksGuard = object(Object.fromEntries(AZURE_LANDMARK_NAMES.map((name) => [name, point]))) as Guard<WireLandmarks>;

const attributesGuard: Guard<WireFaceAttributes> = object({
  headPose: optional(object({ pitch: number, roll: number, yaw: number })),
  glasses: optional(oneOf(['noGlasses', 'readingGlasses', 'sunglasses', 'swimmingGoggles'] as const)),
  occlusion: optional(object({ foreheadOccluded: boolean, eyeOccluded: boolean, mouthOccluded: boolean })),
  accessories: optional(arrayOf(object({ type: oneOf(['headwear', 'glasses', 'mask'] as const), confidence: number }))),
  blur: optional(object({ blurLevel: level, value: number })),
  exposure: optional(object({ exposureLevel: oneOf(['underExposure', 'goodExposure', 'overExposure'] as const), value: number })),
  noise: optional(object({ noiseLevel: level, value: number })),
  mask: optional(
    object({ type: oneOf(['faceMask', 'noMask', 'otherMaskOrOcclusion', 'uncertain'] as const), noseAndMouthCovered: boolean }),
  ),
  qualityForRecognition: optional(level),
});

export const recognitionModelGuard: Guard<WireRecognitionModel> = oneOf([
  'recognition_01',
  'recognition_02',
  'recognition_03',
  'recognition_04',
] as const);

export const detectResponseGuard: Guard<WireFaceDetectionResult[]> = arrayOf(
  object({
    faceId: optional(string),
    recognitionModel: optional(recognitionModelGuard),
    faceRectangle: faceRectangleGuard,
    faceLandmarks: optional(landmarksGuard),
    faceAttributes: optional(attributesGuard),
  }),
);

export const verifyResponseGuard: Guard<WireVerifyResult> = object({ isIdentical: boolean, confidence: number });

export const findSimilarResponseGuard: Guard<WireFindSimilarResult[]> = arrayOf(
  object({ confidence: number, faceId: optional(string), persistedFaceId: optional(string) }),
);

export const groupResponseGuard: Guard<WireGroupResult> = (v, path) => {
  const g = object({ groups: arrayOf(arrayOf(string)), messyGroup: optional(arrayOf(string)) })(v, path);
  return { groups: g.groups, messyGroup: g.messyGroup ?? [] };
};

// ---------------------------------------------------------------------------------------------
// Requests

/** Azure at most returns 100 faces per image (reference §1a). */
export const MAX_FACES = 100;

/** The query string of POST /detect for facegraph's detection options (reference §2). */
export function detectQuery(options: DetectRequestOptions): URLSearchParams {
  const q = new URLSearchParams();
  q.set('detectionModel', options.detectionModel);
  q.set('recognitionModel', options.recognitionModel);
  q.set('returnFaceId', String(options.returnFaceId));
  q.set('returnFaceLandmarks', String(options.returnLandmarks));
  // An empty returnFaceAttributes is an error on detection_02, so the parameter is sent only
  // when attributes are asked for.
  if (options.attributes.length > 0) q.set('returnFaceAttributes', [...new Set(options.attributes)].join(','));
  // The TTL only means something for a stored faceId.
  if (options.returnFaceId) q.set('faceIdTimeToLive', String(options.faceIdTimeToLive));
  // facegraph knows the model it asked for; no need to have it echoed on every face.
  q.set('returnRecognitionModel', 'false');
  return q;
}

export const verifyBody = (faceId1: string, faceId2: string): WireVerifyFaceToFaceRequest => ({ faceId1, faceId2 });

export function findSimilarBody(faceId: string, faceIds: readonly string[], mode: FindSimilarMode, max: number): WireFindSimilarRequest {
  return { faceId, faceIds: [...faceIds], maxNumOfCandidatesReturned: max, mode };
}

// ---------------------------------------------------------------------------------------------
// Responses -> facegraph

/**
 * One Azure face as a DetectedFace. Azure gives no detector confidence, so `detectionScore` is 1
 * (every face it returns passed its detector); it never returns an embedding, so recognition
 * goes back upstream with `upstreamFaceId`.
 */
export function toDetectedFace(w: WireFaceDetectionResult): DetectedFace {
  const face: DetectedFace = {
    faceRectangle: { ...w.faceRectangle },
    detectionScore: 1,
    attributes: w.faceAttributes ? toAttributes(w.faceAttributes) : {},
  };
  if (w.faceId !== undefined) face.upstreamFaceId = w.faceId;
  if (w.faceLandmarks) face.landmarks = w.faceLandmarks;
  return face;
}

/** Azure's attribute shapes already are facegraph's (same names, same wire levels). */
function toAttributes(a: WireFaceAttributes): FaceAttributes {
  const out: FaceAttributes = {};
  if (a.headPose) out.headPose = { pitch: a.headPose.pitch, roll: a.headPose.roll, yaw: a.headPose.yaw };
  if (a.blur) out.blur = { blurLevel: a.blur.blurLevel, value: a.blur.value };
  if (a.exposure) out.exposure = { exposureLevel: a.exposure.exposureLevel, value: a.exposure.value };
  if (a.noise) out.noise = { noiseLevel: a.noise.noiseLevel, value: a.noise.value };
  if (a.qualityForRecognition) out.qualityForRecognition = a.qualityForRecognition;
  if (a.glasses) out.glasses = a.glasses;
  if (a.occlusion) out.occlusion = { ...a.occlusion };
  if (a.accessories) out.accessories = a.accessories.map((x) => ({ type: x.type, confidence: x.confidence }));
  if (a.mask) out.mask = { type: a.mask.type, noseAndMouthCovered: a.mask.noseAndMouthCovered };
  return out;
}

/**
 * The detect response as DetectedFaces, in Azure's order (largest first). When a faceId was
 * asked for, every face must carry one: the registry stores the face under it and recognition
 * sends it back, so a face without one would be unusable.
 */
export function toDetectedFaces(
  wire: readonly WireFaceDetectionResult[],
  options: Pick<DetectRequestOptions, 'returnFaceId'>,
): DetectedFace[] {
  if (options.returnFaceId) {
    wire.forEach((w, i) => {
      if (w.faceId === undefined) throw new WireShapeError(`$[${i}].faceId`, 'a faceId (returnFaceId=true)');
    });
  }
  return wire.slice(0, MAX_FACES).map(toDetectedFace);
}

export const toVerification = (w: WireVerifyResult): Verification => ({ isIdentical: w.isIdentical, confidence: w.confidence });

/** Maps Azure's faceIds back to the candidate objects, keeping Azure's order (best first). */
export function toSimilarFaces(wire: readonly WireFindSimilarResult[], candidates: readonly RecognitionFace[], max: number): SimilarFace[] {
  const byId = indexByUpstreamId(candidates);
  return wire.slice(0, max).map((m, i) => {
    const face = m.faceId === undefined ? undefined : byId.get(m.faceId);
    if (!face) throw new WireShapeError(`$[${i}].faceId`, 'one of the candidate faceIds');
    return { face, confidence: m.confidence };
  });
}

export function toGrouping(wire: WireGroupResult, faces: readonly RecognitionFace[]): FaceGrouping {
  const byId = indexByUpstreamId(faces);
  const lookup = (id: string, path: string): RecognitionFace => {
    const face = byId.get(id);
    if (!face) throw new WireShapeError(path, 'one of the faceIds sent');
    return face;
  };
  return {
    groups: wire.groups.map((g, i) => g.map((id, j) => lookup(id, `$.groups[${i}][${j}]`))),
    messyGroup: wire.messyGroup.map((id, j) => lookup(id, `$.messyGroup[${j}]`)),
  };
}

function indexByUpstreamId(faces: readonly RecognitionFace[]): Map<string, RecognitionFace> {
  const byId = new Map<string, RecognitionFace>();
  for (const f of faces) {
    const id = f.face.upstreamFaceId;
    if (id !== undefined && !byId.has(id)) byId.set(id, f);
  }
  return byId;
}
