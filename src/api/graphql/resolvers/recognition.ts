/**
 * Recognition mutations: verifyFaces, findSimilarFaces, groupFaces. Thin: the rules are the
 * Recognition use case's (src/app/faces/recognition.ts); this file turns inline images into
 * detections through the per-request loaders and shapes the payloads.
 */
import type { RecognitionFace } from '../../../ports/face-provider.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { inlineDetector } from '../inline-images.js';
import { registeredFace, type FaceModel } from '../models.js';
import { payload } from '../payload.js';

/** The registered face behind a result, or null for an inline face (or one that expired meanwhile). */
const toFaceModel = (f: RecognitionFace, ctx: GraphQLContext): FaceModel | null => registeredFace(ctx.registry, f.faceId);

export const recognitionResolvers: Resolvers = {
  Mutation: {
    verifyFaces: (_root, { input }, ctx) =>
      payload(async () => ({ verification: await ctx.recognition.verify(input.face1, input.face2, inlineDetector(ctx)) }), {
        verification: null,
      }),

    findSimilarFaces: (_root, { input }, ctx) =>
      payload(
        async () => {
          const mode = input.mode === 'MATCH_FACE' ? 'matchFace' : 'matchPerson';
          const matches = await ctx.recognition.findSimilar(
            input.face,
            input.candidateFaceIds,
            { mode, maxCandidates: input.maxCandidates },
            inlineDetector(ctx),
          );
          return {
            matches: matches.map((m) => ({ faceId: m.face.faceId ?? '', confidence: m.confidence, face: toFaceModel(m.face, ctx) })),
          };
        },
        { matches: null },
      ),

    groupFaces: (_root, { input }, ctx) =>
      payload(
        async () => {
          const grouping = await ctx.recognition.group(input.faceIds);
          const group = (members: RecognitionFace[]) => ({
            faceIds: members.map((m) => m.faceId ?? ''),
            faces: members.map((m) => toFaceModel(m, ctx)).filter((f): f is FaceModel => f !== null),
          });
          return { grouping: { groups: grouping.groups.map(group), messyGroup: group(grouping.messyGroup) } };
        },
        { grouping: null },
      ),
  },
};
