/**
 * Liveness sessions in Azure's v1.2 GA shape (reference §4b, §4c), over the liveness-session
 * port GraphQL uses (the embedded engine's sessions, or an upstream's): create (JSON, or
 * multipart with a verify image), get, delete, and the session image. The two session kinds
 * share one index, told apart by their route family: a session of one kind is SessionNotFound
 * on the other kind's routes, as it is on two separate Azure resources.
 */
import type { Request, Response } from 'express';
import { FaceError } from '../../domain/errors.js';
import type { AppServices } from '../../app/services.js';
import { INLINE_MODELS } from '../../app/faces/detection.js';
import {
  MAX_DEVICE_CORRELATION_ID,
  TOKEN_TTL_SECONDS,
  validateCreateInput,
  type CreateSessionInput,
} from '../../app/liveness/create-input.js';
import type { SessionView } from '../../app/liveness/model.js';
import { verifyReferenceOf, type VerifyImage } from '../../app/liveness/sessions.js';
import type { VerifyReferenceRecord } from '../../ports/liveness-store.js';
import { readJsonObject } from './body.js';
import { charged } from './detect.js';
import { AzureError, badArgument, fromFaceError, invalidRequestBody, mapping, sessionNotFound } from './errors.js';
import { readMultipartForm } from './multipart.js';
import { session as sessionWire, sessionKind, type SessionKind } from './wire.js';
import { SESSION_IMAGE_ID } from '../shared/request-body.js';
import type { WireCreateLivenessSessionBody, WireLivenessSession } from '../../contracts/azure-face-v1.2.js';

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The create body's fields (reference §4b), unchecked: from JSON values, or from multipart text parts. */
type CreateFields = { [K in keyof WireCreateLivenessSessionBody]-?: unknown };

const invalidMode = (): AzureError =>
  new AzureError(400, 'InvalidLivenessOperationMode', 'Liveness operation mode is not supported. Use Passive or PassiveActive.', {
    code: 'INVALID_ARGUMENT',
    message: 'livenessOperationMode must be Passive or PassiveActive.',
  });

function optionalBoolean(value: unknown, name: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value;
  throw invalidRequestBody(`'${name}' must be true or false.`);
}

/** Azure's create rules, through the service's own validation (GraphQL uses the same). */
function createInput(fields: CreateFields): CreateSessionInput {
  const mode = fields.livenessOperationMode;
  if (mode === undefined || mode === null) throw invalidRequestBody("'livenessOperationMode' is required.");
  if (mode !== 'Passive' && mode !== 'PassiveActive') throw invalidMode();
  const id = fields.deviceCorrelationId;
  if (id !== undefined && id !== null && typeof id !== 'string') throw invalidRequestBody("'deviceCorrelationId' must be a string.");
  const ttl = fields.authTokenTimeToLiveInSeconds;
  if (ttl !== undefined && ttl !== null && typeof ttl !== 'number')
    throw invalidRequestBody("'authTokenTimeToLiveInSeconds' must be an integer.");
  const version = fields.livenessModelVersion;
  // Any Azure model name is accepted: the embedded pipeline is what runs (modelVersion says which).
  if (version !== undefined && version !== null && typeof version !== 'string')
    throw invalidRequestBody("'livenessModelVersion' must be a string.");
  return {
    livenessOperationMode: mode,
    deviceCorrelationId: id ?? null,
    deviceCorrelationIdSetInClient: optionalBoolean(fields.deviceCorrelationIdSetInClient, 'deviceCorrelationIdSetInClient'),
    enableSessionImage: optionalBoolean(fields.enableSessionImage, 'enableSessionImage'),
    authTokenTimeToLiveInSeconds: ttl ?? null,
    // Dropped in v1.2 GA: the result is read server-side only.
    sendResultsToClient: false,
  };
}

/** validateCreateInput's INVALID_ARGUMENT, in Azure's liveness codes (reference §4c). */
function validated(input: CreateSessionInput) {
  try {
    return validateCreateInput(input);
  } catch (err) {
    if (!(err instanceof FaceError) || err.code !== 'INVALID_ARGUMENT') throw err;
    const inner = { code: err.code, message: err.message };
    if (err.details.argument === 'input.authTokenTimeToLiveInSeconds')
      throw new AzureError(400, 'InvalidTokenLifetime', `Must be within ${TOKEN_TTL_SECONDS.min} to ${TOKEN_TTL_SECONDS.max}`, inner);
    if (err.details.argument === 'input.deviceCorrelationId') {
      throw new AzureError(
        400,
        'InvalidDeviceCorrelationId',
        `Must not be null or empty, and be no more than ${MAX_DEVICE_CORRELATION_ID} characters.`,
        inner,
      );
    }
    throw badArgument(err.message, inner);
  }
}

/**
 * The verify image's largest face with its embedding, detected like GraphQL's verify images.
 * Only the embedded engine's sessions ask for it; an upstream detects the reference itself.
 */
