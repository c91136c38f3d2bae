/**
 * Domain objects -> Azure AI Face v1.2 JSON, with Azure's wire names, key order and enum values
 * (the domain already uses Azure's lowerCamel enum strings: `goodExposure`, `low`, `noGlasses`).
 * Pure functions; objects are built key by key so nothing internal (embeddings, 68-point
 * landmarks, detector scores) can leak onto the wire. The wire types are
 * src/contracts/azure-face-v1.2.ts, shared with the Azure provider.
 */
import { AZURE_LANDMARK_NAMES } from '../../domain/types.js';
import type { DetectedFace, FaceAttributeName, FaceAttributes, FaceRectangle, RecognitionModel } from '../../domain/types.js';
import type { SessionView } from '../../app/liveness/model.js';
import type { AttemptRecord, SessionRecord, UpstreamSessionKind } from '../../ports/liveness-store.js';
import type {
  WireFaceAttributes,
  WireFaceDetectionResult,
  WireFaceRectangle,
  WireLandmarks,
  WireLivenessAttempt,
  WireLivenessResult,
  WireLivenessSession,
  WireLivenessSessionResults,
  WireLivenessTargets,
  WireVerifyReference,
  WireFaceList,
  WireFaceListItem,
  WireLargeFaceList,
  WireLargePersonGroup,
  WireOperationResult,
  WirePersistedFace,
  WirePerson,
  WirePersonGroup,
  WireTrainingResult,
} from '../../contracts/azure-face-v1.2.js';
import type { Collection, CollectionKind, PersistedFace, Person, TrainingStatus } from '../../domain/collections.js';
import type { TrainingOperation } from '../../app/collections/operations.js';

export const rectangle = (r: FaceRectangle): WireFaceRectangle => ({ top: r.top, left: r.left, width: r.width, height: r.height });

/** Azure's FaceAttributes key order (spec order; real responses list headPose, mask, qualityForRecognition so). */
const ATTRIBUTE_ORDER: readonly FaceAttributeName[] = [
  'glasses',
  'headPose',
  'occlusion',
  'accessories',
  'blur',
  'exposure',
  'noise',
  'mask',
  'qualityForRecognition',
];

function attributes(a: FaceAttributes, requested: ReadonlySet<FaceAttributeName>): WireFaceAttributes {
  const out: WireFaceAttributes = {};
  for (const name of ATTRIBUTE_ORDER) {
    if (!requested.has(name)) continue;
    switch (name) {
      case 'headPose':
        if (a.headPose) out.headPose = { pitch: a.headPose.pitch, roll: a.headPose.roll, yaw: a.headPose.yaw };
        break;
      case 'blur':
        if (a.blur) out.blur = { blurLevel: a.blur.blurLevel, value: a.blur.value };
        break;
      case 'exposure':
        if (a.exposure) out.exposure = { exposureLevel: a.exposure.exposureLevel, value: a.exposure.value };
        break;
      case 'noise':
        if (a.noise) out.noise = { noiseLevel: a.noise.noiseLevel, value: a.noise.value };
        break;
      case 'qualityForRecognition':
        if (a.qualityForRecognition) out.qualityForRecognition = a.qualityForRecognition;
        break;
      case 'glasses':
        if (a.glasses) out.glasses = a.glasses;
        break;
      case 'occlusion':
        if (a.occlusion)
          out.occlusion = {
            foreheadOccluded: a.occlusion.foreheadOccluded,
            eyeOccluded: a.occlusion.eyeOccluded,
            mouthOccluded: a.occlusion.mouthOccluded,
          };
        break;
      case 'accessories':
        // Azure sends [] when there are none.
        if (a.accessories) out.accessories = a.accessories.map((x) => ({ type: x.type, confidence: x.confidence }));
        break;
      case 'mask':
        if (a.mask) out.mask = { type: a.mask.type, noseAndMouthCovered: a.mask.noseAndMouthCovered };
        break;
    }
  }
  return out;
}

export interface DetectionWireOptions {
  faceId: string | null;
  /** Present only with returnRecognitionModel=true. */
  recognitionModel: RecognitionModel | null;
  landmarks: boolean;
  /** What the caller asked for (faceAttributes is present exactly when this is non-empty). */
  attributes: ReadonlySet<FaceAttributeName>;
}

/** One `FaceDetectionResult`. */
export function detectionResult(face: DetectedFace, options: DetectionWireOptions): WireFaceDetectionResult {
  // Built in Azure's key order: faceId, recognitionModel, faceRectangle, faceLandmarks, faceAttributes.
  const out: WireFaceDetectionResult = {
    ...(options.faceId !== null ? { faceId: options.faceId } : {}),
    ...(options.recognitionModel !== null ? { recognitionModel: options.recognitionModel } : {}),
    faceRectangle: rectangle(face.faceRectangle),
  };
  if (options.landmarks && face.landmarks) {
    const points = {} as WireLandmarks;
    for (const name of AZURE_LANDMARK_NAMES) points[name] = { x: face.landmarks[name].x, y: face.landmarks[name].y };
    out.faceLandmarks = points;
  }
  if (options.attributes.size > 0) out.faceAttributes = attributes(face.attributes, options.attributes);
  return out;
}

// ---- liveness (§4b / §4c) ------------------------------------------------------------------

/** The route family a session lives under (Azure's two session resources). */
export type SessionKind = UpstreamSessionKind;

/**
 * An upstream-held session records its route family; one of the embedded engine's is a
 * liveness-with-verify session exactly when it has a verify reference.
 */
