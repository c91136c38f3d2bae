/**
 * The embedded face provider: decode in the main thread (sharp, on libuv's pool), run the
 * neural pipeline in worker threads, shape results into wire-neutral faces.
 */
import sharp from 'sharp';
import { FaceError } from '../../domain/errors.js';
import { groupEmbeddings } from '../../domain/grouping.js';
import type { DetectedFrame, FaceGrouping, FaceProvider, RecognitionFace, SimilarFace } from '../../ports/face-provider.js';
import { findSimilar, verify, type FindSimilarMode, type Verification } from '../../domain/similarity.js';
import {
  DETECTION_DEFAULTS,
  DETECTION_LIMITS,
  DETECTION_MODELS,
  RECOGNITION_MODELS,
  type DetectedFace,
  type DetectRequestOptions,
  type FaceAttributeName,
  type FaceAttributes,
  type ProviderCapabilities,
} from '../../domain/types.js';
import type { Metrics } from '../../platform/metrics.js';
import { withSpan } from '../../platform/tracing.js';
import { decodeImage, type DecodedImage } from './decode.js';
import { estimateHeadPose } from './headpose.js';
import { toAzureLandmarks, unpackPoints } from './landmarks.js';
import { EnginePool } from './pool.js';
import type { WorkerFace } from './protocol.js';
import { qualityForRecognition } from './quality.js';
import { wholePassSize } from './yunet.js';

export interface EmbeddedProviderOptions {
  workers: number;
  maxQueue: number;
  /**
   * See PoolOptions. maxQueueWaitMs defaults to 0 (no latency bound: a batch caller of this class
   * queues its images); the server passes FACEGRAPH_MAX_QUEUE_WAIT_MS (750 ms). jobTimeoutMs: 30 s.
   */
  maxQueueWaitMs?: number;
  jobTimeoutMs?: number;
  maxPixels: number;
  metrics?: Metrics;
}

/** Attributes this engine really computes; the rest are refused with UNSUPPORTED_ATTRIBUTE. */
export const EMBEDDED_ATTRIBUTES: readonly FaceAttributeName[] = ['headPose', 'blur', 'exposure', 'noise', 'qualityForRecognition'];
const QUALITY_ATTRIBUTES: ReadonlySet<FaceAttributeName> = new Set(['blur', 'exposure', 'noise', 'qualityForRecognition']);

export class EmbeddedProvider implements FaceProvider {
  private readonly pool: EnginePool;

  constructor(private readonly options: EmbeddedProviderOptions) {
    this.pool = new EnginePool({
      workers: options.workers,
      maxQueue: options.maxQueue,
      maxQueueWaitMs: options.maxQueueWaitMs ?? 0,
      jobTimeoutMs: options.jobTimeoutMs ?? 30_000,
      metrics: options.metrics,
    });
  }

  /** Test seam: the engine's worker pool (tests kill or stall its workers through `engine.testSeam`). */
  get engine(): EnginePool {
    return this.pool;
  }

  async start(): Promise<void> {
    await this.pool.start();
  }

  get capabilities(): ProviderCapabilities {
    const models = this.pool.models;
    return {
      provider: 'embedded',
      detectionModels: DETECTION_MODELS,
      recognitionModels: RECOGNITION_MODELS,
      attributes: EMBEDDED_ATTRIBUTES,
      landmarks: true,
      engineModels: {
        detector: models?.detector ?? 'loading',
        landmarks: models?.landmarks ?? 'loading',
        recognition: models?.recognition ?? 'loading',
      },
    };
  }

  get queued(): number {
    return this.pool.queued;
  }

  isReady(): boolean {
    return this.pool.ready;
  }

  async detect(image: Buffer, options: DetectRequestOptions): Promise<DetectedFace[]> {
    return (await this.detectOne(image, options, false, false)).faces;
  }

  /**
   * Each frame also carries the light challenge's measure, taken in the worker from the pixels it
   * already has. At most two frames per worker are decoded or running at a time: an attempt of
   * up to 120 full-HD frames (FRAME_LIMITS) would otherwise hold every decoded frame at once
   * (~6 MB each, ~750 MB), where this holds ~2 × workers of them.
   */
  async detectMany(images: readonly Buffer[], options: DetectRequestOptions): Promise<Array<PromiseSettledResult<DetectedFrame>>> {
    this.admit();
    const results: Array<PromiseSettledResult<DetectedFrame>> = new Array<PromiseSettledResult<DetectedFrame>>(images.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      for (let i = next++; i < images.length; i = next++) {
        try {
          results[i] = { status: 'fulfilled', value: await this.detectOne(images[i]!, options, true, true) };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(images.length, 2 * Math.max(1, this.options.workers)) }, lane));
    return results;
  }

  /**
   * `admitted`: part of a request admitted as a whole (detectMany); the engine's limits are not
   * checked again. `light`: measure the light challenge's colours too.
   */
  private detectOne(image: Buffer, options: DetectRequestOptions, admitted: boolean, light: boolean): Promise<DetectedFrame> {
    return withSpan('engine.detect', { 'facegraph.image.bytes': image.length }, async (span) => {
      // Refuse before decoding when even the cheapest image would be refused: an overloaded engine
      // should not also spend the CPU on decoding what it will not run.
      if (!admitted) this.admit();
      const decoded = await decodeImage(image, { maxPixels: this.options.maxPixels });
      span.setAttributes({ 'facegraph.image.width': decoded.width, 'facegraph.image.height': decoded.height });
      const frame = await this.detectDecodedFrame(decoded, options, admitted, light);
      span.setAttribute('facegraph.faces', frame.faces.length);
      return frame;
    });
  }

