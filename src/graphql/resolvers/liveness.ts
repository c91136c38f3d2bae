/**
 * Liveness sessions for server-side callers: create (with an optional verify image), read, list,
 * delete, and the LivenessSession entity. Thin: input checks and orchestration are in
 * src/liveness/service.ts; the verify image goes through the per-request loaders like
 * recognition's inline faces. Business outcomes are userErrors; OVERLOADED and
 * ENGINE_UNAVAILABLE stay GraphQL errors.
 */
import { FaceError, INFRASTRUCTURE_CODES, type ErrorCode } from '../../face/errors.js';
import { INLINE_MODELS, type DetectionKey } from '../loaders.js';
import { contentHash } from '../../http/image-input.js';
import type { AttemptRecord } from '../../liveness/model.js';
import { validateCreateInput } from '../../liveness/service.js';
import type { LivenessOperationMode } from '../../liveness/types.js';
import type { VerifyReferenceRecord } from '../../store/liveness-store.js';
import type { GraphQLContext } from '../context.js';
import { rethrow } from '../errors.js';
import type { ImageInput, Resolvers } from '../generated/resolvers-types.js';
import { toEnum } from './enums.js';

interface UserError {
  code: ErrorCode;
  message: string;
  field: string[] | null;
}


/** Runs a mutation body; a FaceError about the input becomes the payload's one userError. */
async function payload<T extends object>(run: () => Promise<T> | T, empty: { [K in keyof T]: null }, field: string[]) {
  try {
    return { ...(await run()), userErrors: [] as UserError[] };
  } catch (err) {
    if (err instanceof FaceError && !INFRASTRUCTURE_CODES.has(err.code)) {
      const path = Array.isArray(err.details.field) ? (err.details.field as string[]) : field;
      return { ...empty, userErrors: [{ code: err.code, message: err.message, field: path }] };
    }
    return rethrow(err);
  }
}

const MODES: Record<'PASSIVE' | 'PASSIVE_ACTIVE', LivenessOperationMode> = { PASSIVE: 'Passive', PASSIVE_ACTIVE: 'PassiveActive' };

/** The largest face of the verify image, with its embedding (detected through the request's loaders). */
async function referenceFace(ctx: GraphQLContext, image: ImageInput): Promise<VerifyReferenceRecord> {
  const field = ['input', 'verifyImage'];
  try {
    const bytes = await ctx.loaders.imageBytes.load(image);
    const hash = contentHash(bytes);
    ctx.loaders.bytesByHash.set(hash, bytes);
    const key: DetectionKey = { hash, ...INLINE_MODELS, withEmbedding: true, landmarks: false, attributes: ['qualityForRecognition'] };
    const largest = (await ctx.loaders.detections.load(key))[0];
    if (!largest?.embedding) throw new FaceError('NO_FACE_IN_IMAGE', 'No face was detected in verifyImage.', { field });
    return { faceRectangle: largest.faceRectangle, qualityForRecognition: largest.attributes.qualityForRecognition ?? null, embedding: largest.embedding };
  } catch (err) {
    if (err instanceof FaceError && !INFRASTRUCTURE_CODES.has(err.code) && !err.details.field) throw new FaceError(err.code, err.message, { ...err.details, field });
    throw err;
  }
}

const decisionEnum = (a: AttemptRecord) => (a.decision ? (a.decision.toUpperCase() as 'REALFACE' | 'SPOOFFACE' | 'UNCERTAIN') : null);
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export const livenessResolvers: Resolvers = {
  Query: {
    livenessSession: (_root, { id }, ctx) => ctx.liveness.session(id),
    livenessSessions: (_root, { first, after }, ctx) => {
      try {
        return ctx.liveness.sessions(first, after);
      } catch (err) {
        return rethrow(err);
      }
    },
  },
  Mutation: {
    createLivenessSession: (_root, { input }, ctx) =>
      payload(
        async () => {
          const options = validateCreateInput({ ...input, livenessOperationMode: MODES[input.livenessOperationMode] });
          const reference = input.verifyImage ? await referenceFace(ctx, input.verifyImage) : null;
          return { session: ctx.liveness.createSession(options, reference) };
        },
        { session: null },
        ['input'],
      ),
    deleteLivenessSession: (_root, { input }, ctx) =>
      payload(
        () => {
          if (!ctx.liveness.deleteSession(input.id)) {
            throw new FaceError('SESSION_NOT_FOUND', `Liveness session ${input.id} was not found: it never existed, was deleted or has expired.`);
          }
          return { deletedSessionId: input.id };
        },
        { deletedSessionId: null },
        ['input', 'id'],
      ),
  },
  LivenessSession: {
    __resolveReference: (ref, ctx) => (ref.id ? ctx.liveness.session(ref.id) : null),
    id: (s) => s.record.id,
    authToken: (s) => s.authToken,
    status: (s) => toEnum(s.status) as never,
    livenessOperationMode: (s) => toEnum(s.record.mode) as never,
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
      s.record.verifyReference
        ? {
            faceRectangle: s.record.verifyReference.faceRectangle,
            qualityForRecognition: s.record.verifyReference.qualityForRecognition ? (toEnum(s.record.verifyReference.qualityForRecognition) as never) : null,
          }
        : null,
  },
  LivenessAttempt: {
    attemptId: (a) => a.attemptId,
    attemptStatus: (a) => toEnum(a.status) as never,
    result: (a) => (a.status === 'Succeeded' && a.decision ? a : null),
    error: (a) => a.error,
    audit: (a) => a,
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
