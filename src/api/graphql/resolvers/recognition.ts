/**
 * Recognition mutations: verifyFaces, findSimilarFaces, groupFaces. Thin: the rules are the
 * Recognition use case's (src/app/faces/recognition.ts); this file turns inline images into
 * detections through the per-request loaders and shapes the payloads.
 */
import type { RecognitionFace } from '../../../ports/face-provider.js';
import type { GraphQLContext } from '../context.js';
import type { Resolvers } from '../generated/resolvers-types.js';
import { inlineDetector } from '../inline-images.js';
import { faceModel, type FaceModel } from '../models.js';
import { payload } from '../payload.js';

/**
 * The registered face behind a result, or null for an inline face (or one that expired
 * meanwhile). Through the per-request loader: a 1000-face result is one registry read.
 */
const toFaceModel = async (f: RecognitionFace, ctx: GraphQLContext): Promise<FaceModel | null> =>
  f.faceId === null ? null : faceModel(await ctx.loaders.faces.load(f.faceId));

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
            matches: await Promise.all(
              matches.map(async (m) => ({ faceId: m.face.faceId ?? '', confidence: m.confidence, face: await toFaceModel(m.face, ctx) })),
            ),
          };
        },
        { matches: null },
      ),

    groupFaces: (_root, { input }, ctx) =>
      payload(
        async () => {
          const grouping = await ctx.recognition.group(input.faceIds);
          const group = async (members: RecognitionFace[]) => ({
            faceIds: members.map((m) => m.faceId ?? ''),
            faces: (await Promise.all(members.map((m) => toFaceModel(m, ctx)))).filter((f): f is FaceModel => f !== null),
          });
          const [groups, messyGroup] = await Promise.all([Promise.all(grouping.groups.map(group)), group(grouping.messyGroup)]);
          return { grouping: { groups, messyGroup } };
        },
        { grouping: null },
      ),
  },
};
