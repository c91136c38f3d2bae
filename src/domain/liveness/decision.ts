/**
 * The liveness decision for one attempt: pure, deterministic, no I/O. The engine has already
 * analysed every frame (faces, 68 landmarks, head pose, quality, embedding); this reads those
 * analyses and returns realface / spoofface / uncertain with machine-readable reasons and the
 * numbers behind them (kept in the attempt's audit record).
 *
 * Rules, in order (each failing rule adds a reason; REPLAYED_ATTEMPT stops at once):
 *  1. Replay        the attempt's digest was seen before                 -> REPLAYED_ATTEMPT (spoof)
 *  2. Frames        enough frames, valid client timestamps               -> TOO_FEW_FRAMES, INVALID_TIMESTAMPS (uncertain)
 *  3. One face      more than maxMultipleFaceFrames frames with 2+ faces   -> MULTIPLE_FACES (uncertain)
 *  4. Usable frames exactly one face, large enough, good enough quality; too few of them ->
 *                   NO_FACE / FACE_TOO_SMALL / LOW_QUALITY (whichever dropped frames) + TOO_FEW_USABLE_FRAMES (uncertain)
 *  5. Identity      one person throughout: the centroids of the frames before and after any
 *                   split point differ by more than IDENTITY_SPLIT_DISTANCE, or one frame is farther
 *                   than the verify threshold from the mean of the others -> IDENTITY_CHANGED (spoof)
 *  6. Light         the challenge has a light sequence (both modes): the skin's colour must follow
 *                   it (light-check.ts: judgeLight) -> LIGHT_NOT_REFLECTED, LIGHT_SEQUENCE_MISMATCH
 *                   (spoof); LIGHT_TOO_DARK, LIGHT_TOO_BRIGHT, LIGHT_FACE_TOO_FAR, LIGHT_UNJUDGEABLE
 *                   (uncertain: the scene did not let the check see a reflection)
 *  7. Challenge     PassiveActive: the issued steps done in order, in time, no move in a direction
 *                   not asked for (challenge.ts) -> CHALLENGE_MISSING (uncertain), CHALLENGE_NOT_PERFORMED,
 *                   CHALLENGE_WRONG_DIRECTION, CHALLENGE_TIMEOUT (spoof)
 *  8. 3-D structure when the head turned >= TURN_DEGREES from the first usable frame: the
 *                   homography residual between that frame and the yaw-extreme frames ÷ inter-ocular
 *                   distance; below FLAT_RESIDUAL the landmarks moved as one plane -> FLAT_SURFACE (spoof).
 *                   PassiveActive with no such turn (challenge failed anyway) -> NO_3D_EVIDENCE (uncertain).
 *  9. Live motion   Passive only: the median homography residual over all frame pairs (non-rigid
 *                   motion: expression, blinks, mouth, parallax); below MOTION_SPOOF_RESIDUAL ->
 *                   NO_LIVE_MOTION (spoof: a rigid flat picture), below MOTION_LIVE_RESIDUAL ->
 *                   INSUFFICIENT_LIVE_MOTION (uncertain).
 * Decision: any spoof reason -> spoofface; else any uncertain reason -> uncertain; else realface.
 *
 * The passive anti-spoof model is NOT used: on this project's measurements (DESIGN.md) it did not
 * separate real photos from simple degradations.
 *
 * Thresholds were measured with bench/liveness.ts (real engine on ../shared/video/hamilton-clip.mp4
 * and attacks rendered from its frames); see LIVENESS_THRESHOLDS and the bench's printed margins.
 * One subject, synthetic attacks: starting points, not proof.
 */
import { euclideanDistance, THRESHOLD as SAME_PERSON_DISTANCE } from '../similarity.js';
import { evaluateChallenge, LOOK_DOWN_DEGREES, LOOK_UP_DEGREES, TURN_DEGREES, type PoseSample } from './challenge.js';
import { interOcularDistance, planarResidual } from './flatness.js';
import { judgeLight, type LightOutcome } from './light-check.js';
import type { LightSample } from './light-sample.js';
import type { AttemptInput, DecisionResult, FrameAnalysis, FrameFace, LivenessDecision } from './types.js';

