/**
 * The Azure provider: facegraph's FaceProvider port served by Azure AI Face v1.2, or any
 * endpoint speaking its REST contract (`${endpoint}/face/${apiVersion}`).
 *
 * Azure keeps the faces: detect returns Azure's faceId as `upstreamFaceId` (the registry
 * registers the face under it) and verify / findSimilar / group send those ids back. No
 * embedding ever reaches facegraph.
 */
import type { AzureConfig } from '../../platform/config.js';
import { FaceError } from '../../domain/errors.js';
import type { DetectedFrame, FaceGrouping, FaceProvider, RecognitionFace, SimilarFace } from '../../ports/face-provider.js';
import type { FindSimilarMode, Verification } from '../../domain/similarity.js';
import {
  DETECTION_DEFAULTS,
  DETECTION_MODELS,
  RECOGNITION_MODELS,
  type DetectedFace,
  type DetectRequestOptions,
  type FaceAttributeName,
  type ProviderCapabilities,
} from '../../domain/types.js';
import type { Logger } from '../../platform/logger.js';
import type { WireGroupRequest } from '../../contracts/azure-face-v1.2.js';
import { type AzureHttpOptions, AzureHttpClient } from './http.js';
import { AzureCollectionsClient } from './collections.js';
import { AzureLivenessClient } from './liveness.js';
import {
  detectQuery,
  detectResponseGuard,
  findSimilarBody,
  findSimilarResponseGuard,
  groupResponseGuard,
  toDetectedFaces,
  toGrouping,
  toSimilarFaces,
  toVerification,
  verifyBody,
  verifyResponseGuard,
} from './wire.js';
import { badResponse } from './errors.js';
import { WireShapeError } from './guard.js';

/**
 * What Azure computes. Which of them a detection model accepts is Azure's rule (detection_02:
 * none; accessories: detection_01 only): asking otherwise is Azure's 400 BadArgument, which
 * reaches the caller as INVALID_ARGUMENT.
 */
export const AZURE_ATTRIBUTES: readonly FaceAttributeName[] = [
  'headPose',
  'blur',
  'exposure',
  'noise',
  'qualityForRecognition',
  'glasses',
  'occlusion',
  'accessories',
  'mask',
];

export type AzureProviderOptions = AzureHttpOptions;

export class AzureProvider implements FaceProvider {
  /** Liveness sessions on the same connection pool and credentials. */
  readonly liveness: AzureLivenessClient;
  /** The resource's collections (FaceList, PersonGroup, ...), on the same pool and credentials. */
  readonly collections: AzureCollectionsClient;
  private readonly http: AzureHttpClient;
  private readonly log: Logger;
  private started = false;

  constructor(
    private readonly config: AzureConfig,
    logger: Logger,
    options: AzureProviderOptions = {},
  ) {
    this.log = logger.child({ component: 'azure' });
    this.http = new AzureHttpClient(config, this.log, options);
    this.liveness = new AzureLivenessClient(this.http);
    this.collections = new AzureCollectionsClient(this.http);
  }

  /**
   * Nothing to load. With token auth the token is fetched once now, so a broken
   * AZURE_FACE_TOKEN_COMMAND shows in the log at start; it does not stop the start (the
   * command is run again on the first call).
   */
  async start(): Promise<void> {
    if (this.config.tokenCommand) {
      await this.http.warmUp().catch((err: unknown) => {
        this.log.warn(
          { code: err instanceof FaceError ? err.code : 'UNKNOWN' },
          'could not fetch an Entra token at start; will retry on the first call',
        );
      });
    }
    this.started = true;
    this.log.info(
      {
        origin: this.http.origin,
        apiVersion: this.config.apiVersion,
        auth: this.config.key ? 'key' : 'token-command',
        deadlineMs: this.http.deadlineMs,
      },
      'Azure AI Face provider ready',
    );
  }

  get capabilities(): ProviderCapabilities {
    const service = `Azure AI Face ${this.config.apiVersion}`;
    return {
      provider: 'azure',
      detectionModels: DETECTION_MODELS,
      recognitionModels: RECOGNITION_MODELS,
      attributes: AZURE_ATTRIBUTES,
      landmarks: true,
      // Azure runs the model named in each request; facegraph cannot see more than that.
      engineModels: {
        detector: `${service} (detectionModel as requested)`,
        landmarks: `${service} (27 landmarks of the requested detectionModel)`,
        recognition: `${service} (recognitionModel as requested)`,
      },
    };
  }

