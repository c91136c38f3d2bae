/** Wire-neutral face types shared by providers, the registry and the GraphQL layer. */

export interface Point {
  x: number;
  y: number;
}

/** Azure's 27 named landmarks, in Azure's order. Azure "left" is image left (the subject's right). */
export const AZURE_LANDMARK_NAMES = [
  'pupilLeft',
  'pupilRight',
  'noseTip',
  'mouthLeft',
  'mouthRight',
  'eyebrowLeftOuter',
  'eyebrowLeftInner',
  'eyeLeftOuter',
  'eyeLeftTop',
  'eyeLeftBottom',
  'eyeLeftInner',
  'eyebrowRightInner',
  'eyebrowRightOuter',
  'eyeRightInner',
  'eyeRightTop',
  'eyeRightBottom',
  'eyeRightOuter',
  'noseRootLeft',
  'noseRootRight',
  'noseLeftAlarTop',
  'noseRightAlarTop',
  'noseLeftAlarOutTip',
  'noseRightAlarOutTip',
  'upperLipTop',
  'upperLipBottom',
  'underLipTop',
  'underLipBottom',
] as const;

export type AzureLandmarkName = (typeof AZURE_LANDMARK_NAMES)[number];
export type AzureLandmarks = Record<AzureLandmarkName, Point>;

/**
 * Head pose in degrees. Camera frame: yaw > 0 when the face turns toward the image's right,
 * pitch > 0 when the face looks up, roll > 0 when the face tilts clockwise in the image.
 */
export interface HeadPose {
  pitch: number;
  roll: number;
  yaw: number;
}

/** Azure's quality scales (value 0–1 plus a level). */
export type Level = 'low' | 'medium' | 'high';
export type ExposureLevel = 'underExposure' | 'goodExposure' | 'overExposure';

export interface QualityMeasures {
  blur: { blurLevel: Level; value: number };
  exposure: { exposureLevel: ExposureLevel; value: number };
  noise: { noiseLevel: Level; value: number };
}

/** Azure's enum values, as strings on the wire (detection_03, recognition_04). */
export type DetectionModel = 'detection_01' | 'detection_02' | 'detection_03';
export type RecognitionModel = 'recognition_01' | 'recognition_02' | 'recognition_03' | 'recognition_04';

/** Every Azure model name, in Azure's order. */
export const DETECTION_MODELS: readonly DetectionModel[] = ['detection_01', 'detection_02', 'detection_03'];
export const RECOGNITION_MODELS: readonly RecognitionModel[] = ['recognition_01', 'recognition_02', 'recognition_03', 'recognition_04'];

export interface FaceRectangle {
  top: number;
  left: number;
  width: number;
  height: number;
}

export type FaceAttributeName =
  'headPose' | 'blur' | 'exposure' | 'noise' | 'qualityForRecognition' | 'glasses' | 'occlusion' | 'accessories' | 'mask';

/** Azure's wire values for the attributes only an upstream provider (Azure) computes. */
export type GlassesType = 'noGlasses' | 'readingGlasses' | 'sunglasses' | 'swimmingGoggles';
export interface Occlusion {
  foreheadOccluded: boolean;
  eyeOccluded: boolean;
  mouthOccluded: boolean;
}
export interface Accessory {
  type: 'headwear' | 'glasses' | 'mask';
  confidence: number;
}
export interface Mask {
  type: 'faceMask' | 'noMask' | 'otherMaskOrOcclusion' | 'uncertain';
  noseAndMouthCovered: boolean;
}

export interface FaceAttributes {
  headPose?: HeadPose;
  blur?: QualityMeasures['blur'];
  exposure?: QualityMeasures['exposure'];
  noise?: QualityMeasures['noise'];
  qualityForRecognition?: Level;
  glasses?: GlassesType;
  occlusion?: Occlusion;
  accessories?: Accessory[];
  mask?: Mask;
}

export interface DetectedFace {
  /**
   * The upstream service's own faceId (Azure provider), when it issued one. The faceId registry
   * registers the face under this id, and recognition calls send it upstream.
   */
  upstreamFaceId?: string;
  faceRectangle: FaceRectangle;
  /** Detector confidence, 0–1. */
  detectionScore: number;
  landmarks?: AzureLandmarks;
  attributes: FaceAttributes;
  /** L2 embedding used by verify / find-similar / group; never sent to clients. */
  embedding?: Float32Array;
  /**
   * The 68 iBUG landmarks in image pixels (not clamped), when landmarks were computed. Internal:
   * liveness geometry needs all 68 points; clients see the 27 Azure ones.
   */
  landmarks68?: ReadonlyArray<{ x: number; y: number }>;
  /** Head pose, whenever landmarks were computed (attributes.headPose only when selected). */
  pose?: HeadPose;
  /** Quality measures, whenever they were computed. */
  quality?: QualityMeasures;
}

/** faceIdTimeToLive in seconds, as in Azure: 60 s to 24 h, default 24 h. */
export const FACE_ID_TTL = Object.freeze({ min: 60, max: 86_400, default: 86_400 });

export interface DetectRequestOptions {
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  returnFaceId: boolean;
  /** Seconds the provider keeps the faceId (60–86400); only an upstream provider stores it. */
  faceIdTimeToLive: number;
  returnLandmarks: boolean;
  attributes: readonly FaceAttributeName[];
  /** Faces whose rectangle is smaller than this (pixels, shorter side) are not returned; default DETECTION_DEFAULTS. */
  minFaceSize?: number;
  /** Faces the detector scores below this (0–1) are not returned; default DETECTION_DEFAULTS. */
  minDetectionConfidence?: number;
}

/**
 * Detection limits and defaults. Azure returns at most 100 faces, largest first, and documents
 * 36 px as its smallest face; the REST surface keeps those defaults.
 */
export const DETECTION_LIMITS = Object.freeze({ maxFaces: 100, minFaceSize: { min: 8, max: 4096 } });
export const DETECTION_DEFAULTS = Object.freeze({ minFaceSize: 36, minDetectionConfidence: 0.75 });

/** What a provider actually runs for each Azure model name, and which attributes it computes. */
export interface ProviderCapabilities {
  provider: string;
  detectionModels: readonly DetectionModel[];
  recognitionModels: readonly RecognitionModel[];
  attributes: readonly FaceAttributeName[];
  landmarks: boolean;
  /** Human-readable names of the models that really run. */
  engineModels: { detector: string; landmarks: string; recognition: string };
}

/** A detected face kept in the faceId registry for its time to live. */
export interface RegisteredFace {
  faceId: string;
  face: DetectedFace;
  recognitionModel: RecognitionModel;
  detectionModel: DetectionModel;
  createdAt: Date;
  expiresAt: Date;
}
