/** Azure wire strings <-> GraphQL enum values (detection_03 <-> DETECTION_03, goodExposure <-> GOOD_EXPOSURE). */
import type { DetectionModel, RecognitionModel } from '../../../domain/types.js';

export const toEnum = (wire: string): string => wire.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();

export const detectionModelFromEnum = (value: string): DetectionModel => value.toLowerCase() as DetectionModel;
export const recognitionModelFromEnum = (value: string): RecognitionModel => value.toLowerCase() as RecognitionModel;
