/**
 * An uploaded attempt -> its AttemptOutcome: every frame through the provider (analysis.ts),
 * the liveness decision, the verify result and the session image. An undecodable frame fails
 * the attempt (it counts); infrastructure errors are thrown for the caller to undo the reservation.
 */
import { decideAttempt } from '../../domain/liveness/decision.js';
import type { Challenge, DecisionResult, FrameAnalysis } from '../../domain/liveness/types.js';
import type { Clock } from '../../ports/clock.js';
import type { FaceProvider } from '../../ports/face-provider.js';
import type { AttemptOutcome, LivenessStore, SessionRecord } from '../../ports/liveness-store.js';
import { analyseFrames, FrameUnreadableError } from './analysis.js';
import { captureSessionImage } from './session-images.js';
import type { AttemptUpload } from './upload.js';
import { pickFace, verifyWithLiveness } from './verify-with-liveness.js';

export interface OutcomeDeps {
  provider: FaceProvider;
  store: LivenessStore;
  clock: Clock;
}

/** The reserved attempt `attemptId` of `session`, answering `challenge` with `upload` (whose digest is `digest`). */
export async function attemptOutcome(
  deps: OutcomeDeps,
  session: SessionRecord,
  upload: AttemptUpload,
  digest: string,
  attemptId: number,
  challenge: Challenge,
): Promise<AttemptOutcome> {
  let frames: FrameAnalysis[];
  try {
    frames = await analyseFrames(deps.provider, upload.frames, upload.timestamps, upload);
  } catch (err) {
    if (!(err instanceof FrameUnreadableError)) throw err;
    // The upload's content is at fault: the attempt counts, and fails.
    return {
      status: 'Failed',
      decision: null,
      targetFace: null,
      verifyResult: null,
      error: { code: 'FRAME_UNREADABLE', message: err.message },
      reasons: ['FRAME_UNREADABLE'],
      measures: {},
      finishedAt: deps.clock.now(),
      sessionImage: null,
    };
  }
  const decision: DecisionResult = decideAttempt({
    mode: session.mode,
    frames,
    challenge,
    previousDigests: await deps.store.previousDigests(session.id, attemptId, digest),
    digest,
  });
  const best = decision.bestFrameIndex !== null ? frames[decision.bestFrameIndex] : undefined;
  const bestFace = best ? pickFace(best.faces, decision.targetFace) : undefined;
  const bestBytes = decision.bestFrameIndex !== null ? upload.frames[decision.bestFrameIndex] : undefined;
  return {
    status: 'Succeeded',
    decision: decision.decision,
    targetFace: decision.targetFace ?? bestFace?.faceRectangle ?? null,
    verifyResult: verifyWithLiveness(session.verifyReference, bestFace),
    error: null,
    reasons: decision.reasons,
    measures: decision.measures,
    finishedAt: deps.clock.now(),
    sessionImage: captureSessionImage(session, bestBytes),
  };
}
