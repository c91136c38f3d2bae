/**
 * Per-request DataLoaders. Anything that costs (download, decode, inference) is keyed by
 * content so one GraphQL document never does the same work twice: ten aliases of one image
 * are one download and one detection, and the detections a document needs are handed to the
 * worker pool in one batch.
 */
import DataLoader from 'dataloader';
import { contentHash, type ImageInputArg } from '../../app/images.js';
import type {
  DetectedFace,
  DetectionModel,
  DetectRequestOptions,
  FaceAttributeName,
  RecognitionModel,
  RegisteredFace,
} from '../../domain/types.js';
import type { AppServices } from '../../app/services.js';
import { withSpan } from '../../platform/tracing.js';
import type { FaceModel } from './models.js';

export interface DetectionKey {
  hash: string;
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  /** Seconds an upstream provider keeps the faceId (the embedded engine stores nothing itself). */
  faceIdTimeToLive: number;
  /** Compute embeddings (a faceId was asked for). */
  withEmbedding: boolean;
  landmarks: boolean;
  attributes: readonly FaceAttributeName[];
  minFaceSize?: number;
  minDetectionConfidence?: number;
}

export interface Loaders {
  /** Image input -> bytes (a URL is downloaded once per request). */
  imageBytes: DataLoader<ImageInputArg, Buffer, string>;
  /** Content hash -> detected faces. */
  detections: DataLoader<DetectionKey, DetectedFace[], string>;
  /** Bytes by content hash, filled by callers of `detections`. */
  bytesByHash: Map<string, Buffer>;
  /** Registered faces by (image, models, TTL), so identical aliases share faceIds. */
  registered: Map<string, Promise<FaceModel[]>>;
  /**
   * faceId -> registry entry: every `face(faceId)`, entity reference and result face of one
   * document is one registry read (Redis: one MGET), whatever the number of aliases.
   */
  faces: DataLoader<string, RegisteredFace | undefined>;
}

/**
 * A file part is keyed by identity: every use of one `$file` variable is the same object, and
 * hashing megabytes just to build a key would cost more than it saves.
 */
const fileIds = new WeakMap<object, number>();
let nextFileId = 0;
function fileKey(file: object): string {
  let id = fileIds.get(file);
  if (id === undefined) fileIds.set(file, (id = nextFileId++));
  return `file:${id}`;
}

const imageKey = (input: ImageInputArg): string =>
  input.file
    ? `${fileKey(input.file)}|${input.url ?? ''}|${input.base64 ? 'b64' : ''}`
    : typeof input.url === 'string' && input.url
      ? `url:${input.url}|${input.base64 ? 'both' : ''}`
      : `b64:${input.base64 ?? ''}|${input.url ?? ''}`;

export function createLoaders(services: AppServices, budgetSubject?: string): Loaders {
  const bytesByHash = new Map<string, Buffer>();
  const { images, provider } = services;
  return {
    bytesByHash,
    registered: new Map(),
    faces: new DataLoader(
      async (faceIds) => withSpan('loader.faces', { 'facegraph.batch.size': faceIds.length }, () => services.registry.getMany(faceIds)),
      // Within one document a face read once is the same face (expiry mid-request does not matter).
      { maxBatchSize: 1000 },
    ),
    imageBytes: new DataLoader(
      async (inputs) =>
        withSpan('loader.imageBytes', { 'facegraph.batch.size': inputs.length }, () =>
          Promise.all(
            inputs.map((input) =>
              images
                .load(input)
                // Each distinct image of the document is charged once to the caller's pixel budget.
                .then(async (bytes) => {
                  await services.pixelBudget.charge(budgetSubject, bytes);
                  return bytes;
                })
                .catch((err: Error) => err),
            ),
          ),
        ),
      { cacheKeyFn: imageKey },
    ),
    detections: new DataLoader(
      async (keys) =>
        // All detections this document needs go to the worker pool at once.
        withSpan('loader.detections', { 'facegraph.batch.size': keys.length }, () =>
          Promise.all(
            keys.map((key) => {
              const bytes = bytesByHash.get(key.hash);
              if (!bytes) return Promise.resolve(new Error('internal: image bytes missing for detection'));
              const options: DetectRequestOptions = {
                detectionModel: key.detectionModel,
                recognitionModel: key.recognitionModel,
                returnFaceId: key.withEmbedding,
                faceIdTimeToLive: key.faceIdTimeToLive,
                returnLandmarks: key.landmarks,
                attributes: key.attributes,
                minFaceSize: key.minFaceSize,
                minDetectionConfidence: key.minDetectionConfidence,
              };
              return provider.detect(bytes, options).catch((err: Error) => err);
            }),
          ),
        ),
      // Landmarks and attributes are not in the key: they are the union over the document, so
      // every alias of one image shares one detection. The models and TTL are: an upstream
      // provider binds them to the faceIds it issues.
      {
        cacheKeyFn: (key) =>
          `${key.hash}|${key.withEmbedding ? 1 : 0}|${key.detectionModel}|${key.recognitionModel}|${key.faceIdTimeToLive}|${key.minFaceSize ?? ''}|${key.minDetectionConfidence ?? ''}`,
      },
    ),
  };
}

export { contentHash };
