/**
 * The port every face provider implements (the embedded engine now, Azure AI Face later).
 * Knows nothing of GraphQL or HTTP.
 */
import type { FindSimilarMode, Verification } from '../domain/similarity.js';
import type { DetectedFace, DetectRequestOptions, ProviderCapabilities, RecognitionModel } from '../domain/types.js';
import type { LightMeasure } from '../domain/liveness/light-sample.js';

/** A face taking part in recognition: registered (faceId) or detected inline from an image. */
export interface RecognitionFace {
  faceId: string | null;
  face: DetectedFace;
  recognitionModel: RecognitionModel;
}

export interface SimilarFace {
  face: RecognitionFace;
  confidence: number;
}

export interface FaceGrouping {
  groups: RecognitionFace[][];
  messyGroup: RecognitionFace[];
}

/** One image of a detectMany call: its faces and, when the provider can measure it, the light challenge's colours. */
export interface DetectedFrame {
  faces: DetectedFace[];
  /** Skin and background colour around the largest face (light-sample.ts); null when the provider cannot measure pixels (Azure). */
  light: LightMeasure | null;
}

export interface FaceProvider {
  readonly capabilities: ProviderCapabilities;
  /** Loads models / opens the upstream connection pool; /readyz turns green after it. */
  start(): Promise<void>;
  /** True once models are loaded / the upstream is reachable, false while starting or stopping. */
  isReady(): boolean;
  /** Detects faces in encoded image bytes, largest first, at most 100. */
  detect(image: Buffer, options: DetectRequestOptions): Promise<DetectedFace[]>;
  /**
   * detect() for the images of ONE request (a liveness attempt's frames): admitted or refused as
   * a unit. It throws OVERLOADED at once if the engine would refuse a request now; otherwise every
   * image runs, however much queue that adds (an engine that checked each frame's wait alone
   * would refuse an attempt because of its own earlier frames). Each image's outcome is settled
   * on its own, in order, with the light challenge's measure of the frame (DetectedFrame).
   */
  detectMany(images: readonly Buffer[], options: DetectRequestOptions): Promise<Array<PromiseSettledResult<DetectedFrame>>>;
  /** 1:1 verification on the calibrated confidence scale. */
  verify(face1: RecognitionFace, face2: RecognitionFace): Promise<Verification>;
  /** Candidates ranked by confidence, filtered by mode, at most `max`. */
  findSimilar(query: RecognitionFace, candidates: readonly RecognitionFace[], mode: FindSimilarMode, max: number): Promise<SimilarFace[]>;
  /** Groups of the same person (largest first) and the faces that match no other. */
  group(faces: readonly RecognitionFace[]): Promise<FaceGrouping>;
  close(): Promise<void>;
}
