/**
 * Images given inline in a mutation (a FaceRefInput's image, a face to enrol), detected through
 * the request's loaders: one download and one detection per image and model set per document.
 */
import { contentHash } from '../../app/images.js';
import type { InlineDetector } from '../../app/faces/recognition.js';
import { INLINE_MODELS } from '../../app/faces/detection.js';
import type { DetectionModel } from '../../domain/types.js';
import type { GraphQLContext } from './context.js';
import type { ImageInput } from './generated/resolvers-types.js';

/** Detects an inline image's faces, with embeddings, largest first. */
export const inlineDetector =
  (ctx: GraphQLContext, detectionModel: DetectionModel = INLINE_MODELS.detectionModel): InlineDetector<ImageInput> =>
  async (image, recognitionModel) => {
    const bytes = await ctx.loaders.imageBytes.load(image);
    const hash = contentHash(bytes);
    ctx.loaders.bytesByHash.set(hash, bytes);
    return ctx.loaders.detections.load({
      hash,
      ...INLINE_MODELS,
      detectionModel,
      recognitionModel,
      withEmbedding: true,
      landmarks: false,
      attributes: [],
    });
  };
