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
  /** The image's Loaders.contentKey. */
  image: string;
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
  /** Image (content key) and options -> detected faces. */
  detections: DataLoader<DetectionKey, DetectedFace[], string>;
  /**
   * A key for image bytes, equal for equal bytes within the request, which also hands the bytes
   * to `detections`: callers key their detections with it.
   */
  contentKey(bytes: Buffer): string;
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

/**
 * Loaders.contentKey without hashing what needs no hash. Most documents carry one image, and a
 * sha256 of it (0.16 ms per 273 KB, on the request's path) only told it apart from no other. So
 * bytes are known by identity first (every use of one input is the same Buffer), then by length;
 * only when a second image of the same length arrives are the two hashed, and from then on each
 * further one of that length: at most one hash per image, as before, and none for most requests.
 */
function contentKeys(): { keyOf: (bytes: Buffer) => string; bytesOf: (key: string) => Buffer | undefined } {
  const keyByBuffer = new Map<Buffer, string>();
  const bytesByKey = new Map<string, Buffer>();
  const byLength = new Map<number, { first: Buffer; firstKey: string; byHash: Map<string, string> | null }>();
  const fresh = (bytes: Buffer): string => {
    const key = `image:${bytesByKey.size}`;
    bytesByKey.set(key, bytes);
    return key;
  };
  return {
    keyOf: (bytes) => {
      let key = keyByBuffer.get(bytes);
      if (key !== undefined) return key;
      const bucket = byLength.get(bytes.length);
      if (!bucket) {
        key = fresh(bytes);
        byLength.set(bytes.length, { first: bytes, firstKey: key, byHash: null });
      } else {
        bucket.byHash ??= new Map([[contentHash(bucket.first), bucket.firstKey]]);
        const hash = contentHash(bytes);
        key = bucket.byHash.get(hash);
        if (key === undefined) bucket.byHash.set(hash, (key = fresh(bytes)));
      }
      keyByBuffer.set(bytes, key);
      return key;
    },
    bytesOf: (key) => bytesByKey.get(key),
  };
}

export function createLoaders(services: AppServices, budgetSubject?: string): Loaders {
  const contents = contentKeys();
  const { images, provider } = services;
  return {
    contentKey: contents.keyOf,
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
              const bytes = contents.bytesOf(key.image);
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
          `${key.image}|${key.withEmbedding ? 1 : 0}|${key.detectionModel}|${key.recognitionModel}|${key.faceIdTimeToLive}|${key.minFaceSize ?? ''}|${key.minDetectionConfidence ?? ''}`,
      },
    ),
  };
}

export { contentHash };
