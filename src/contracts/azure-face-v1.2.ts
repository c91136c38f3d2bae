/**
 * Azure AI Face REST API v1.2 (GA): the wire types, written once. Both sides of facegraph speak
 * them: the REST surface (src/api/rest) builds them, and the Azure provider (src/adapters/azure)
 * sends the request bodies and guards the responses into them.
 *
 * The contract is /work/shared/reference/azure-face-v1.2.md:
 *   §2  Detection: `FaceDetectionResult`, the 27 landmarks, the `faceAttributes` shapes;
 *   §1b–1e Collections (FaceList, LargeFaceList, (Large)PersonGroup), training, operations;
 *   §3  Verify, findSimilar, group, identify: request bodies and results;
 *   §4b Liveness session create bodies (JSON, and the multipart fields of liveness-with-verify);
 *   §4c Liveness session GET/create response: session, attempts, result, error, verifyReferences;
 *   §4d The preview audit entry (v1.1-preview.1 / v1.2-preview.1 only; removed in v1.2 GA);
 *   §5  The error envelope `{error:{code, message, innererror?}}`.
 *
 * Types only: field names exactly as on the wire, no guards, no mapping. Where the spec marks a
 * field required but real traffic (or facegraph's REST surface) may omit it, the field is
 * optional here and the comment says so; the Azure adapter's guards may still insist on it.
 *
 * The domain already speaks Azure's vocabulary for the leaf values (model names, levels, enums,
 * rectangle, points, the 27 landmark names: see src/domain/types.ts and domain/liveness/types.ts),
 * so those are the domain's types under their wire names rather than a second copy; the objects
 * that exist only on the wire are declared here.
 */
import type {
  Accessory,
  AzureLandmarks,
  DetectionModel,
  ExposureLevel,
  FaceRectangle,
  GlassesType,
  HeadPose,
  Level,
  Mask,
  Occlusion,
  Point,
  RecognitionModel,
} from '../domain/types.js';
import type { LivenessDecision, LivenessOperationMode, SessionStatus } from '../domain/liveness/types.js';
import type { FindSimilarMode } from '../domain/similarity.js';

// ---- §2 detection ----------------------------------------------------------------------------

export type WireDetectionModel = DetectionModel;
export type WireRecognitionModel = RecognitionModel;
/** `FaceRectangle`: integers, in pixels. */
export type WireFaceRectangle = FaceRectangle;
/** `LandmarkCoordinate`: pixels, one decimal place in real responses. */
export type WirePoint = Point;
/** `FaceLandmarks`: all 27 points (AZURE_LANDMARK_NAMES) are required whenever `faceLandmarks` is present. */
export type WireLandmarks = AzureLandmarks;
/** `QualityForRecognition` and the blur / noise levels. */
export type WireLevel = Level;
export type WireExposureLevel = ExposureLevel;
export type WireGlassesType = GlassesType;
/** `HeadPose`: degrees. */
export type WireHeadPose = HeadPose;
export type WireOcclusion = Occlusion;
/** `AccessoryItem`: type headwear|glasses|mask, confidence 0–1. */
export type WireAccessory = Accessory;
/** `MaskAttribute`: type faceMask|noMask|otherMaskOrOcclusion|uncertain. */
export type WireMask = Mask;

/**
 * `FaceAttributes`, each present when asked for in `returnFaceAttributes`. The limited-access
 * attributes (age, smile, facialHair, hair) are left out: facegraph never asks for them.
 */
export interface WireFaceAttributes {
  headPose?: WireHeadPose;
  glasses?: WireGlassesType;
  occlusion?: WireOcclusion;
  /** `[]` when there are none. */
  accessories?: WireAccessory[];
  blur?: { blurLevel: WireLevel; value: number };
  exposure?: { exposureLevel: WireExposureLevel; value: number };
  noise?: { noiseLevel: WireLevel; value: number };
  mask?: WireMask;
  /** Only with recognition_03 / recognition_04. */
  qualityForRecognition?: WireLevel;
}

/** The names `returnFaceAttributes` takes (the non-limited ones). */
export type WireFaceAttributeType = keyof WireFaceAttributes;

/** One `FaceDetectionResult` of `POST /detect` (the response is an array, largest face first). */
export interface WireFaceDetectionResult {
  /** Present with returnFaceId=true. */
  faceId?: string;
  /** Present with returnRecognitionModel=true. */
  recognitionModel?: WireRecognitionModel;
  faceRectangle: WireFaceRectangle;
  /** Present with returnFaceLandmarks=true. */
  faceLandmarks?: WireLandmarks;
  /** Present when returnFaceAttributes is non-empty. */
  faceAttributes?: WireFaceAttributes;
}

// ---- §3 verify, findSimilar, group -----------------------------------------------------------

/** `POST /verify`, face-to-face overload. */
export interface WireVerifyFaceToFaceRequest {
  faceId1: string;
  faceId2: string;
}

/** `VerificationResult`. */
export interface WireVerifyResult {
  isIdentical: boolean;
  confidence: number;
}

export type WireFindSimilarMode = FindSimilarMode;

