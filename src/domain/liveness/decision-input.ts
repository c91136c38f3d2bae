/**
 * From the engine's detections of one uploaded frame to the FrameAnalysis the decision reads.
 * Pure. Detect each frame with LIVENESS_DETECT_OPTIONS so every field the decision needs is there.
 */
import type { DetectedFace, DetectRequestOptions } from '../types.js';
import type { LightMeasure } from './light-sample.js';
import type { FrameAnalysis, FrameFace } from './types.js';

/** What to ask the provider for on each frame of an attempt. */
export const LIVENESS_DETECT_OPTIONS: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  faceIdTimeToLive: 86_400,
  returnLandmarks: true,
  attributes: ['headPose', 'blur', 'exposure', 'noise'],
};

/** A detected face as the decision sees it; throws if the detection lacks landmarks, pose, quality or embedding. */
export function toFrameFace(face: DetectedFace): FrameFace {
  const { landmarks68, pose, quality, embedding } = face;
  if (!landmarks68 || landmarks68.length !== 68 || !pose || !quality || !embedding) {
    throw new Error('liveness needs 68 landmarks, pose, quality and an embedding: detect with LIVENESS_DETECT_OPTIONS');
  }
  return {
    faceRectangle: { ...face.faceRectangle },
    landmarks68,
    pose: { pitch: pose.pitch, roll: pose.roll, yaw: pose.yaw },
    embedding,
    quality: { blur: quality.blur.value, exposure: quality.exposure.value, noise: quality.noise.value },
  };
}

export function toFrameAnalysis(
  t: number,
  width: number,
  height: number,
  faces: readonly DetectedFace[],
  light: LightMeasure | null = null,
): FrameAnalysis {
  return { t, width, height, faces: faces.map(toFrameFace), light };
}
