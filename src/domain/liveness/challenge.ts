/**
 * Liveness challenges: what the client must do in a PassiveActive attempt, and how a head-pose
 * trajectory is judged against it. Pure functions apart from the injected randomness.
 *
 * STEP SEMANTICS — in the RAW, UNMIRRORED camera frame (what the camera sensor delivers and what
 * the client must upload; a selfie preview is usually mirrored for display only: never upload
 * the mirrored canvas). Yaw/pitch are the engine's head pose (src/engine/headpose.ts), degrees:
 *
 *   TURN_LEFT   the user turns their head to THEIR OWN LEFT. Facing an unmirrored camera, the
 *               user's left is the image's RIGHT, so the face turns toward the image's right:
 *               yaw INCREASES (yaw > 0 = face turned toward the image's right).
 *               Done when yaw − baselineYaw >= TURN_DEGREES.
 *   TURN_RIGHT  the user turns to their own right = toward the image's LEFT: yaw DECREASES.
 *               Done when yaw − baselineYaw <= −TURN_DEGREES.
 *   LOOK_UP     the user tilts the head back / looks up: pitch INCREASES (pitch > 0 = looking up).
 *               Done when pitch − baselinePitch >= LOOK_UP_DEGREES.
 *
 * The yaw sign was checked on ../shared/video/hamilton-clip.mp4 (unmirrored broadcast footage):
 * at t = 3.6 s the performer faces toward the image's right (his own left) and the engine reports
 * yaw +21°; at t = 5.3 s he faces the image's left and it reports −41°. If the capture page shows
 * a mirrored preview, the instruction text stays "turn to your left" (the mirror makes the preview
 * move the way the user expects); only the uploaded frames must be unmirrored. If a client uploads
 * mirrored frames, TURN_LEFT and TURN_RIGHT swap and honest users fail the challenge.
 * (DESIGN.md's note "positive = face turned toward image left" is about human's yaw, a different
 * model; this engine's headpose.ts uses the opposite sign, as documented there and checked here.)
 *
 * The baseline is the head pose of the attempt's first usable frame (the user's resting pose).
 * Steps must be done in the issued order, each by (its index + 1) × stepTimeoutMs after the first
 * frame; before a TURN step is done, a turn of TURN_DEGREES the OTHER way is a wrong move (it stops
 * one recorded "left, right, left" video from answering every turn challenge), except when that
 * other turn was the previous step (the user is coming back from it).
 *
 * Deterministic challenges (tests): createChallenge reads 16 bytes for the nonce, then one byte
 * per draw; the byte modulo 6 indexes ALL_ACTIVE_STEP_PAIRS (bytes 252–255 are redrawn), e.g. a
 * source returning 16 nonce bytes then 3 issues TURN_RIGHT, LOOK_UP.
 */
import { randomBytes } from 'node:crypto';
import type { Challenge, ChallengeStep, LivenessOperationMode } from './types.js';

/** Yaw change from the baseline that completes a TURN step; also the 3-D check's minimum turn (DESIGN.md: >= ~15°). */
export const TURN_DEGREES = 15;
/** Pitch change from the baseline that completes LOOK_UP. */
export const LOOK_UP_DEGREES = 10;
/** Time allowed per step, cumulative from the first frame (step k is due by (k + 1) × this). */
export const STEP_TIMEOUT_MS = 3000;

export const CHALLENGE_STEPS: readonly ChallengeStep[] = ['TURN_LEFT', 'TURN_RIGHT', 'LOOK_UP'];

/**
 * Every PassiveActive challenge createChallenge can issue: the 6 ordered pairs of distinct steps
 * (with only one non-turn step, every such pair holds at least one turn).
 */
export const ALL_ACTIVE_STEP_PAIRS: ReadonlyArray<readonly [ChallengeStep, ChallengeStep]> = CHALLENGE_STEPS.flatMap((a) =>
  CHALLENGE_STEPS.filter((b) => b !== a).map((b) => [a, b] as const),
);

export type RandomBytes = (size: number) => Uint8Array;

/** Uniform integer in [0, n) from the random source, without modulo bias. */
function randomIndex(n: number, random: RandomBytes): number {
  const limit = Math.floor(256 / n) * n;
  for (;;) {
    const b = random(1)[0];
    if (b === undefined) throw new Error('random source returned no bytes');
    if (b < limit) return b % n;
  }
}

