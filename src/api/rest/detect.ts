/**
 * POST /detect: the three overloads of one route (reference §1a), dispatched on Content-Type
 * and body fields as Azure does: `application/octet-stream` image bytes, JSON `{url}` (fetched
 * with the SSRF-safe loader) or JSON `{sessionImageId}` (a stored liveness session image).
 * Azure's query parameters, defaults and model rules; faces with a faceId are registered like
 * GraphQL's detectFaces does (bound to their models, for faceIdTimeToLive).
 */
import type { Request, Response } from 'express';
import { FaceError } from '../../domain/errors.js';
import { checkDetectRequest, DETECT_ARGUMENTS } from '../../app/faces/detection.js';
import {
  DETECTION_MODELS,
  FACE_ID_TTL,
  RECOGNITION_MODELS,
  type DetectionModel,
  type DetectRequestOptions,
  type FaceAttributeName,
  type ProviderCapabilities,
  type RecognitionModel,
} from '../../domain/types.js';
import type { AppServices } from '../../app/services.js';
import { discardBody, mediaType, readImageBody, readJson } from './body.js';
import { bool, list, model, single, type Query } from './query.js';
import { badArgument, fromFaceError, invalidArgument, invalidMediaType, mapping } from './errors.js';
import type { WireFaceDetectionResult } from '../../contracts/azure-face-v1.2.js';
import { detectionResult } from './wire.js';
import { SESSION_IMAGE_ID } from '../shared/request-body.js';

const TTL = FACE_ID_TTL;

/**
 * Every attribute name of Azure's v1.2 enum, by lower-cased name (Azure matches them without
 * regard to case: its own errors spell them 'headpose,qualityforrecognition'). The limited ones
 * (age, smile, facialHair, hair) are valid names that no facegraph provider computes.
 */
const AZURE_ATTRIBUTES: ReadonlyMap<string, string> = new Map(
  [
    'age',
    'smile',
    'facialHair',
    'glasses',
    'headPose',
    'hair',
    'occlusion',
    'accessories',
    'blur',
    'exposure',
    'noise',
    'mask',
    'qualityForRecognition',
  ].map((name) => [name.toLowerCase(), name]),
);

export interface DetectParameters {
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  returnFaceId: boolean;
  returnFaceLandmarks: boolean;
  returnRecognitionModel: boolean;
  faceIdTimeToLive: number;
  attributes: FaceAttributeName[];
}

/** CSV (Azure's style: form, explode=false) or, leniently, the parameter repeated. */
function attributeList(query: Query): FaceAttributeName[] {
  const parts = list(query, 'returnFaceAttributes') ?? [];
  const out: FaceAttributeName[] = [];
  for (const part of parts.filter((p) => p !== '')) {
    const name = AZURE_ATTRIBUTES.get(part.toLowerCase());
    if (!name) {
      throw invalidArgument(
        'Invalid argument returnFaceAttributes.',
        `${JSON.stringify(part.slice(0, 32))} is not a face attribute. Azure's are ${[...AZURE_ATTRIBUTES.values()].join(', ')}.`,
      );
    }
    if (!out.includes(name as FaceAttributeName)) out.push(name as FaceAttributeName);
  }
  return out;
}

/** The detect query parameters with Azure's defaults, names, ranges and model rules (reference §2). */
export function parseDetectParameters(query: Query, capabilities: Pick<ProviderCapabilities, 'provider' | 'attributes'>): DetectParameters {
  const detectionModel = model(query, 'detectionModel', DETECTION_MODELS, 'detection_01');
  const recognitionModel = model(query, 'recognitionModel', RECOGNITION_MODELS, 'recognition_01');
  const returnFaceId = bool(query, 'returnFaceId', true);
  const returnFaceLandmarks = bool(query, 'returnFaceLandmarks', false);
  const returnRecognitionModel = bool(query, 'returnRecognitionModel', false);
  const attributes = attributeList(query);

  const rawTtl = single(query, 'faceIdTimeToLive');
  const faceIdTimeToLive = rawTtl === undefined || rawTtl === '' ? TTL.default : /^\d{1,6}$/.test(rawTtl) ? Number(rawTtl) : Number.NaN;
  // Azure's own words for the rules' failures; the rules themselves are the use case's.
  try {
    checkDetectRequest(
      { detectionModel, recognitionModel, faceIdTimeToLive, returnLandmarks: returnFaceLandmarks, attributes },
      capabilities,
    );
  } catch (err) {
    if (!(err instanceof FaceError)) throw err;
    switch (err.code === 'INVALID_ARGUMENT' ? (err.details.rule ?? err.details.argument) : null) {
      case DETECT_ARGUMENTS.faceIdTimeToLive:
        throw invalidArgument(
          `'faceIdTimeToLive' is invalid. It must be between ${TTL.min} and ${TTL.max} seconds.`,
          `faceIdTimeToLive must be an integer of ${TTL.min}–${TTL.max} seconds, got ${JSON.stringify(String(rawTtl).slice(0, 32))}.`,
        );
      case 'detection_02-landmarks':
        throw invalidArgument("'returnLandmarks' is not supported by detection_02.");
      case 'detection_02-attributes':
        throw invalidArgument("'returnFaceAttributes' is not supported by detection_02.");
      case 'quality-model':
        throw invalidArgument(`'qualityForRecognition' is not supported by ${recognitionModel}; use recognition_03 or recognition_04.`);
      default:
        throw fromFaceError(err);
    }
  }
  return { detectionModel, recognitionModel, returnFaceId, returnFaceLandmarks, returnRecognitionModel, faceIdTimeToLive, attributes };
}