const DEFAULT_THRESHOLDS = {
  /** Fewest frames an attempt may have (the upload contract asks for 10–30). */
  minFrames: 8,
  /**
   * Frames with 2+ faces tolerated before MULTIPLE_FACES (they are never analysed: only frames
   * with exactly one face are usable). One: a single spurious detection — a face-like pattern, a
   * poster, a flash of colour on the background — in an attempt of 30–120 frames (the light
   * challenge films ~10 fps) must not make it uncertain; a second person in view shows in many.
   */
  maxMultipleFaceFrames: 1,
  /** Fewest usable frames (one face, large, good quality), and the smallest usable fraction. */
  minUsableFrames: 8,
  minUsableFraction: 0.7,
  /**
   * Face rectangle width below which a face is too small for landmark geometry, px. The bench's
   * close-up faces are 74–100 px (inter-ocular 30–39 px); the clip's wide shot (41–49 px) is out.
   * A real capture should be much closer (the capture page should ask for a face of >= ~150 px).
   */
  minFaceWidth: 64,
  /**
   * Quality gates (FrameFace.quality values, 0–1): garbage filters, not spoof detectors. Close-up
   * frames: blur 0.05–0.17, exposure 0.31–0.39, noise 0.06–0.12.
   */
  maxBlur: 0.6,
  minExposure: 0.1,
  maxExposure: 0.9,
  maxNoise: 0.7,
  /**
   * Distance between the mean embeddings before/after a split point above which the identity
   * changed. Bench: bona fide max 0.434, identity switches min 0.573 -> about the midpoint. (Single
   * frames cannot do this: at these face sizes one frame of the performer and one of another
   * person can be 0.53 apart while two of his own frames reach 0.78.)
   */
  identitySplitDistance: 0.5,
  /** Segments of at least this many frames on each side of a split. */
  identityMinSegment: 2,
  /** A frame farther than this from the mean of the others is another person (the verify threshold; bench bona fide max 0.542). */
  identityFrameDistance: SAME_PERSON_DISTANCE,
  /** Yaw change from the first usable frame that enables the 3-D check (same as a TURN step). */
  turnDegrees: TURN_DEGREES,
  lookUpDegrees: LOOK_UP_DEGREES,
  lookDownDegrees: LOOK_DOWN_DEGREES,
  /**
   * Homography residual ÷ inter-ocular distance at the turn extremes below which the face is flat.
   * Bench: bona fide (turn >= 15°) min 0.089; flat attacks at their yaw extremes max 0.067 -> about
   * the midpoint (DESIGN.md measured 0.07–0.10). Margins are small: 0.009 and 0.013.
   */
  flatResidual: 0.08,
  /**
   * Passive: median pairwise homography residual ÷ IOD below which motion is rigid-planar (spoof).
   * Bench: still photo with hand jitter max 0.022.
   */
  motionSpoofResidual: 0.03,
  /**
   * Passive: ... below which there is not enough live motion to accept (uncertain). Bench: bona fide
   * min 0.075 (a performer talking and turning; a calm user moves less), every flat attack (photo,
   * print, screen still) max 0.040 -> about the midpoint.
   */
  motionLiveResidual: 0.055,
  /** Largest number of frames (evenly sampled) the pairwise motion statistic looks at. */
  motionMaxFrames: 20,
};

export type LivenessThresholds = { readonly [K in keyof typeof DEFAULT_THRESHOLDS]: number };
export const LIVENESS_THRESHOLDS: LivenessThresholds = Object.freeze({ ...DEFAULT_THRESHOLDS });