/** `POST /findsimilars`, faceIds overload. */
export interface WireFindSimilarRequest {
  faceId: string;
  faceIds: string[];
  maxNumOfCandidatesReturned: number;
  mode: WireFindSimilarMode;
}

/** One `FindSimilarResult`: the faceIds mode answers faceId, the list modes persistedFaceId. */
export interface WireFindSimilarResult {
  confidence: number;
  faceId?: string;
  persistedFaceId?: string;
}

/** `POST /group`: 2–1000 faceIds. */
export interface WireGroupRequest {
  faceIds: string[];
}

/** `GroupingResult`. */
export interface WireGroupResult {
  groups: string[][];
  /** The docs say it "will not appear" when empty; the spec marks it required. */
  messyGroup: string[];
}

/** `POST /findsimilars`, FaceList and LargeFaceList overloads (exactly one of the three sources). */
export interface WireFindSimilarInListRequest {
  faceId: string;
  faceListId?: string;
  largeFaceListId?: string;
  maxNumOfCandidatesReturned?: number;
  mode?: WireFindSimilarMode;
}

/** `POST /identify`, PersonGroup and LargePersonGroup overloads: 1–10 faceIds. */
export interface WireIdentifyRequest {
  faceIds: string[];
  personGroupId?: string;
  largePersonGroupId?: string;
  /** 1–100, default 10. */
  maxNumOfCandidatesReturned?: number;
  /** 0–1. */
  confidenceThreshold?: number;
}

/** `IdentificationCandidate`. */
export interface WireIdentificationCandidate {
  personId: string;
  confidence: number;
}

/** `IdentificationResult`: `candidates` is `[]` when nobody passes the threshold. */
export interface WireIdentificationResult {
  faceId: string;
  candidates: WireIdentificationCandidate[];
}

/** `POST /verify`, face-to-person overloads. */
export interface WireVerifyFaceToPersonRequest {
  faceId: string;
  personGroupId?: string;
  largePersonGroupId?: string;
  personId: string;
}

// ---- §1b–1e collections ----------------------------------------------------------------------

/** PUT body of the four collection kinds. */
export interface WireCreateCollectionRequest {
  name: string;
  userData?: string;
  /** Fixed at creation; default recognition_01. */
  recognitionModel?: WireRecognitionModel;
}

/** PATCH body of a collection or a person: at least one member. */
export interface WireUpdateCollectionRequest {
  name?: string;
  userData?: string;
}

/** The members every collection answers (spec model order); `recognitionModel` only with `returnRecognitionModel=true`. */
interface WireCollectionBase {
  name: string;
  userData?: string;
  recognitionModel?: WireRecognitionModel;
}

/** `FaceListFace`, `LargeFaceListFace`, `PersonGroupPersonFace`, `LargePersonGroupPersonFace`. */
export interface WirePersistedFace {
  persistedFaceId: string;
  userData?: string;
}

/** `FaceListItem` (GET /facelists). */
export interface WireFaceListItem extends WireCollectionBase {
  faceListId: string;
}

/** `FaceList` (GET /facelists/{id}): the list's faces included. */
export interface WireFaceList extends WireFaceListItem {
  persistedFaces: WirePersistedFace[];
}

export interface WireLargeFaceList extends WireCollectionBase {
  largeFaceListId: string;
}

export interface WirePersonGroup extends WireCollectionBase {
  personGroupId: string;
}

export interface WireLargePersonGroup extends WireCollectionBase {
  largePersonGroupId: string;
}

/** `PersonGroupPerson` / `LargePersonGroupPerson`. */
export interface WirePerson {
  personId: string;
  name: string;
  userData?: string;
  persistedFaceIds: string[];
}

/** `CreatePersonResult`. */
export interface WireCreatePersonResult {
  personId: string;
}

/** `AddFaceResult`. */
export interface WireAddFaceResult {
  persistedFaceId: string;
}

/** `OperationStatus`: of a training, and of a long-running operation. */
export type WireOperationStatus = 'notStarted' | 'running' | 'succeeded' | 'failed';

/** `TrainingResult` (GET …/training); date-times are ISO 8601 UTC. */
export interface WireTrainingResult {
  status: WireOperationStatus;
  createdDateTime: string;
  lastActionDateTime: string;
  /** The spec marks it required; facegraph omits it until a training has succeeded. */
  lastSuccessfulTrainingDateTime?: string;
  /** Only when the training failed. */
  message?: string;
}

/** `OperationResult` (GET /operations/{operationId}, the `operation-location` of a training). */
export interface WireOperationResult {
  operationId: string;
  status: WireOperationStatus;
  createdTime: string;
  lastActionTime?: string;
  finishedTime?: string;
  message?: string;
}

// ---- §4b liveness session create -------------------------------------------------------------

export type WireLivenessOperationMode = LivenessOperationMode;

/** `POST /detectLiveness-sessions` (JSON): `CreateLivenessSessionContent`. */
export interface WireCreateLivenessSessionBody {
  livenessOperationMode: WireLivenessOperationMode;
  /** Required (≤64 characters) unless deviceCorrelationIdSetInClient is true; then absent. */
  deviceCorrelationId?: string;
  deviceCorrelationIdSetInClient?: boolean;
  enableSessionImage?: boolean;
  /** e.g. "2024-11-15"; the latest when absent. */
  livenessModelVersion?: string;
  /** 60–86400, default 600. */
  authTokenTimeToLiveInSeconds?: number;
}