/** Charges the caller's pixel budget for an accepted image (RATE_LIMITED, 429, when it is spent). */
export async function charged(res: Response, services: AppServices, bytes: Buffer): Promise<Buffer> {
  const subject: unknown = res.locals.budgetSubject;
  await services.pixelBudget.charge(typeof subject === 'string' ? subject : undefined, bytes);
  return bytes;
}

/**
 * The image of a request: body bytes, a URL, or (detect only, `sessionImages`) a liveness
 * session image. Add-face reads its image the same way, without session images.
 */
export async function imageOf(req: Request, res: Response, services: AppServices, sessionImages = true): Promise<Buffer> {
  const type = mediaType(req);
  if (type === 'application/octet-stream') return charged(res, services, services.images.enforceSize(await readImageBody(req, res)));
  const json = sessionImages ? '{"url"} or {"sessionImageId"}' : '{"url"}';
  if (type !== 'application/json') {
    await discardBody(req, res);
    throw invalidMediaType(`application/octet-stream (image bytes) or application/json (${json})`);
  }
  const body = await readJson(req, res);
  const { url } = body;
  const sessionImageId = sessionImages ? body.sessionImageId : undefined;
  if ((url === undefined) === (sessionImageId === undefined)) {
    throw badArgument('Request body is invalid.', {
      code: 'INVALID_IMAGE_INPUT',
      message: sessionImages ? 'The JSON body needs exactly one of "url" or "sessionImageId".' : 'The JSON body needs "url".',
    });
  }
  if (url !== undefined) {
    if (typeof url !== 'string' || url === '') throw new FaceError('INVALID_URL', 'url must be a non-empty string.');
    // The policy GraphQL's loaders use: same size limit, timeout, redirects and private-host allow-list.
    return charged(res, services, await services.images.load({ url }));
  }
  const image =
    typeof sessionImageId === 'string' && SESSION_IMAGE_ID.test(sessionImageId)
      ? await services.livenessSessions.sessionImage(sessionImageId)
      : null;
  if (!image)
    throw new FaceError(
      'SESSION_IMAGE_NOT_FOUND',
      'No session image has this sessionImageId (its session may have been deleted or purged).',
    );
  return image.bytes;
}

export async function detect(req: Request, res: Response, services: AppServices): Promise<WireFaceDetectionResult[]> {
  // The query is checked first, so a bad parameter is refused before an image is downloaded.
  let params: DetectParameters;
  try {
    params = parseDetectParameters(req.query, services.provider.capabilities);
  } catch (err) {
    await discardBody(req, res);
    throw err;
  }
  return mapping({}, async () => {
    const bytes = await imageOf(req, res, services);
    const options: DetectRequestOptions = {
      detectionModel: params.detectionModel,
      recognitionModel: params.recognitionModel,
      returnFaceId: params.returnFaceId,
      faceIdTimeToLive: params.faceIdTimeToLive,
      returnLandmarks: params.returnFaceLandmarks,
      attributes: params.attributes,
    };
    const faces = await services.provider.detect(bytes, options);
    const requested = new Set(params.attributes);
    // All faces of the image in one registry write (Redis: one pipeline).
    const faceIds = params.returnFaceId
      ? (
          await services.registry.registerMany(
            faces,
            { detectionModel: params.detectionModel, recognitionModel: params.recognitionModel },
            params.faceIdTimeToLive,
          )
        ).map((entry) => entry.faceId)
      : null;
    return faces.map((face, i) =>
      detectionResult(face, {
        faceId: faceIds?.[i] ?? null,
        recognitionModel: params.returnRecognitionModel ? params.recognitionModel : null,
        landmarks: params.returnFaceLandmarks,
        attributes: requested,
      }),
    );
  });
}
