/** Messages between the engine's main-thread pool and its worker threads. */
import type { Rect } from './geometry.js';
import type { QualityMeasures } from '../../domain/types.js';
import type { LightMeasure } from '../../domain/liveness/light-sample.js';

export interface DetectOptions {
  /** Run the 68-point landmark model (needed for landmarks, head pose and embeddings). */
  landmarks: boolean;
  /** Compute the 128-d recognition embedding (implies landmarks). */
  embedding: boolean;
  /** Measure blur, exposure and noise on the face crop (implies landmarks). */
  quality: boolean;
  /** Faces smaller than this (pixels, shorter rectangle side) are ignored, as Azure ignores < 36 px. */
  minFaceSize: number;
  /** Faces the detector scores below this (0–1) are dropped. */
  minScore: number;
  maxFaces: number;
  /** Also measure the light challenge's skin and background colour around the largest face (liveness frames). */
  light: boolean;
}

export interface DetectRequest {
  type: 'detect';
  id: number;
  width: number;
  height: number;
  /** Full-resolution RGB, 3 bytes per pixel. */
  rgb: Uint8Array;
  /** The whole image resized for the detector's whole-image pass (no padding), RGB. */
  detectorInput: Uint8Array;
  detectorWidth: number;
  detectorHeight: number;
  options: DetectOptions;
}

export interface WorkerFace {
  score: number;
  /** Detector box, clipped to the image, integer pixels. */
  rect: Rect;
  /** Flat [x0, y0, x1, y1, ...] of the 68 iBUG landmarks in image pixels. */
  landmarks68?: Float32Array;
  embedding?: Float32Array;
  quality?: QualityMeasures;
}

/** What a worker answers for one image: the faces, and the light measure when it was asked for. */
export interface WorkerResult {
  faces: WorkerFace[];
  light: LightMeasure | null;
}

/** `stall` is a test seam (EnginePool.testSeam): the worker spins forever, as if hung in a native call. */
export type WorkerRequest = DetectRequest | { type: 'init' } | { type: 'close' } | { type: 'stall' };

export type WorkerResponse =
  | { type: 'ready'; models: ModelInfo }
  | { type: 'init-failed'; error: string }
  | { type: 'result'; id: number; faces: WorkerFace[]; light: LightMeasure | null; timings: StageTimings }
  | { type: 'error'; id: number; error: string }
  | { type: 'closed' };

/** Milliseconds the worker spent in each model stage of one request (absent: the stage did not run). */
export interface StageTimings {
  detector?: number;
  landmarks?: number;
  quality?: number;
  embedding?: number;
}

export interface ModelInfo {
  detector: string;
  landmarks: string;
  recognition: string;
  backend: string;
}
