/**
 * Detection rules, once for both edges: the faceId time-to-live range, which attributes the
 * active provider computes, and what each Azure model can return. GraphQL (detectFaces) and REST
 * (POST /detect) parse their own wire forms, then call checkDetectRequest; the two differ only
 * in defaults (GraphQL: DETECTION_03/RECOGNITION_04; REST: Azure's detection_01/recognition_01).
 */
import { FaceError } from '../../domain/errors.js';
import {
  DETECTION_LIMITS,
  FACE_ID_TTL,
  type DetectionModel,
  type FaceAttributeName,
  type ProviderCapabilities,
  type RecognitionModel,
} from '../../domain/types.js';

/**
 * Models and TTL of faces detected inline (recognition's image refs, liveness verify images):
 * GraphQL detectFaces' defaults, so a document that also detects the image shares the detection.
 */
export const INLINE_MODELS = Object.freeze({
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  faceIdTimeToLive: FACE_ID_TTL.max,
} as const);

export interface DetectRequest {
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  faceIdTimeToLive: number;
  returnLandmarks: boolean;
  attributes: Iterable<FaceAttributeName>;
  minFaceSize?: number | null;
  minDetectionConfidence?: number | null;
}

/** Argument names the checks report (GraphQL input paths; the REST edge maps them onto Azure's). */
export const DETECT_ARGUMENTS = Object.freeze({
  faceIdTimeToLive: 'options.faceIdTimeToLive',
  detectionModel: 'options.detectionModel',
  recognitionModel: 'options.recognitionModel',
  minFaceSize: 'options.minFaceSize',
  minDetectionConfidence: 'options.minDetectionConfidence',
  attributes: 'attributes',
});

/** The attributes a recognition model can rate: qualityForRecognition needs recognition_03 or _04 (as in Azure). */
const ratesQuality = (model: RecognitionModel): boolean => model === 'recognition_03' || model === 'recognition_04';

/** UNSUPPORTED_ATTRIBUTE unless the active provider computes `attribute`. */
export function assertAttributeSupported(
  capabilities: Pick<ProviderCapabilities, 'provider' | 'attributes'>,
  attribute: string,
): asserts attribute is FaceAttributeName {
  if (!capabilities.attributes.includes(attribute as FaceAttributeName)) {
    throw new FaceError(
      'UNSUPPORTED_ATTRIBUTE',
      `The ${capabilities.provider} provider does not compute the '${attribute}' attribute. Supported: ${capabilities.attributes.join(', ')}.`,
      { attribute, argument: DETECT_ARGUMENTS.attributes },
    );
  }
}

/** Every rule of a detection request; throws INVALID_ARGUMENT or UNSUPPORTED_ATTRIBUTE naming the argument. */
export function checkDetectRequest(request: DetectRequest, capabilities: Pick<ProviderCapabilities, 'provider' | 'attributes'>): void {
  const ttl = request.faceIdTimeToLive;
  if (!Number.isInteger(ttl) || ttl < FACE_ID_TTL.min || ttl > FACE_ID_TTL.max) {
    throw new FaceError(
      'INVALID_ARGUMENT',
      `faceIdTimeToLive must be an integer of ${FACE_ID_TTL.min}–${FACE_ID_TTL.max} seconds, got ${ttl}.`,
      {
        argument: DETECT_ARGUMENTS.faceIdTimeToLive,
      },
    );
  }
  const { minFaceSize, minDetectionConfidence } = request;
  const sizes = DETECTION_LIMITS.minFaceSize;
  if (minFaceSize != null && (!Number.isInteger(minFaceSize) || minFaceSize < sizes.min || minFaceSize > sizes.max)) {
    throw new FaceError('INVALID_ARGUMENT', `minFaceSize must be an integer of ${sizes.min}–${sizes.max} pixels, got ${minFaceSize}.`, {
      argument: DETECT_ARGUMENTS.minFaceSize,
    });
  }
  if (minDetectionConfidence != null && !(minDetectionConfidence >= 0 && minDetectionConfidence <= 1)) {
    throw new FaceError('INVALID_ARGUMENT', `minDetectionConfidence must be within 0–1, got ${minDetectionConfidence}.`, {
      argument: DETECT_ARGUMENTS.minDetectionConfidence,
    });
  }
  const attributes = [...request.attributes];
  for (const attribute of attributes) assertAttributeSupported(capabilities, attribute);
  // Azure's detection_02 returns neither landmarks nor attributes, and says so.
  if (request.detectionModel === 'detection_02' && request.returnLandmarks) {
    throw new FaceError('INVALID_ARGUMENT', 'detection_02 returns no landmarks (as in Azure); use detection_01 or detection_03.', {
      argument: DETECT_ARGUMENTS.detectionModel,
      rule: 'detection_02-landmarks',
    });
  }
  if (request.detectionModel === 'detection_02' && attributes.length > 0) {
    throw new FaceError('INVALID_ARGUMENT', 'detection_02 returns no attributes (as in Azure); use detection_01 or detection_03.', {
      argument: DETECT_ARGUMENTS.detectionModel,
      rule: 'detection_02-attributes',
    });
  }
  if (attributes.includes('qualityForRecognition') && !ratesQuality(request.recognitionModel)) {
    throw new FaceError(
      'INVALID_ARGUMENT',
      `qualityForRecognition needs recognition_03 or recognition_04 (as in Azure), not ${request.recognitionModel}.`,
      {
        argument: DETECT_ARGUMENTS.recognitionModel,
        rule: 'quality-model',
      },
    );
  }
}

/**
 * What a detection with these models may compute of a wider request (GraphQL computes the
 * union of a document's selections once per image): the same rules as checkDetectRequest,
 * applied as a filter instead of an error.
 */
export function computable(
  request: Pick<DetectRequest, 'detectionModel' | 'recognitionModel'> & { landmarks: boolean; attributes: Iterable<FaceAttributeName> },
  capabilities: Pick<ProviderCapabilities, 'attributes'>,
): { landmarks: boolean; attributes: FaceAttributeName[] } {
  if (request.detectionModel === 'detection_02') return { landmarks: false, attributes: [] };
  const attributes = [...request.attributes].filter(
    (a) => capabilities.attributes.includes(a) && (a !== 'qualityForRecognition' || ratesQuality(request.recognitionModel)),
  );
  return { landmarks: request.landmarks, attributes };
}
