/**
 * Liveness sessions for server-side callers: create (with an optional verify image), read, list,
 * delete, and the LivenessSession entity. Thin: input checks and orchestration are in
 * src/liveness/service.ts; the verify image goes through the per-request loaders like
 * recognition's inline faces. Business outcomes are userErrors; OVERLOADED and
 * ENGINE_UNAVAILABLE stay GraphQL errors.
 */
import { FaceError } from '../../../domain/errors.js';
import type { DetectionKey } from '../loaders.js';
import { INLINE_MODELS } from '../../../app/faces/detection.js';
import { payload } from '../payload.js';
import { contentHash } from '../../../app/images.js';
import type { AttemptRecord } from '../../../app/liveness/model.js';
import { validateCreateInput } from '../../../app/liveness/create-input.js';
import type { LivenessOperationMode } from '../../../domain/liveness/types.js';
import { verifyReferenceOf, type VerifyImage } from '../../../app/liveness/sessions.js';
import type { VerifyReferenceRecord } from '../../../ports/liveness-store.js';
import type { GraphQLContext } from '../context.js';
import { rethrow } from '../errors.js';
import type { ImageInput, Resolvers } from '../generated/resolvers-types.js';
import { toEnum } from './enums.js';

const MODES: Record<'PASSIVE' | 'PASSIVE_ACTIVE', LivenessOperationMode> = { PASSIVE: 'Passive', PASSIVE_ACTIVE: 'PassiveActive' };

const VERIFY_FIELD = ['input', 'verifyImage'];

/** Image errors about verifyImage name that field. */
function aboutVerifyImage(err: unknown): never {
  if (err instanceof FaceError && !err.isInfrastructure && !err.details.field)
    throw new FaceError(err.code, err.message, { ...err.details, field: VERIFY_FIELD });
  throw err;
}

/**
 * The verify image's bytes (downloaded or decoded once per request), and, for the embedded
 * engine, its largest face with the embedding, detected through the request's loaders.
 */
async function verifyImage(ctx: GraphQLContext, image: ImageInput): Promise<VerifyImage> {
  const bytes = await ctx.loaders.imageBytes.load(image).catch(aboutVerifyImage);
  const reference = async (): Promise<VerifyReferenceRecord> => {
    try {
      const hash = contentHash(bytes);
      ctx.loaders.bytesByHash.set(hash, bytes);
      const key: DetectionKey = { hash, ...INLINE_MODELS, withEmbedding: true, landmarks: false, attributes: ['qualityForRecognition'] };
      return verifyReferenceOf(await ctx.loaders.detections.load(key), { field: VERIFY_FIELD });
    } catch (err) {
      return aboutVerifyImage(err);
    }
  };
  return { bytes, reference };
}

const decisionEnum = (a: AttemptRecord) => (a.decision ? (a.decision.toUpperCase() as 'REALFACE' | 'SPOOFFACE' | 'UNCERTAIN') : null);
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export const livenessResolvers: Resolvers = {
  Query: {
    livenessSession: (_root, { id }, ctx) => ctx.livenessSessions.get(id).catch(rethrow),
    livenessSessions: (_root, { first, after }, ctx) => ctx.livenessSessions.list(first, after).catch(rethrow),
  },
  Mutation: {
    createLivenessSession: (_root, { input }, ctx) =>
      payload(
        async () => {
          const options = validateCreateInput({ ...input, livenessOperationMode: MODES[input.livenessOperationMode] });
          const verify = input.verifyImage ? await verifyImage(ctx, input.verifyImage) : null;
          return { session: await ctx.livenessSessions.create(options, verify) };
        },
        { session: null },
        ['input'],
      ),
    deleteLivenessSession: (_root, { input }, ctx) =>
      payload(
        async () => {
          if (!(await ctx.livenessSessions.delete(input.id))) {
            throw new FaceError(
              'SESSION_NOT_FOUND',
              `Liveness session ${input.id} was not found: it never existed, was deleted or has expired.`,
            );
          }
          return { deletedSessionId: input.id };
        },
        { deletedSessionId: null },
        ['input', 'id'],
      ),
  },
  LivenessSession: {
    __resolveReference: (ref, ctx) => (ref.id ? ctx.livenessSessions.get(ref.id).catch(rethrow) : null),
    id: (s) => s.record.id,
    authToken: (s) => s.authToken,
    status: (s) => toEnum(s.status),
    livenessOperationMode: (s) => toEnum(s.record.mode),
    modelVersion: (s) => s.record.modelVersion,
    deviceCorrelationId: (s) => s.record.deviceCorrelationId,
    deviceCorrelationIdSetInClient: (s) => s.record.deviceCorrelationIdSetInClient,
    enableSessionImage: (s) => s.record.enableSessionImage,
    sendResultsToClient: (s) => s.record.sendResultsToClient,
    authTokenTimeToLiveInSeconds: (s) => s.record.authTokenTtlSeconds,
    createdAt: (s) => new Date(s.record.createdAt),
    startedAt: (s) => date(s.record.startedAt),
    authTokenExpiresAt: (s) => new Date(s.record.tokenExpiresAt),
    expiresAt: (s) => new Date(s.record.purgeAt),
    attemptsLeft: (s) => s.attemptsLeft,
    attempts: (s) => s.attempts,
    verifyReference: (s) =>
      s.verifyReference
        ? {
            faceRectangle: s.verifyReference.faceRectangle,
            qualityForRecognition: s.verifyReference.qualityForRecognition ? toEnum(s.verifyReference.qualityForRecognition) : null,
          }
        : null,
  },
  LivenessAttempt: {
    attemptId: (a) => a.attemptId,
    attemptStatus: (a) => toEnum(a.status),
    result: (a) => (a.status === 'Succeeded' && a.decision ? a : null),
    error: (a) => a.error,
    // Azure v1.2 keeps no audit records: null for attempts an upstream provider reports.
    audit: (a) => (a.upstream ? null : a),
  },
  LivenessAttemptResult: {
    livenessDecision: (a) => decisionEnum(a)!,
    targetFace: (a) => a.targetFace,
    digest: (a) => a.digest,
    sessionImageId: (a) => a.sessionImageId,
    verifyResult: (a) => a.verifyResult,
  },
  LivenessAuditRecord: {
    createdAt: (a) => new Date(a.createdAt),
    finishedAt: (a) => date(a.finishedAt),
    clientIp: (a) => a.clientIp,
    requestId: (a) => a.requestId,
    frameCount: (a) => a.frameCount,
    digest: (a) => a.digest,
    decision: (a) => decisionEnum(a),
    reasons: (a) => a.reasons,
    measures: (a) => a.measures,
  },
};
