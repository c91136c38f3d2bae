/**
 * Liveness challenges: what the client must do in a PassiveActive attempt, and how a head-pose
 * trajectory is judged against it. Pure functions apart from the injected randomness.
 *
 * STEP SEMANTICS — in the RAW, UNMIRRORED camera frame (what the camera sensor delivers and what
 * the client must upload; a selfie preview is usually mirrored for display only: never upload
 * the mirrored canvas). Yaw/pitch are the engine's head pose (src/adapters/engine/headpose.ts),
 * degrees, relative to the baseline (the attempt's first usable frame):
 *
 *   TURN_LEFT   the user turns their head to THEIR OWN LEFT. Facing an unmirrored camera, the
 *               user's left is the image's RIGHT, so the face turns toward the image's right:
 *               yaw INCREASES (yaw > 0 = face turned toward the image's right) by TURN_DEGREES.
 *   TURN_RIGHT  the user turns to their own right = toward the image's LEFT: yaw DECREASES.
 *   LOOK_UP     the user tilts the head back / looks up: pitch INCREASES (pitch > 0 = looking
 *               up) by LOOK_UP_DEGREES.
 *   LOOK_DOWN   the user lowers the chin / looks down: pitch DECREASES by LOOK_DOWN_DEGREES.
 *
 * The yaw sign was checked on ../shared/video/hamilton-clip.mp4 (unmirrored broadcast footage):
 * at t = 3.6 s the performer faces toward the image's right (his own left) and the engine reports
 * yaw +21°; at t = 5.3 s he faces the image's left and it reports −41°. The pitch sign on the same
 * clip's close-up (10 fps from t = 3.6 s): at t = 5.2 s his chin is raised and the head tilted
 * back (pitch +11.5°); at t = 4.1 s and t = 6.5 s his chin is lowered toward the microphone
 * (−21.5°, −19.7°); at t = 6.1 s, chin slightly up, +7.7°. If the capture page shows a mirrored
 * preview, the instruction text stays "turn to your left" (the mirror makes the preview move the
 * way the user expects); only the uploaded frames must be unmirrored. If a client uploads
 * mirrored frames, TURN_LEFT and TURN_RIGHT swap and honest users fail the challenge. (DESIGN.md's
 * note "positive = face turned toward image left" is about human's yaw, a different model; this
 * engine's headpose.ts uses the opposite sign, as documented there and checked here.)
 *
 * ONE DIRECTION PER FRAME (poseDirection): a frame whose change from the baseline reaches a
 * step's threshold shows a move in that direction; when both axes reach theirs, the one that is
 * further past its threshold (in multiples of it) wins. So a frame shows at most one move.
 *
 * SEQUENCES: STEPS_PER_CHALLENGE (4) steps, no step twice in a row (the two would be one held
 * move), at least one turn (the 3-D flatness check needs a >= 15° yaw change): 4 × 3 × 3 × 3 = 108
 * sequences without a repeat in a row, minus the two without a turn (LOOK_UP, LOOK_DOWN, LOOK_UP,
 * LOOK_DOWN and its reverse) = 106, issued with equal probability (ALL_ACTIVE_SEQUENCES).
 *
 * JUDGING (evaluateChallenge): from stepsStartMs on, the frames' moves must be, in time order,
 * exactly the issued steps: a move in any direction other than the step awaited — or the one just
 * done, which the user is holding or coming back from — is a wrong move. So the moves a recording
 * shows determine the ONE sequence it can answer (the first four directions it moves in, in
 * order): a recorded clip, whatever it shows, answers a random challenge with probability at most
 * 1/106 (< 1 %). (With only the opposite direction counting as wrong, a smooth head circle
 * answers 15 sequences, and 148 of the unit test's 500 random head paths answer several.) The
 * price: a genuine user whose head strays a full threshold in another direction between steps
 * fails with CHALLENGE_WRONG_DIRECTION.
 * Timing, on the client's frame timestamps: step k is due by stepsStartMs + (k + 1) ×
 * stepTimeoutMs, and each step must come at a later timestamp than the previous one. There is
 * no "faster than a head can turn" check: the timestamps are the client's own (a forger writes
 * plausible ones), and the engine's pose is too noisy between close frames to bound speed
 * safely (on the clip's close-up, 10 fps: pitch −21° -> −2° and yaw −29° -> −14° between frames
 * 100 ms apart), so a limit loose enough for honest users would catch only absurd timestamps.
 *
 * LIGHT FIRST: with `light: true`, a challenge (Passive or PassiveActive) starts with a light
 * sequence (light.ts: 6–10 full-screen colours, 1.8–5 s, judged by light-check.ts); the motion
 * steps start LIGHT_SETTLE_MS after it ends (stepsStartMs). The server issues light unless
 * FACEGRAPH_LIVENESS_LIGHT=off (challenge-issue.ts); the capture page shows it.
 *
 * Deterministic challenges (tests): createChallenge reads 16 bytes for the nonce, then one byte
 * per draw; the byte modulo 106 indexes ALL_ACTIVE_SEQUENCES (bytes 212–255 are redrawn), e.g. a
 * source returning 16 nonce bytes then 0 issues TURN_LEFT, TURN_RIGHT, TURN_LEFT, TURN_RIGHT.
 * The light sequence is drawn after the steps (createLightSequence's bytes).
 */
