/**
 * The port every face provider implements (the embedded engine now, Azure AI Face later).
 * Knows nothing of GraphQL or HTTP.
 */
import type { DetectedFace, DetectRequestOptions, ProviderCapabilities } from './types.js';

export interface FaceProvider {
  readonly capabilities: ProviderCapabilities;
  /** True once models are loaded / the upstream is reachable, false while starting or stopping. */
  isReady(): boolean;
  /** Detects faces in encoded image bytes, largest first, at most 100. */
  detect(image: Buffer, options: DetectRequestOptions): Promise<DetectedFace[]>;
  /** Number of detections actually run (not served from a cache): for tests and metrics. */
  readonly detectionCount: number;
  close(): Promise<void>;
}
