/** What Face resolvers receive as their parent (codegen mapper for the Face type). */
import type { DetectedFace, DetectionModel, RecognitionModel } from '../../domain/types.js';

export interface FaceModel {
  faceId: string | null;
  face: DetectedFace;
  detectionModel: DetectionModel;
  recognitionModel: RecognitionModel;
  expiresAt: Date | null;
}