/** Reason codes and the decision each one implies. */
export const REASONS = {
  REPLAYED_ATTEMPT: 'spoofface',
  TOO_FEW_FRAMES: 'uncertain',
  INVALID_TIMESTAMPS: 'uncertain',
  MULTIPLE_FACES: 'uncertain',
  NO_FACE: 'uncertain',
  FACE_TOO_SMALL: 'uncertain',
  LOW_QUALITY: 'uncertain',
  TOO_FEW_USABLE_FRAMES: 'uncertain',
  IDENTITY_CHANGED: 'spoofface',
  LIGHT_NOT_REFLECTED: 'spoofface',
  LIGHT_SEQUENCE_MISMATCH: 'spoofface',
  LIGHT_TOO_DARK: 'uncertain',
  LIGHT_TOO_BRIGHT: 'uncertain',
  LIGHT_FACE_TOO_FAR: 'uncertain',
  LIGHT_UNJUDGEABLE: 'uncertain',
  CHALLENGE_MISSING: 'uncertain',
  CHALLENGE_NOT_PERFORMED: 'spoofface',
  CHALLENGE_WRONG_DIRECTION: 'spoofface',
  CHALLENGE_TIMEOUT: 'spoofface',
  FLAT_SURFACE: 'spoofface',
  NO_3D_EVIDENCE: 'uncertain',
  NO_LIVE_MOTION: 'spoofface',
  INSUFFICIENT_LIVE_MOTION: 'uncertain',
} as const satisfies Record<string, Exclude<LivenessDecision, 'realface'>>;

export type ReasonCode = keyof typeof REASONS;

/** The reason each light-check outcome adds (REFLECTED adds none). */
export const LIGHT_REASONS: Readonly<Record<Exclude<LightOutcome, 'REFLECTED'>, ReasonCode>> = {
  NOT_REFLECTED: 'LIGHT_NOT_REFLECTED',
  SEQUENCE_MISMATCH: 'LIGHT_SEQUENCE_MISMATCH',
  TOO_DARK: 'LIGHT_TOO_DARK',
  TOO_BRIGHT: 'LIGHT_TOO_BRIGHT',
  FACE_TOO_FAR: 'LIGHT_FACE_TOO_FAR',
  UNJUDGEABLE: 'LIGHT_UNJUDGEABLE',
};

type FrameStatus = 'usable' | 'no_face' | 'multiple_faces' | 'too_small' | 'low_quality';

interface Usable {
  /** Index in input.frames. */
  index: number;
  /** ms since the first frame. */
  t: number;
  face: FrameFace;
}

export function frameStatus(frame: FrameAnalysis, th: LivenessThresholds = LIVENESS_THRESHOLDS): FrameStatus {
  if (frame.faces.length === 0) return 'no_face';
  if (frame.faces.length > 1) return 'multiple_faces';
  const f = frame.faces[0]!;
  // Landmarks the geometry cannot use (wrong count, non-finite, eyes on top of each other) count as too small.
  if (f.landmarks68.length !== 68 || !f.landmarks68.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))) return 'too_small';
  if (f.faceRectangle.width < th.minFaceWidth || !(interOcularDistance(f.landmarks68) >= 4)) return 'too_small';
  const q = f.quality;
  if (!(q.blur <= th.maxBlur && q.exposure >= th.minExposure && q.exposure <= th.maxExposure && q.noise <= th.maxNoise))
    return 'low_quality';
  return 'usable';
}

function meanEmbedding(es: readonly Float32Array[]): Float32Array {
  const m = new Float32Array(es[0]?.length ?? 0);
  for (const e of es) for (let i = 0; i < m.length; i++) m[i] = m[i]! + e[i]! / es.length;
  return m;
}

export interface IdentityMeasures {
  /** Largest distance between the mean embeddings of frames [0, k) and [k, n), over split points k. */
  splitDistance: number;
  /** Per frame: distance to the mean of the other frames. */
  frameDistances: number[];
}