  /** HTTP requests sent per operation, retries included (tests, metrics). */
  get requestsSent(): ReadonlyMap<string, number> {
    return this.http.sent;
  }

  isReady(): boolean {
    return this.started && !this.http.isClosed();
  }

  /**
   * Azure has no queue of ours to admit against: each image is its own upstream call. Azure
   * returns no pixels, so the light challenge cannot be measured (light: null -> the light check
   * is UNJUDGEABLE; on this provider liveness sessions are Azure's own anyway).
   */
  detectMany(images: readonly Buffer[], options: DetectRequestOptions): Promise<Array<PromiseSettledResult<DetectedFrame>>> {
    return Promise.allSettled(images.map(async (image) => ({ faces: await this.detect(image, options), light: null })));
  }

  async detect(image: Buffer, options: DetectRequestOptions): Promise<DetectedFace[]> {
    const wire = await this.http.json(
      {
        operation: 'detect',
        method: 'POST',
        route: '/detect',
        query: detectQuery(options),
        body: { contentType: 'application/octet-stream', data: image },
        idempotent: true,
      },
      detectResponseGuard,
    );
    // Azure applies its own 36 px floor and reports no detector score, so minDetectionConfidence
    // cannot filter here; a larger minFaceSize can.
    const minFaceSize = options.minFaceSize ?? DETECTION_DEFAULTS.minFaceSize;
    const faces = mapped(() => toDetectedFaces(wire, options));
    return faces.filter((f) => Math.min(f.faceRectangle.width, f.faceRectangle.height) >= minFaceSize);
  }

  async verify(face1: RecognitionFace, face2: RecognitionFace): Promise<Verification> {
    const wire = await this.http.json(
      {
        operation: 'verify',
        method: 'POST',
        route: '/verify',
        body: json(verifyBody(upstreamId(face1), upstreamId(face2))),
        idempotent: true,
      },
      verifyResponseGuard,
    );
    return toVerification(wire);
  }

  async findSimilar(
    query: RecognitionFace,
    candidates: readonly RecognitionFace[],
    mode: FindSimilarMode,
    max: number,
  ): Promise<SimilarFace[]> {
    if (candidates.length === 0) return [];
    const wire = await this.http.json(
      {
        operation: 'findSimilar',
        method: 'POST',
        route: '/findsimilars',
        body: json(findSimilarBody(upstreamId(query), candidates.map(upstreamId), mode, max)),
        idempotent: true,
      },
      findSimilarResponseGuard,
    );
    return mapped(() => toSimilarFaces(wire, candidates, max));
  }

  async group(faces: readonly RecognitionFace[]): Promise<FaceGrouping> {
    // Azure needs 2–1000 faces; fewer have an obvious answer.
    if (faces.length < 2) return { groups: [], messyGroup: [...faces] };
    const wire = await this.http.json(
      {
        operation: 'group',
        method: 'POST',
        route: '/group',
        body: json({ faceIds: faces.map(upstreamId) } satisfies WireGroupRequest),
        idempotent: true,
      },
      groupResponseGuard,
    );
    return mapped(() => toGrouping(wire, faces));
  }

  close(): Promise<void> {
    return this.http.close();
  }
}

const json = (value: unknown): { contentType: string; data: string } => ({ contentType: 'application/json', data: JSON.stringify(value) });

/** Azure's faceId of a face; a face without one (detected with returnFaceId false) cannot be compared upstream. */
function upstreamId(f: RecognitionFace): string {
  const id = f.face.upstreamFaceId;
  if (!id) {
    throw new FaceError('FACE_NOT_FOUND', `Face ${f.faceId ?? '(inline)'} has no Azure faceId: it was detected without returnFaceId.`, {
      faceId: f.faceId,
    });
  }
  return id;
}

/** Runs a wire -> facegraph mapping whose own consistency checks (ids sent back) may fail. */
function mapped<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireShapeError) throw badResponse(200, err.message);
    throw err;
  }
}