async function referenceFace(services: AppServices, bytes: Buffer): Promise<VerifyReferenceRecord> {
  const { provider } = services;
  const faces = await provider.detect(bytes, {
    ...INLINE_MODELS,
    returnFaceId: true,
    returnLandmarks: false,
    attributes: provider.capabilities.attributes.includes('qualityForRecognition') ? ['qualityForRecognition'] : [],
  });
  return verifyReferenceOf(faces);
}

/** Multipart text parts -> typed values ("true" -> true, "600" -> 600); anything else is InvalidRequestBody. */
function textBoolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw invalidRequestBody(`'${name}' must be true or false.`);
}

function textInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,12}$/.test(value.trim())) throw invalidRequestBody(`'${name}' must be an integer.`);
  return Number(value.trim());
}

export async function createLivenessSession(req: Request, res: Response, services: AppServices): Promise<WireLivenessSession> {
  const body = await readJsonObject(req, res);
  const options = validated(
    createInput({
      livenessOperationMode: body.livenessOperationMode,
      deviceCorrelationId: body.deviceCorrelationId,
      deviceCorrelationIdSetInClient: body.deviceCorrelationIdSetInClient,
      enableSessionImage: body.enableSessionImage,
      livenessModelVersion: body.livenessModelVersion,
      authTokenTimeToLiveInSeconds: body.authTokenTimeToLiveInSeconds,
    }),
  );
  return sessionWire(await mapping({}, () => services.livenessSessions.create(options, null)), true);
}

export async function createLivenessWithVerifySession(req: Request, res: Response, services: AppServices): Promise<WireLivenessSession> {
  const { fields, file } = await readMultipartForm(req, res);
  const options = validated(
    createInput({
      livenessOperationMode: fields.get('livenessOperationMode'),
      deviceCorrelationId: fields.get('deviceCorrelationId'),
      deviceCorrelationIdSetInClient: textBoolean(fields.get('deviceCorrelationIdSetInClient'), 'deviceCorrelationIdSetInClient'),
      enableSessionImage: textBoolean(fields.get('enableSessionImage'), 'enableSessionImage'),
      livenessModelVersion: fields.get('livenessModelVersion'),
      authTokenTimeToLiveInSeconds: textInteger(fields.get('authTokenTimeToLiveInSeconds'), 'authTokenTimeToLiveInSeconds'),
    }),
  );
  // The service keeps neither a per-session threshold nor the image hash: refuse rather than ignore.
  if (textBoolean(fields.get('returnVerifyImageHash'), 'returnVerifyImageHash') === true) {
    throw badArgument('returnVerifyImageHash is not supported by facegraph.', {
      code: 'INVALID_ARGUMENT',
      message: 'facegraph does not keep a hash of the verify image.',
    });
  }
  if (fields.has('verifyConfidenceThreshold')) {
    throw badArgument('verifyConfidenceThreshold is not supported by facegraph.', {
      code: 'INVALID_ARGUMENT',
      message:
        'facegraph judges isIdentical at its calibrated threshold (matchConfidence >= 0.5); compare matchConfidence with your own threshold instead.',
    });
  }
  if (!file) {
    throw badArgument("'verifyImage' is required.", {
      code: 'INVALID_ARGUMENT',
      message: 'facegraph needs the verify image at creation (file part "verifyImage").',
    });
  }
  await charged(res, services, services.images.enforceSize(file));
  const verifyImage: VerifyImage = { bytes: file, reference: () => referenceFace(services, file) };
  return sessionWire(await mapping({}, () => services.livenessSessions.create(options, verifyImage)), true);
}

/** The index knows each session's route family without asking an upstream. */
async function assertKind(services: AppServices, id: string, kind: SessionKind): Promise<void> {
  const record = SESSION_ID.test(id) ? await services.liveness.sessionRecord(id) : null;
  if (!record || sessionKind(record) !== kind) throw sessionNotFound();
}

export async function getSession(services: AppServices, id: string, kind: SessionKind): Promise<WireLivenessSession> {
  await assertKind(services, id, kind);
  const view: SessionView | null = await mapping({}, () => services.livenessSessions.get(id));
  if (!view) throw sessionNotFound();
  return sessionWire(view, false);
}

export async function deleteSession(services: AppServices, id: string, kind: SessionKind): Promise<void> {
  await assertKind(services, id, kind);
  if (!(await mapping({}, () => services.livenessSessions.delete(id)))) throw sessionNotFound();
}

/** A stored session image (the embedded engine's best frame, or the upstream's). */
export async function sessionImage(services: AppServices, id: string): Promise<{ bytes: Buffer; contentType: string }> {
  const image = SESSION_IMAGE_ID.test(id) ? await mapping({}, () => services.livenessSessions.sessionImage(id)) : null;
  if (!image)
    throw fromFaceError(
      new FaceError('SESSION_IMAGE_NOT_FOUND', 'No session image has this id (its session may have been deleted or purged).'),
    );
  return image;
}
