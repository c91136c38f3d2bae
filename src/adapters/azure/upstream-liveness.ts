/**
 * Adapts AzureLivenessClient (Azure's v1.2 wire) to the liveness port's UpstreamLivenessClient
 * (src/liveness/upstream-sessions.ts), so GraphQL's liveness lifecycle runs on Azure.
 */
import { FaceError } from '../../domain/errors.js';
import type { CreateSessionOptions } from '../../domain/liveness/types.js';
import type { UpstreamAttempt, UpstreamLivenessClient, UpstreamSession } from '../../ports/upstream-liveness.js';
import type { AttemptStatus, UpstreamSessionKind } from '../../ports/liveness-store.js';
import type { WireCreateLivenessSessionBody } from '../../contracts/azure-face-v1.2.js';
import {
  toLivenessSessionView,
  type AzureLivenessClient,
  type LivenessAttemptView,
  type LivenessSessionKind,
  type LivenessSessionView,
} from './liveness.js';

const KIND: Record<UpstreamSessionKind, LivenessSessionKind> = {
  detectLiveness: 'liveness',
  detectLivenessWithVerify: 'livenessWithVerify',
};

export class AzureUpstreamLiveness implements UpstreamLivenessClient {
  constructor(private readonly client: AzureLivenessClient) {}

  async create(kind: UpstreamSessionKind, options: CreateSessionOptions, verifyImage: Buffer | null): Promise<UpstreamSession> {
    // Azure v1.2 dropped sendResultsToClient: it is kept in facegraph's index only.
    const body: WireCreateLivenessSessionBody = {
      livenessOperationMode: options.mode,
      ...(options.deviceCorrelationIdSetInClient
        ? { deviceCorrelationIdSetInClient: true }
        : { deviceCorrelationId: options.deviceCorrelationId ?? undefined }),
      enableSessionImage: options.enableSessionImage,
      authTokenTimeToLiveInSeconds: options.authTokenTtlSeconds,
    };
    if (kind === 'detectLivenessWithVerify') {
      if (!verifyImage) throw new Error('internal: a liveness-with-verify session needs its verify image');
      return toUpstream(toLivenessSessionView('livenessWithVerify', await this.client.createLivenessWithVerifySession(body, verifyImage)));
    }
    return toUpstream(toLivenessSessionView('liveness', await this.client.createLivenessSession(body)));
  }

  async get(kind: UpstreamSessionKind, id: string): Promise<UpstreamSession | null> {
    try {
      return toUpstream(toLivenessSessionView(KIND[kind], await this.client.getLivenessSession(KIND[kind], id)));
    } catch (err) {
      if (err instanceof FaceError && err.code === 'SESSION_NOT_FOUND') return null;
      throw err;
    }
  }

  async delete(kind: UpstreamSessionKind, id: string): Promise<boolean> {
    try {
      await this.client.deleteLivenessSession(KIND[kind], id);
      return true;
    } catch (err) {
      if (err instanceof FaceError && err.code === 'SESSION_NOT_FOUND') return false;
      throw err;
    }
  }

  async sessionImage(id: string): Promise<Buffer | null> {
    try {
      return await this.client.getSessionImage(id);
    } catch (err) {
      if (err instanceof FaceError && err.code === 'SESSION_IMAGE_NOT_FOUND') return null;
      throw err;
    }
  }
}

function toUpstream(view: LivenessSessionView): UpstreamSession {
  const reference = view.verifyReferences[0];
  return {
    id: view.id,
    authToken: view.authToken,
    status: view.status,
    modelVersion: view.modelVersion,
    attempts: view.attempts.map(toUpstreamAttempt),
    verifyReference: reference ? { faceRectangle: reference.faceRectangle, qualityForRecognition: reference.qualityForRecognition } : null,
  };
}

function toUpstreamAttempt(a: LivenessAttemptView): UpstreamAttempt {
  return {
    attemptId: a.attemptId,
    // An attempt is Running, Succeeded or Failed; Azure's OperationState also has NotStarted/Canceled.
    status: (['Running', 'Succeeded', 'Failed'] as const).includes(a.attemptStatus as AttemptStatus)
      ? (a.attemptStatus as AttemptStatus)
      : 'Failed',
    decision: a.result?.livenessDecision ?? null,
    targetFace: a.result?.targetFace ?? a.error?.targetFace ?? null,
    digest: a.result?.digest ?? null,
    sessionImageId: a.result?.sessionImageId ?? null,
    verifyResult: a.result?.verifyResult ?? null,
    error: a.error ? { code: a.error.code, message: a.error.message } : null,
  };
}