/** Identity consistency of embeddings in time order. */
export function identityMeasures(
  embeddings: readonly Float32Array[],
  minSegment: number = LIVENESS_THRESHOLDS.identityMinSegment,
): IdentityMeasures {
  const n = embeddings.length;
  let splitDistance = 0;
  for (let k = minSegment; k <= n - minSegment; k++) {
    splitDistance = Math.max(splitDistance, euclideanDistance(meanEmbedding(embeddings.slice(0, k)), meanEmbedding(embeddings.slice(k))));
  }
  const frameDistances =
    n < 2 ? embeddings.map(() => 0) : embeddings.map((e, i) => euclideanDistance(e, meanEmbedding(embeddings.filter((_, j) => j !== i))));
  return { splitDistance, frameDistances };
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};

/** Median, over frame pairs (at most maxFrames frames, evenly sampled), of the homography residual ÷ IOD. */
export function motionResidual(faces: readonly FrameFace[], maxFrames: number = LIVENESS_THRESHOLDS.motionMaxFrames): number {
  const n = faces.length;
  const picked = n <= maxFrames ? faces : Array.from({ length: maxFrames }, (_, i) => faces[Math.round((i * (n - 1)) / (maxFrames - 1))]!);
  const residuals: number[] = [];
  for (let i = 0; i < picked.length; i++) {
    for (let j = i + 1; j < picked.length; j++)
      residuals.push(planarResidual(picked[i]!.landmarks68, picked[j]!.landmarks68, 'homography'));
  }
  return median(residuals);
}

export interface FlatnessMeasures {
  /** Largest |yaw − first frame's yaw|, degrees. */
  turnDegrees: number;
  /** Indices (into the given faces) of the largest positive and negative yaw changes. */
  extremes: number[];
  /** Homography residual ÷ IOD, first frame -> each yaw extreme with |Δyaw| >= turnDegrees; max; NaN if none. */
  residual: number;
  /** The same with an affine fit (for audit). */
  residualAffine: number;
}

/** The 3-D check: landmarks of the first frame against the frames at the yaw extremes. */
export function flatnessMeasures(faces: readonly FrameFace[], turnDegrees: number = LIVENESS_THRESHOLDS.turnDegrees): FlatnessMeasures {
  const first = faces[0];
  if (!first) return { turnDegrees: 0, extremes: [], residual: Number.NaN, residualAffine: Number.NaN };
  const dYaw = faces.map((f) => f.pose.yaw - first.pose.yaw);
  let iMax = 0;
  let iMin = 0;
  dYaw.forEach((d, i) => {
    if (d > dYaw[iMax]!) iMax = i;
    if (d < dYaw[iMin]!) iMin = i;
  });
  const turn = Math.max(Math.abs(dYaw[iMax]!), Math.abs(dYaw[iMin]!));
  const extremes = [...new Set([iMax, iMin])].filter((i) => Math.abs(dYaw[i]!) >= turnDegrees);
  if (extremes.length === 0) return { turnDegrees: turn, extremes, residual: Number.NaN, residualAffine: Number.NaN };
  const residual = Math.max(...extremes.map((i) => planarResidual(first.landmarks68, faces[i]!.landmarks68, 'homography')));
  const residualAffine = Math.max(...extremes.map((i) => planarResidual(first.landmarks68, faces[i]!.landmarks68, 'affine')));
  return { turnDegrees: turn, extremes, residual, residualAffine };
}

