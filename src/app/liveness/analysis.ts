/**
 * An attempt's frames -> FrameAnalysis[]: every frame goes to the engine at once (the worker
 * pool runs them in parallel); decision-input.ts reduces each detection to what the decision reads.
 */
import { createHash } from 'node:crypto';
import { FaceError, INFRASTRUCTURE_CODES } from '../../domain/errors.js';
import type { DetectedFrame, FaceProvider } from '../../ports/face-provider.js';
import { LIVENESS_DETECT_OPTIONS, toFrameAnalysis } from '../../domain/liveness/decision-input.js';
import type { FrameAnalysis } from '../../domain/liveness/types.js';

/** A frame passed the header checks but its pixels could not be decoded: the attempt fails. */
export class FrameUnreadableError extends Error {
  constructor(
    readonly frame: number,
    readonly reason: FaceError,
  ) {
    super(`Frame ${frame} could not be decoded: ${reason.message}`);
    this.name = 'FrameUnreadableError';
  }
}

/** sha256 hex (lower case) of all frame bytes in order: the attempt's digest. */
export function framesDigest(frames: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const f of frames) hash.update(f);
  return hash.digest('hex');
}

/**
 * Detects faces in every frame together. Throws the engine's OVERLOADED / ENGINE_UNAVAILABLE
 * FaceError as is (only after every frame has settled, so no work is left running), a
 * FrameUnreadableError for an undecodable frame, and anything else unchanged.
 */
export async function analyseFrames(
  provider: FaceProvider,
  frames: readonly Buffer[],
  timestamps: readonly number[],
  size: { width: number; height: number },
): Promise<FrameAnalysis[]> {
  // One attempt is one request for the engine's admission: its frames are not refused because of each other.
  const settled = await provider.detectMany(frames, LIVENESS_DETECT_OPTIONS);
  const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ index: i, reason: s.reason as unknown }] : []));
  const infra = failures.find((f) => f.reason instanceof FaceError && INFRASTRUCTURE_CODES.has(f.reason.code));
  if (infra) throw infra.reason;
  const first = failures[0];
  if (first) {
    if (first.reason instanceof FaceError) throw new FrameUnreadableError(first.index + 1, first.reason);
    throw first.reason;
  }
  const t0 = timestamps[0] ?? 0;
  return settled.map((s, i) => {
    const { faces, light } = (s as PromiseFulfilledResult<DetectedFrame>).value;
    return toFrameAnalysis((timestamps[i] ?? t0) - t0, size.width, size.height, faces, light);
  });
}
