/** What Face resolvers receive as their parent (codegen mapper for the Face type). */
import type { DetectedFace, DetectionModel, RecognitionModel } from '../../domain/types.js';
import type { FaceRegistry } from '../../ports/face-registry.js';

export interface FaceModel {
  faceId: string | null;
  face: DetectedFace;
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  expiresAt: Date | null;
}

/** The registered face with this id as a Face, or null once unknown or expired (as `face(faceId)` and entity references answer). */
export function registeredFace(registry: FaceRegistry, faceId: string | null): FaceModel | null {
  const entry = faceId ? registry.get(faceId) : undefined;
  if (!entry) return null;
  const { face, detectionModel, recognitionModel, expiresAt } = entry;
  return { faceId: entry.faceId, face, detectionModel, recognitionModel, expiresAt };
}
