/**
 * The faceId registry port: detected faces (with their embeddings) kept for their requested
 * time to live, like Azure's faceIds. The in-process adapter is memory-face-registry.ts.
 */
import type { DetectedFace, DetectionModel, RecognitionModel, RegisteredFace } from '../domain/types.js';

export interface FaceRegistry {
  /** Registers a face for `ttlSeconds`; an upstream provider's faceId is kept as the faceId. */
  register(
    face: DetectedFace,
    models: { recognitionModel: RecognitionModel; detectionModel: DetectionModel },
    ttlSeconds: number,
  ): RegisteredFace;
  /** The face while it is valid; undefined once expired, evicted or unknown. Reads never extend its life. */
  get(faceId: string): RegisteredFace | undefined;
  /** Faces currently held (for metrics and operations). */
  readonly size: number;
}