import { randomBytes } from 'node:crypto';
import { createLightSequence, lightDurationMs } from './light.js';
import { randomIndex, type RandomBytes } from './random.js';
import type { Challenge, ChallengeStep, LivenessOperationMode } from './types.js';

/** Yaw change from the baseline that completes a TURN step; also the 3-D check's minimum turn (DESIGN.md: >= ~15°). */
export const TURN_DEGREES = 15;
/** Pitch change from the baseline that completes LOOK_UP. */
export const LOOK_UP_DEGREES = 10;
/**
 * Pitch change (downward) that completes LOOK_DOWN: the same as LOOK_UP. Lowering the chin by
 * 10° is a small, comfortable nod (the neck flexes to ~45°); the engine's pitch on real footage
 * swings by up to ~20° between frames 100 ms apart when the mouth moves (the close-up of the
 * clip, singing), so a threshold much below 10° would be noise.
 */
export const LOOK_DOWN_DEGREES = 10;
/**
 * Time allowed per step, cumulative from stepsStartMs (step k is due by (k + 1) × this): a
 * person needs ~1.5–2.5 s per move including the return to the centre, so 4 steps take at most
 * 12 s and time saved on one step is left for the next.
 */
export const STEP_TIMEOUT_MS = 3000;
/**
 * Pause between the end of the light sequence and the first motion step, ms: time for the page
 * to switch from the full-screen colour back to the instructions, and for the user to read the
 * first one, before the head must move.
 */
export const LIGHT_SETTLE_MS = 500;
/** Steps in a PassiveActive challenge. */
export const STEPS_PER_CHALLENGE = 4;

export const CHALLENGE_STEPS: readonly ChallengeStep[] = ['TURN_LEFT', 'TURN_RIGHT', 'LOOK_UP', 'LOOK_DOWN'];

export const isTurn = (step: ChallengeStep): boolean => step === 'TURN_LEFT' || step === 'TURN_RIGHT';

/**
 * Every sequence of `length` steps with no step twice in a row and at least one turn, in
 * lexicographic order of CHALLENGE_STEPS.
 */
export function enumerateSequences(length: number): ChallengeStep[][] {
  let partial: ChallengeStep[][] = [[]];
  for (let i = 0; i < length; i++) {
    partial = partial.flatMap((seq) => CHALLENGE_STEPS.filter((s) => s !== seq[seq.length - 1]).map((s) => [...seq, s]));
  }
  return partial.filter((seq) => seq.some(isTurn));
}

/** Every PassiveActive challenge createChallenge can issue (106), each equally likely. */
export const ALL_ACTIVE_SEQUENCES: ReadonlyArray<readonly ChallengeStep[]> = Object.freeze(
  enumerateSequences(STEPS_PER_CHALLENGE).map((seq) => Object.freeze(seq)),
);