/**
 * A fresh challenge. Passive: no steps (the nonce still binds the attempt to the session).
 * PassiveActive: two distinct steps in random order, at least one of them a turn (the 3-D
 * flatness check needs a >= 15° yaw change). Nonce: 16 random bytes, base64url.
 */
export function createChallenge(mode: LivenessOperationMode, random: RandomBytes = randomBytes): Challenge {
  const nonceBytes = random(16);
  if (nonceBytes.length !== 16) throw new Error('random source must return the requested number of bytes');
  const nonce = Buffer.from(nonceBytes).toString('base64url');
  if (mode === 'Passive') return { nonce, steps: [], stepTimeoutMs: STEP_TIMEOUT_MS };
  const pair = ALL_ACTIVE_STEP_PAIRS[randomIndex(ALL_ACTIVE_STEP_PAIRS.length, random)]!;
  return { nonce, steps: [...pair], stepTimeoutMs: STEP_TIMEOUT_MS };
}

/** One frame's head pose and time, as the challenge check needs it. */
export interface PoseSample {
  /** Index of the frame in the attempt. */
  index: number;
  /** Milliseconds since the attempt's first frame. */
  t: number;
  yaw: number;
  pitch: number;
}

export type StepOutcome = 'done' | 'late' | 'missing' | 'wrong_direction';

export interface ChallengeEvaluation {
  /** True when every step was done, in order, in time, with no wrong move. */
  performed: boolean;
  /** Per issued step: when (frame index / time) it was done, or why not. */
  steps: Array<{ step: ChallengeStep; outcome: StepOutcome; index: number | null; t: number | null }>;
  baselineYaw: number;
  baselinePitch: number;
}

/** Whether a pose, relative to the baseline, completes the step. */
export function stepDone(step: ChallengeStep, dYaw: number, dPitch: number): boolean {
  if (step === 'TURN_LEFT') return dYaw >= TURN_DEGREES;
  if (step === 'TURN_RIGHT') return dYaw <= -TURN_DEGREES;
  return dPitch >= LOOK_UP_DEGREES;
}

const OPPOSITE: Partial<Record<ChallengeStep, ChallengeStep>> = { TURN_LEFT: 'TURN_RIGHT', TURN_RIGHT: 'TURN_LEFT' };

/**
 * Judges a head-pose trajectory (usable frames, in time order; the first is the baseline)
 * against the issued steps.
 */
export function evaluateChallenge(
  samples: readonly PoseSample[],
  steps: readonly ChallengeStep[],
  stepTimeoutMs: number,
): ChallengeEvaluation {
  const first = samples[0];
  const baselineYaw = first?.yaw ?? 0;
  const baselinePitch = first?.pitch ?? 0;
  const result: ChallengeEvaluation['steps'] = [];
  let k = 1; // next sample to look at
  let failed = false;
  steps.forEach((step, s) => {
    // A full turn the other way before this step is done is a wrong move, unless that other turn
    // was the previous step (the user is still coming back from it).
    const opposite = OPPOSITE[step];
    const checkWrong = opposite !== undefined && !steps.slice(0, s).includes(opposite);
    if (failed) {
      result.push({ step, outcome: 'missing', index: null, t: null });
      return;
    }
    let outcome: StepOutcome = 'missing';
    let at: PoseSample | null = null;
    for (; k < samples.length; k++) {
      const p = samples[k]!;
      const dYaw = p.yaw - baselineYaw;
      const dPitch = p.pitch - baselinePitch;
      if (stepDone(step, dYaw, dPitch)) {
        at = p;
        outcome = p.t <= (s + 1) * stepTimeoutMs ? 'done' : 'late';
        k++;
        break;
      }
      if (checkWrong && stepDone(opposite, dYaw, dPitch)) {
        at = p;
        outcome = 'wrong_direction';
        k++;
        break;
      }
    }
    if (outcome !== 'done') failed = true;
    result.push({ step, outcome, index: at?.index ?? null, t: at?.t ?? null });
  });
  return { performed: steps.length > 0 && !failed, steps: result, baselineYaw, baselinePitch };
}