/**
 * `POST /detectLivenessWithVerify-sessions` (multipart/form-data): one text part per field,
 * besides the `verifyImage` file part.
 */
export interface WireCreateLivenessWithVerifySessionFields extends WireCreateLivenessSessionBody {
  returnVerifyImageHash?: boolean;
  verifyConfidenceThreshold?: number;
}

// ---- §4c liveness session ------------------------------------------------------------------

/** `OperationState`: a session's `status` and an attempt's `attemptStatus`. */
export type WireOperationState = SessionStatus;
/** uncertain|realface|spoofface. */
export type WireLivenessDecision = LivenessDecision;

export interface WireLivenessTargets {
  color: { faceRectangle: WireFaceRectangle };
}

/** An attempt's `result`. */
export interface WireLivenessResult {
  /** Optional on the wire (JSd); present on every recorded result. */
  livenessDecision?: WireLivenessDecision;
  /**
   * Required by the spec. facegraph's REST surface omits it for an attempt where no face was
   * found; the Azure adapter's guard requires it.
   */
  targets?: WireLivenessTargets;
  /**
   * Required by the spec. facegraph's REST surface omits it when the upstream reported none; the
   * Azure adapter's guard requires it.
   */
  digest?: string;
  sessionImageId?: string;
  /** Liveness-with-verify only. */
  verifyResult?: { matchConfidence: number; isIdentical: boolean };
  /** sha256 hex of the verify image, when returnVerifyImageHash was set. */
  verifyImageHash?: string;
}

/** An attempt's `error` (an attempt has either `result` or `error`). */
export interface WireLivenessError {
  code: string;
  message: string;
  /** Required by the spec; not always shown in the docs' examples, so optional here. */
  targets?: WireLivenessTargets;
}

export interface WireLivenessAttempt {
  /** From 1. */
  attemptId: number;
  attemptStatus: WireOperationState;
  result?: WireLivenessResult;
  error?: WireLivenessError;
}

export interface WireVerifyReference {
  /** "image" at create in real traffic, although the spec's enum is Color|Infrared|Depth; absent on GET. */
  referenceType?: string;
  faceRectangle: WireFaceRectangle;
  /**
   * Required by the spec. facegraph's REST surface omits it when its reference has no quality;
   * the Azure adapter's guard requires it.
   */
  qualityForRecognition?: WireLevel;
}

/** `LivenessSession`: the create answer and every GET have this shape. */
export interface WireLivenessSession {
  sessionId: string;
  /** The client's bearer token at create; "" on every later GET. */
  authToken: string;
  status: WireOperationState;
  /** Absent on some GETs (a Running session in the recording). */
  modelVersion?: string;
  results: WireLivenessSessionResults;
}

export interface WireLivenessSessionResults {
  attempts: WireLivenessAttempt[];
  /** Liveness-with-verify sessions only. */
  verifyReferences?: WireVerifyReference[];
}

/** `LivenessWithVerifySession`: the same shape; `results.verifyReferences` is present. */
export type WireLivenessWithVerifySession = WireLivenessSession;

// ---- §4d the preview audit entry (not in v1.2 GA) -------------------------------------------

/** `LivenessSessionAuditEntry` of v1.1-preview.1 / v1.2-preview.1 (`GET …/sessions/{id}/audit`). */
export interface WireLivenessSessionAuditEntry {
  id: number;
  sessionId: string;
  requestId: string;
  clientRequestId: string;
  receivedDateTime: string;
  request: { url: string; method: string; contentLength?: number; contentType: string; userAgent?: string };
  response: { body: WirePreviewLivenessResponseBody; statusCode: number; latencyInMilliseconds: number };
  digest: string;
  sessionImageId?: string;
  verifyImageHash?: string;
}

/** The preview's result body (the `singleModal` answer, kept in `response.body`). */
export interface WirePreviewLivenessResponseBody {
  livenessDecision?: WireLivenessDecision;
  target?: { faceRectangle: WireFaceRectangle; fileName: string; timeOffsetWithinFile: number; imageType: string };
  modelVersionUsed?: string;
  verifyResult?: {
    verifyImage: { faceRectangle: WireFaceRectangle; qualityForRecognition: WireLevel };
    matchConfidence: number;
    isIdentical: boolean;
  };
}

// ---- §5 errors -------------------------------------------------------------------------------

/**
 * `innererror`: not in the spec, but Azure's gateway sends it (403 UnsupportedFeature), and
 * facegraph's REST surface puts its own error code there. A reader takes each member as optional.
 */
export interface WireInnerError {
  code?: string;
  message?: string;
}

/** `FaceError`. */
export interface WireFaceError {
  code: string;
  message: string;
  innererror?: WireInnerError;
}

/** `FaceErrorResponse`: every error body. */
export interface WireFaceErrorResponse {
  error: WireFaceError;
}