export { randomIndex, type RandomBytes };

/**
 * A fresh challenge: with `light`, a light sequence first (both modes), then the steps. Passive:
 * no steps (the nonce still binds the attempt to the session). PassiveActive: one of
 * ALL_ACTIVE_SEQUENCES, uniformly, starting LIGHT_SETTLE_MS after the light (at 0 without light).
 * Nonce: 16 random bytes, base64url.
 */
export function createChallenge(
  mode: LivenessOperationMode,
  random: RandomBytes = randomBytes,
  options: { light: boolean } = { light: false },
): Challenge {
  const nonceBytes = random(16);
  if (nonceBytes.length !== 16) throw new Error('random source must return the requested number of bytes');
  const nonce = Buffer.from(nonceBytes).toString('base64url');
  const steps = mode === 'Passive' ? [] : [...ALL_ACTIVE_SEQUENCES[randomIndex(ALL_ACTIVE_SEQUENCES.length, random)]!];
  if (!options.light) return { nonce, light: [], steps, stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS };
  const light = createLightSequence(random);
  return { nonce, light, steps, stepsStartMs: lightDurationMs(light) + LIGHT_SETTLE_MS, stepTimeoutMs: STEP_TIMEOUT_MS };
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

/**
 * The move a pose shows, relative to the baseline: the direction whose threshold the change
 * reaches, or, when yaw and pitch both reach theirs, the one further past it (a tie goes to the
 * turn); null when neither does.
 */
export function poseDirection(dYaw: number, dPitch: number): ChallengeStep | null {
  const yaw = Math.abs(dYaw) / TURN_DEGREES;
  const pitch = dPitch >= 0 ? dPitch / LOOK_UP_DEGREES : -dPitch / LOOK_DOWN_DEGREES;
  if (!(Math.max(yaw, pitch) >= 1)) return null;
  if (yaw >= pitch) return dYaw > 0 ? 'TURN_LEFT' : 'TURN_RIGHT';
  return dPitch > 0 ? 'LOOK_UP' : 'LOOK_DOWN';
}

/**
 * Judges a head-pose trajectory (usable frames, in time order; the first is the baseline)
 * against the issued steps (see JUDGING above). Frames before stepsStartMs (the light challenge)
 * are not judged.
 */
export function evaluateChallenge(
  samples: readonly PoseSample[],
  steps: readonly ChallengeStep[],
  stepTimeoutMs: number,
  stepsStartMs = 0,
): ChallengeEvaluation {
  const first = samples[0];
  const baselineYaw = first?.yaw ?? 0;
  const baselinePitch = first?.pitch ?? 0;
  const result: ChallengeEvaluation['steps'] = [];
  let k = 1; // next sample to look at
  while (k < samples.length && samples[k]!.t < stepsStartMs) k++;
  let previousStep: ChallengeStep | null = null;
  let previousT = -Infinity;
  let failed = false;
  for (const [s, step] of steps.entries()) {
    if (failed) {
      result.push({ step, outcome: 'missing', index: null, t: null });
      continue;
    }
    let outcome: StepOutcome = 'missing';
    let at: PoseSample | null = null;
    for (; k < samples.length; k++) {
      const p = samples[k]!;
      const move = poseDirection(p.yaw - baselineYaw, p.pitch - baselinePitch);
      // No move, the previous step still held (or on the way back from it), or a frame at the
      // previous step's very instant (two poses at one time cannot both be true).
      if (move === null || move === previousStep || p.t <= previousT) continue;
      at = p;
      if (move === step) outcome = p.t <= stepsStartMs + (s + 1) * stepTimeoutMs ? 'done' : 'late';
      else outcome = 'wrong_direction';
      k++;
      break;
    }
    if (outcome === 'done' && at) {
      previousStep = step;
      previousT = at.t;
    } else failed = true;
    result.push({ step, outcome, index: at?.index ?? null, t: at?.t ?? null });
  }
  return { performed: steps.length > 0 && !failed, steps: result, baselineYaw, baselinePitch };
}