  /** Throws OVERLOADED when the engine would refuse a request now. */
  private admit(): void {
    const refusal = this.pool.admissionError();
    if (refusal) {
      this.options.metrics?.overloaded.inc({ source: 'engine' });
      throw refusal;
    }
  }

  /** `decoded.data` is transferred to an engine worker (detached here): do not read it afterwards. */
  async detectDecoded(decoded: DecodedImage, options: DetectRequestOptions, admitted = false): Promise<DetectedFace[]> {
    return (await this.detectDecodedFrame(decoded, options, admitted, false)).faces;
  }

  private async detectDecodedFrame(
    decoded: DecodedImage,
    options: DetectRequestOptions,
    admitted: boolean,
    light: boolean,
  ): Promise<DetectedFrame> {
    const wantQuality = options.attributes.some((a) => QUALITY_ATTRIBUTES.has(a));
    const wantPose = options.attributes.includes('headPose') || options.attributes.includes('qualityForRecognition');
    const minFaceSize = options.minFaceSize ?? DETECTION_DEFAULTS.minFaceSize;
    const whole = await wholeImageInput(decoded, minFaceSize);
    const result = await this.pool.detect(
      {
        width: decoded.width,
        height: decoded.height,
        rgb: decoded.data,
        detectorInput: whole.input,
        detectorWidth: whole.width,
        detectorHeight: whole.height,
        options: {
          landmarks: options.returnLandmarks || wantPose,
          embedding: options.returnFaceId,
          quality: wantQuality,
          minFaceSize,
          minScore: options.minDetectionConfidence ?? DETECTION_DEFAULTS.minDetectionConfidence,
          maxFaces: DETECTION_LIMITS.maxFaces,
          light,
        },
      },
      admitted,
    );
    return { faces: result.faces.map((f) => toDetectedFace(f, options, decoded)), light: result.light };
  }

  // Recognition is pure maths on the embeddings computed at detection time (src/face), so it
  // runs in the main thread: 1,000 comparisons take well under a millisecond each.
  async verify(face1: RecognitionFace, face2: RecognitionFace): Promise<Verification> {
    return verify(embeddingOf(face1), embeddingOf(face2));
  }

  async findSimilar(
    query: RecognitionFace,
    candidates: readonly RecognitionFace[],
    mode: FindSimilarMode,
    max: number,
  ): Promise<SimilarFace[]> {
    const ranked = findSimilar(
      embeddingOf(query),
      candidates.map((c) => ({ item: c, embedding: embeddingOf(c) })),
      mode,
      max,
    );
    return ranked.map((m) => ({ face: m.item, confidence: m.confidence }));
  }

  async group(faces: readonly RecognitionFace[]): Promise<FaceGrouping> {
    const { groups, messyGroup } = groupEmbeddings(faces.map(embeddingOf));
    return { groups: groups.map((g) => g.map((i) => faces[i]!)), messyGroup: messyGroup.map((i) => faces[i]!) };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function embeddingOf(f: RecognitionFace): Float32Array {
  if (!f.face.embedding) {
    // Faces are registered with their embedding; one without it was detected with returnFaceId false.
    throw new FaceError('FACE_NOT_FOUND', `Face ${f.faceId ?? '(inline)'} has no recognition embedding.`, { faceId: f.faceId });
  }
  return f.face.embedding;
}

/**
 * The image resized for the detector's whole-image pass (yunet.ts: wholePassSize; aspect kept,
 * the worker pads it). sharp does this here, on libuv's pool: faster than JavaScript in the
 * worker, and properly filtered when it shrinks a large photo 3x or more.
 */
export async function wholeImageInput(
  img: DecodedImage,
  minFaceSize: number,
): Promise<{ input: Uint8Array; width: number; height: number }> {
  const { targetW, targetH } = wholePassSize(img.width, img.height, minFaceSize);
  const input =
    targetW === img.width && targetH === img.height
      ? img.data.slice()
      : await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
          .resize(targetW, targetH, { fit: 'fill', kernel: 'linear' })
          .raw()
          .toBuffer();
  // Copy into an ArrayBuffer of its own so it can be transferred to the worker.
  return { input: new Uint8Array(input), width: targetW, height: targetH };
}

function toDetectedFace(f: WorkerFace, options: DetectRequestOptions, image: DecodedImage): DetectedFace {
  const points = f.landmarks68 ? unpackPoints(f.landmarks68) : undefined;
  const attributes: FaceAttributes = {};
  const pose = points ? estimateHeadPose(points) : undefined;
  const want = new Set(options.attributes);
  if (want.has('headPose') && pose) attributes.headPose = pose;
  if (f.quality) {
    if (want.has('blur')) attributes.blur = f.quality.blur;
    if (want.has('exposure')) attributes.exposure = f.quality.exposure;
    if (want.has('noise')) attributes.noise = f.quality.noise;
    if (want.has('qualityForRecognition') && pose) {
      attributes.qualityForRecognition = qualityForRecognition({
        quality: f.quality,
        faceSize: f.rect.height,
        yaw: pose.yaw,
        pitch: pose.pitch,
      });
    }
  }
  return {
    faceRectangle: { top: f.rect.y, left: f.rect.x, width: f.rect.width, height: f.rect.height },
    detectionScore: f.score,
    landmarks: options.returnLandmarks && points ? toAzureLandmarks(points, image.width, image.height) : undefined,
    attributes,
    embedding: f.embedding,
    landmarks68: points,
    pose,
    quality: f.quality,
  };
}
