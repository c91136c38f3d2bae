/**
 * The create-session rules (Azure §4b), shared by GraphQL and REST: token lifetime bounds and
 * the device correlation id rule. Owns CreateSessionInput -> CreateSessionOptions; nothing else.
 */
import { FaceError } from '../../domain/errors.js';
import type { CreateSessionOptions, LivenessOperationMode } from '../../domain/liveness/types.js';

export const TOKEN_TTL_SECONDS = Object.freeze({ min: 60, max: 86_400, default: 600 });
export const MAX_DEVICE_CORRELATION_ID = 64;

/** createLivenessSession's input as the GraphQL layer hands it over (enum already mapped). */
export interface CreateSessionInput {
  livenessOperationMode: LivenessOperationMode;
  deviceCorrelationId?: string | null;
  deviceCorrelationIdSetInClient?: boolean | null;
  enableSessionImage?: boolean | null;
  authTokenTimeToLiveInSeconds?: number | null;
  sendResultsToClient?: boolean | null;
}

const argumentError = (message: string, field: string): FaceError =>
  new FaceError('INVALID_ARGUMENT', message, { argument: `input.${field}`, field: ['input', field] });

/** A usable device correlation id: not null, not blank, at most MAX_DEVICE_CORRELATION_ID chars. */
export function isDeviceCorrelationId(id: string | null): id is string {
  return id !== null && id.trim() !== '' && id.length <= MAX_DEVICE_CORRELATION_ID;
}

/** Azure's create rules (§4b): token lifetime 60–86400 s; device correlation id ≤ 64 chars, required unless set in the client. */
export function validateCreateInput(input: CreateSessionInput): CreateSessionOptions {
  const ttl = input.authTokenTimeToLiveInSeconds ?? TOKEN_TTL_SECONDS.default;
  if (!Number.isInteger(ttl) || ttl < TOKEN_TTL_SECONDS.min || ttl > TOKEN_TTL_SECONDS.max) {
    throw argumentError(
      `authTokenTimeToLiveInSeconds must be within ${TOKEN_TTL_SECONDS.min} to ${TOKEN_TTL_SECONDS.max}; got ${ttl}.`,
      'authTokenTimeToLiveInSeconds',
    );
  }
  const setInClient = input.deviceCorrelationIdSetInClient ?? false;
  const id = input.deviceCorrelationId ?? null;
  if (setInClient) {
    if (id !== null) {
      throw argumentError(
        'deviceCorrelationId must be null when deviceCorrelationIdSetInClient is true: the client sends it.',
        'deviceCorrelationId',
      );
    }
  } else if (!isDeviceCorrelationId(id)) {
    throw argumentError(
      `deviceCorrelationId must not be null or empty, and be no more than ${MAX_DEVICE_CORRELATION_ID} characters.`,
      'deviceCorrelationId',
    );
  }
  return {
    mode: input.livenessOperationMode,
    deviceCorrelationId: id,
    deviceCorrelationIdSetInClient: setInClient,
    enableSessionImage: input.enableSessionImage ?? false,
    authTokenTtlSeconds: ttl,
    sendResultsToClient: input.sendResultsToClient ?? false,
  };
}