/** Best frame among the candidates: largest, sharpest, most frontal (each scored 0–1, summed). */
export function bestFrame(candidates: readonly Usable[]): Usable | null {
  if (candidates.length === 0) return null;
  const wMax = Math.max(...candidates.map((c) => c.face.faceRectangle.width));
  let best: Usable | null = null;
  let bestScore = -Infinity;
  for (const c of candidates) {
    const f = c.face;
    const size = wMax > 0 ? f.faceRectangle.width / wMax : 0;
    const sharp = 1 - Math.min(1, Math.max(0, f.quality.blur));
    const frontal = 1 - Math.min(1, (Math.abs(f.pose.yaw) + Math.abs(f.pose.pitch)) / 45);
    const score = size + sharp + frontal;
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function decideAttempt(input: AttemptInput, th: LivenessThresholds = LIVENESS_THRESHOLDS): DecisionResult {
  const reasons: ReasonCode[] = [];
  const measures: Record<string, number> = {};
  const add = (r: ReasonCode): void => {
    if (!reasons.includes(r)) reasons.push(r);
  };
  const set = (k: string, v: number): void => {
    if (Number.isFinite(v)) measures[k] = round(v);
  };
  const { frames } = input;
  set('frames', frames.length);

  // 1. Replay: the same bytes were submitted before.
  if (input.previousDigests.has(input.digest)) {
    add('REPLAYED_ATTEMPT');
    return finish(reasons, measures, null);
  }

  // 2. Frames and client timestamps (ms; made relative to the first frame).
  if (frames.length < th.minFrames) add('TOO_FEW_FRAMES');
  const t0 = frames[0]?.t ?? 0;
  const times = frames.map((f) => f.t - t0);
  const timesValid =
    frames.every((f, i) => Number.isFinite(f.t) && (i === 0 || f.t >= frames[i - 1]!.t)) &&
    (frames.length < 2 || times[times.length - 1]! > 0);
  if (!timesValid) add('INVALID_TIMESTAMPS');
  if (timesValid) set('durationMs', times[times.length - 1] ?? 0);

  // 3–4. Per-frame face count, size and quality.
  const statuses = frames.map((f) => frameStatus(f, th));
  const count = (s: FrameStatus): number => statuses.filter((x) => x === s).length;
  set('framesNoFace', count('no_face'));
  set('framesMultipleFaces', count('multiple_faces'));
  set('framesTooSmall', count('too_small'));
  set('framesLowQuality', count('low_quality'));
  const usable: Usable[] = [];
  statuses.forEach((s, i) => {
    if (s === 'usable') usable.push({ index: i, t: times[i] ?? 0, face: frames[i]!.faces[0]! });
  });
  set('usableFrames', usable.length);
  if (count('multiple_faces') > th.maxMultipleFaceFrames) add('MULTIPLE_FACES');
  const enoughUsable = usable.length >= th.minUsableFrames && usable.length >= th.minUsableFraction * frames.length;
  if (!enoughUsable) {
    if (count('no_face') > 0) add('NO_FACE');
    if (count('too_small') > 0) add('FACE_TOO_SMALL');
    if (count('low_quality') > 0) add('LOW_QUALITY');
    add('TOO_FEW_USABLE_FRAMES');
  }
  if (usable.length > 0) {
    const iods = usable.map((u) => interOcularDistance(u.face.landmarks68));
    set('minInterOcularPx', Math.min(...iods));
    set('minFaceWidthPx', Math.min(...usable.map((u) => u.face.faceRectangle.width)));
  }

  // 5. The same person in every usable frame.
  let consistent = usable;
  if (usable.length >= 2) {
    const id = identityMeasures(
      usable.map((u) => u.face.embedding),
      th.identityMinSegment,
    );
    const maxFrame = Math.max(...id.frameDistances);
    set('identitySplitDistance', id.splitDistance);
    set('identityMaxFrameDistance', maxFrame);
    if (id.splitDistance > th.identitySplitDistance || maxFrame > th.identityFrameDistance) add('IDENTITY_CHANGED');
    consistent = usable.filter((_, i) => id.frameDistances[i]! <= th.identityFrameDistance);
  }

  const faces = usable.map((u) => u.face);
  if (usable.length >= 2) {
    const yaws = faces.map((f) => f.pose.yaw);
    const pitches = faces.map((f) => f.pose.pitch);
    set('yawStart', yaws[0]!);
    set('yawMin', Math.min(...yaws));
    set('yawMax', Math.max(...yaws));
    set('pitchStart', pitches[0]!);
    set('pitchMin', Math.min(...pitches));
    set('pitchMax', Math.max(...pitches));
  }

  // 6. The light challenge (either mode), when one was issued: judged on every frame with a
  // light measure (the check itself needs a face and a background in each), on the timestamps
  // relative to the first frame, where the sequence starts.
  const light = input.challenge?.light ?? [];
  if (light.length > 0 && timesValid) {
    const samples: LightSample[] = frames.flatMap((f, i) => (f.light ? [{ t: times[i]!, ...f.light }] : []));
    const verdict = judgeLight(samples, light);
    set('lightScore', verdict.score);
    set('lightLagMs', verdict.lagMs);
    set('lightAmplitude', verdict.amplitude);
    set('lightFrames', verdict.frames);
    if (verdict.outcome !== 'REFLECTED') add(LIGHT_REASONS[verdict.outcome]);
  }

  // 7. The challenge (PassiveActive).
  if (input.mode === 'PassiveActive') {
    const steps = input.challenge?.steps ?? [];
    if (!input.challenge || steps.length === 0) {
      add('CHALLENGE_MISSING');
    } else if (enoughUsable && timesValid) {
      const samples: PoseSample[] = usable.map((u) => ({ index: u.index, t: u.t, yaw: u.face.pose.yaw, pitch: u.face.pose.pitch }));
      const ev = evaluateChallenge(samples, steps, input.challenge.stepTimeoutMs, input.challenge.stepsStartMs);
      ev.steps.forEach((s, k) => {
        if (s.t !== null && s.outcome !== 'wrong_direction') set(`step${k + 1}DoneMs`, s.t);
      });
      const outcomes = ev.steps.map((s) => s.outcome);
      if (outcomes.includes('wrong_direction')) add('CHALLENGE_WRONG_DIRECTION');
      else if (outcomes.includes('late')) add('CHALLENGE_TIMEOUT');
      else if (!ev.performed) add('CHALLENGE_NOT_PERFORMED');
    }
  }

  // 8. 3-D structure between the start and the turn extremes.
  if (usable.length >= 2) {
    const flat = flatnessMeasures(faces, th.turnDegrees);
    set('turnDegrees', flat.turnDegrees);
    set('flatnessResidual', flat.residual);
    set('flatnessResidualAffine', flat.residualAffine);
    if (Number.isFinite(flat.residual)) {
      if (flat.residual < th.flatResidual) add('FLAT_SURFACE');
    } else if (input.mode === 'PassiveActive' && enoughUsable) {
      add('NO_3D_EVIDENCE');
    }
  }

  // 9. Live (non-rigid) motion, the Passive mode's defence against a still picture. (Not computed
  // in PassiveActive, where it does not take part: ~190 homography fits, ~10 ms.)
  if (input.mode === 'Passive' && usable.length >= 2) {
    const motion = motionResidual(faces, th.motionMaxFrames);
    set('motionResidual', motion);
    if (enoughUsable) {
      if (motion < th.motionSpoofResidual) add('NO_LIVE_MOTION');
      else if (motion < th.motionLiveResidual) add('INSUFFICIENT_LIVE_MOTION');
    }
  }

  // The probe: only from frames consistent with the attempt's identity, and none if it changed.
  const best = reasons.includes('IDENTITY_CHANGED') ? null : bestFrame(consistent);
  return finish(reasons, measures, best);
}

function finish(reasons: ReasonCode[], measures: Record<string, number>, best: Usable | null): DecisionResult {
  const implied = reasons.map((r) => REASONS[r]);
  const decision: LivenessDecision = implied.includes('spoofface') ? 'spoofface' : implied.includes('uncertain') ? 'uncertain' : 'realface';
  if (best) measures.bestFrameIndex = best.index;
  return {
    decision,
    reasons: [...reasons],
    bestFrameIndex: best?.index ?? null,
    targetFace: best ? { ...best.face.faceRectangle } : null,
    measures,
  };
}
