/** What Face resolvers receive as their parent (codegen mapper for the Face type). */
import type { DetectedFace, DetectionModel, RecognitionModel, RegisteredFace } from '../../domain/types.js';

export interface FaceModel {
  faceId: string | null;
  face: DetectedFace;
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  expiresAt: Date | null;
}

/** A registry entry as a Face; null once unknown or expired (as `face(faceId)` and entity references answer). */
export function faceModel(entry: RegisteredFace | undefined): FaceModel | null {
  if (!entry) return null;
  const { face, detectionModel, recognitionModel, expiresAt } = entry;
  return { faceId: entry.faceId, face, detectionModel, recognitionModel, expiresAt };
}