export const sessionKind = (record: Pick<SessionRecord, 'upstreamKind' | 'verifyReference'>): SessionKind =>
  record.upstreamKind ?? (record.verifyReference ? 'detectLivenessWithVerify' : 'detectLiveness');

const targets = (face: FaceRectangle | null): { targets?: WireLivenessTargets } =>
  // Azure always has a target face; an attempt where no face was found has none to report.
  face ? { targets: { color: { faceRectangle: rectangle(face) } } } : {};

function attempt(a: AttemptRecord, kind: SessionKind): WireLivenessAttempt {
  const out: WireLivenessAttempt = { attemptId: a.attemptId, attemptStatus: a.status };
  if (a.status === 'Succeeded' && a.decision) {
    const result: WireLivenessResult = { livenessDecision: a.decision, ...targets(a.targetFace) };
    // An upstream that reported no digest has none to pass on.
    if (a.digest) result.digest = a.digest;
    if (a.sessionImageId) result.sessionImageId = a.sessionImageId;
    if (kind === 'detectLivenessWithVerify' && a.verifyResult) {
      result.verifyResult = { matchConfidence: a.verifyResult.matchConfidence, isIdentical: a.verifyResult.isIdentical };
    }
    out.result = result;
  } else if (a.status === 'Failed') {
    const error = a.error ?? { code: 'AttemptFailed', message: 'The attempt failed.' };
    out.error = { code: error.code, message: error.message, ...targets(a.targetFace) };
  }
  return out;
}

/**
 * `LivenessSession` / `LivenessWithVerifySession`. The authToken is the real token only in the
 * create answer (the view carries it then) and "" afterwards; `referenceType` appears only at
 * create, as in the recorded service traffic.
 */
export function session(view: SessionView, created: boolean): WireLivenessSession {
  const kind = sessionKind(view.record);
  const results: WireLivenessSessionResults = { attempts: view.attempts.map((a) => attempt(a, kind)) };
  const ref = view.verifyReference;
  if (kind === 'detectLivenessWithVerify' && ref) {
    // Key order as Azure's: referenceType (create only), faceRectangle, qualityForRecognition.
    const reference: WireVerifyReference = { ...(created ? { referenceType: 'image' } : {}), faceRectangle: rectangle(ref.faceRectangle) };
    if (ref.qualityForRecognition) reference.qualityForRecognition = ref.qualityForRecognition;
    results.verifyReferences = [reference];
  }
  return {
    sessionId: view.record.id,
    authToken: created ? view.authToken : '',
    status: view.status,
    modelVersion: view.record.modelVersion,
    results,
  };
}

// ---- collections (reference §1b–1e, §1g) -------------------------------------------------------

/** Azure's date-time: ISO 8601 UTC. */
export const dateTime = (ms: number): string => new Date(ms).toISOString();

/** The id member of each kind's wire object. */
export const COLLECTION_ID_FIELD = {
  faceList: 'faceListId',
  largeFaceList: 'largeFaceListId',
  personGroup: 'personGroupId',
  largePersonGroup: 'largePersonGroupId',
} as const satisfies Record<CollectionKind, string>;

type CollectionWire = WireFaceListItem | WireLargeFaceList | WirePersonGroup | WireLargePersonGroup;

/** A collection as GET and list answer it (a FaceList's faces are added by the caller). */
export function collection(c: Collection, returnRecognitionModel: boolean): CollectionWire {
  const out: { name: string; userData?: string; recognitionModel?: RecognitionModel } = { name: c.name };
  if (c.userData !== null) out.userData = c.userData;
  if (returnRecognitionModel) out.recognitionModel = c.recognitionModel;
  return { ...out, [COLLECTION_ID_FIELD[c.kind]]: c.id } as CollectionWire;
}

export function faceList(c: Collection, faces: readonly PersistedFace[], returnRecognitionModel: boolean): WireFaceList {
  return { ...(collection(c, returnRecognitionModel) as WireFaceListItem), persistedFaces: faces.map(persistedFace) };
}

export function persistedFace(f: PersistedFace): WirePersistedFace {
  return f.userData === null ? { persistedFaceId: f.persistedFaceId } : { persistedFaceId: f.persistedFaceId, userData: f.userData };
}

export function person(p: Person): WirePerson {
  // Azure's key order: personId, name, userData, persistedFaceIds.
  const head: Omit<WirePerson, 'persistedFaceIds'> = { personId: p.personId, name: p.name };
  if (p.userData !== null) head.userData = p.userData;
  return { ...head, persistedFaceIds: [...p.persistedFaceIds] };
}

export function trainingResult(t: TrainingStatus): WireTrainingResult {
  const out: WireTrainingResult = {
    status: t.status,
    createdDateTime: dateTime(t.createdDateTime),
    lastActionDateTime: dateTime(t.lastActionDateTime),
  };
  if (t.lastSuccessfulTrainingDateTime !== null) out.lastSuccessfulTrainingDateTime = dateTime(t.lastSuccessfulTrainingDateTime);
  if (t.status === 'failed' && t.message !== null) out.message = t.message;
  return out;
}

export function operationResult(o: TrainingOperation): WireOperationResult {
  const out: WireOperationResult = {
    operationId: o.operationId,
    status: o.status,
    createdTime: dateTime(o.createdTime),
    lastActionTime: dateTime(o.lastActionTime),
  };
  if (o.finishedTime !== null) out.finishedTime = dateTime(o.finishedTime);
  if (o.message !== null) out.message = o.message;
  return out;
}
