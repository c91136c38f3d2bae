/**
 * decideAttempt (src/liveness/decision.ts): every reason code on synthetic frame analyses (a
 * 3-D landmark face turned and projected, or a flat copy of it moved by 2-D maps: generated, not
 * taken from the clip), and tests on real frames through the real engine that use only data the
 * thresholds were NOT fitted on (see "held-out real frames" below).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceWith, liveSequence, photoSequence, rng } from '../../tools/liveness-synthetic/landmarks.js';
import { faceCentre, renderPhotoJitter } from '../../tools/liveness-synthetic/attacks.js';
import { encodeJpeg, loadRgb, placeOnCanvas } from '../../tools/liveness-synthetic/render.js';
import { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import { decodeImage } from '../../src/adapters/engine/decode.js';
import { measureLightSample } from '../../src/domain/liveness/light-sample.js';
import type { DetectedFrame } from '../../src/ports/face-provider.js';
import { LIVENESS_DETECT_OPTIONS, toFrameAnalysis } from '../../src/domain/liveness/decision-input.js';
import {
  ALL_ACTIVE_SEQUENCES,
  evaluateChallenge,
  LOOK_DOWN_DEGREES,
  STEP_TIMEOUT_MS,
  TURN_DEGREES,
  type PoseSample,
} from '../../src/domain/liveness/challenge.js';
import { decideAttempt, LIVENESS_THRESHOLDS, REASONS, type ReasonCode } from '../../src/domain/liveness/decision.js';
import type { AttemptInput, ChallengeStep, DecisionResult, FrameAnalysis, LivenessOperationMode } from '../../src/domain/liveness/types.js';
import { ffmpegPath } from '../../tools/ffmpeg.js';
import { lightMeasures, NEAR, type Filming } from '../helpers/light-frames.js';
import { LIGHT_SETTLE_MS } from '../../src/domain/liveness/challenge.js';
import { lightDurationMs } from '../../src/domain/liveness/light.js';
import type { LightFlash } from '../../src/domain/liveness/types.js';
import { SHARED_DIR } from '../helpers/paths.js';

const ramp = (n: number, f: (u: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i / (n - 1)));
/** Head turns to the user's left (yaw +25°), then to their right (−25°), over 2 s. */
const LEFT_RIGHT = ramp(20, (u) => 25 * Math.sin(2 * Math.PI * u));

/** An issuable challenge (ALL_ACTIVE_SEQUENCES) and a head performing it: each move out and back over 5 frames 400 ms apart. */
const SEQUENCE: ChallengeStep[] = ['TURN_LEFT', 'LOOK_DOWN', 'TURN_RIGHT', 'LOOK_UP'];
function performing(steps: readonly ChallengeStep[], dt = 400): FrameAnalysis[] {
  const shape = [0.4, 0.8, 1, 0.6, 0];
  const yaw = [0, ...steps.flatMap((s) => shape.map((u) => (s === 'TURN_LEFT' ? 24 * u : s === 'TURN_RIGHT' ? -24 * u : 0)))];
  const pitch = [0, ...steps.flatMap((s) => shape.map((u) => (s === 'LOOK_UP' ? 15 * u : s === 'LOOK_DOWN' ? -15 * u : 0)))];
  return liveSequence({ yaw, pitch, dt });
}

const covered = new Set<string>();

function decide(
  frames: FrameAnalysis[],
  mode: LivenessOperationMode,
  steps: ChallengeStep[] | null = [],
  extra: Partial<AttemptInput> = {},
): DecisionResult {
  const input: AttemptInput = {
    mode,
    frames,
    challenge: steps === null ? null : { nonce: 'test-nonce', light: [], steps, stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS },
    previousDigests: new Set(),
    digest: 'digest-1',
    ...extra,
  };
  const r = decideAttempt(input);
  r.reasons.forEach((x) => covered.add(x));
  return r;
}

const live = (): FrameAnalysis[] => liveSequence({ yaw: LEFT_RIGHT });
const photo = (): FrameAnalysis[] => photoSequence({ frames: 20 });

describe('realface', () => {
  it('a live head turning left then right: realface in Passive', () => {
    const p = decide(live(), 'Passive');
    expect(p).toMatchObject({ decision: 'realface', reasons: [] });
    expect(p.measures.flatnessResidual).toBeGreaterThan(LIVENESS_THRESHOLDS.flatResidual);
    expect(p.measures.motionResidual).toBeGreaterThan(LIVENESS_THRESHOLDS.motionLiveResidual);
    expect(p.measures.turnDegrees).toBeGreaterThan(20);
  });

  it('a live head doing the 4 issued moves in order, in time: realface in PassiveActive', () => {
    expect(ALL_ACTIVE_SEQUENCES).toContainEqual(SEQUENCE);
    const a = decide(performing(SEQUENCE), 'PassiveActive', SEQUENCE);
    expect(a).toMatchObject({ decision: 'realface', reasons: [] });
    const done = [1, 2, 3, 4].map((k) => a.measures[`step${k}DoneMs`]!);
    expect(done).toEqual([...done].sort((x, y) => x - y));
    expect(done[3]).toBeLessThanOrEqual(4 * STEP_TIMEOUT_MS);
    expect(a.measures.pitchMin).toBeLessThan(a.measures.pitchStart! - LOOK_DOWN_DEGREES);
  });

  it('best frame: the largest, sharpest, most frontal usable frame; targetFace is its rectangle', () => {
    const frames = live().map((f, i) => ({
      ...f,
      faces: f.faces.map((x) => ({ ...x, quality: { ...x.quality, blur: i === 10 ? 0.05 : 0.5 } })),
    }));
    const r = decide(frames, 'Passive');
    expect(r.decision).toBe('realface');
    expect(r.bestFrameIndex).toBe(10);
    expect(r.targetFace).toEqual(frames[10]!.faces[0]!.faceRectangle);
  });

  it('is pure: the input is not modified and the same input gives the same result', () => {
    const frames = live();
    const snapshot = JSON.stringify(frames);
    const a = decide(frames, 'Passive');
    expect(JSON.stringify(frames)).toBe(snapshot);
    expect(decide(frames, 'Passive')).toEqual(a);
  });
});

describe('spoofface', () => {
  it('REPLAYED_ATTEMPT: a digest seen before is refused at once, with no best frame', () => {
    const r = decide(live(), 'Passive', [], { digest: 'abc', previousDigests: new Set(['abc']) });
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['REPLAYED_ATTEMPT'], bestFrameIndex: null, targetFace: null });
  });

  it('IDENTITY_CHANGED: another person from the middle of the attempt; no best frame', () => {
    const a = liveSequence({ yaw: LEFT_RIGHT, identity: 1 });
    const b = liveSequence({ yaw: LEFT_RIGHT, identity: 2 });
    const r = decide([...a.slice(0, 10), ...b.slice(10)], 'Passive');
    expect(r.decision).toBe('spoofface');
    expect(r.reasons).toContain('IDENTITY_CHANGED');
    expect(r.measures.identitySplitDistance).toBeGreaterThan(LIVENESS_THRESHOLDS.identitySplitDistance);
    expect(r.bestFrameIndex).toBeNull();
  });

  it('IDENTITY_CHANGED: one frame of another person is caught too', () => {
    const a = live();
    const intruder = liveSequence({ yaw: LEFT_RIGHT, identity: 9 });
    a[7] = intruder[7]!;
    const r = decide(a, 'Passive');
    expect(r.reasons).toContain('IDENTITY_CHANGED');
    expect(r.measures.identityMaxFrameDistance).toBeGreaterThan(LIVENESS_THRESHOLDS.identityFrameDistance);
  });

  it('NO_LIVE_MOTION (Passive): a still photo with hand jitter moves rigidly and flat', () => {
    const r = decide(photo(), 'Passive');
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['NO_LIVE_MOTION'] });
    expect(r.measures.motionResidual).toBeLessThan(LIVENESS_THRESHOLDS.motionSpoofResidual);
  });

  it('FLAT_SURFACE: a photo whose measured yaw swings by 25° still moves its landmarks by one homography', () => {
    // The engine's yaw fooled (say, a strongly tilted print): the 3-D check does not trust it.
    const frames = photoSequence({ frames: 20, perspective: 0.0004 }).map((f, i) => ({
      ...f,
      faces: f.faces.map((x) => ({ ...x, pose: { ...x.pose, yaw: 3 + LEFT_RIGHT[i]! } })),
    }));
    for (const mode of ['Passive', 'PassiveActive'] as const) {
      const r = decide(frames, mode, SEQUENCE);
      expect(r.decision).toBe('spoofface');
      expect(r.reasons).toContain('FLAT_SURFACE');
      expect(r.measures.flatnessResidual).toBeLessThan(LIVENESS_THRESHOLDS.flatResidual);
      expect(r.measures.turnDegrees).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.turnDegrees);
    }
  });

  it('CHALLENGE_NOT_PERFORMED: 3 of the 4 moves; the head turned left but never looked up; a photo that never turns also lacks 3-D evidence', () => {
    const threeOfFour = decide(performing(SEQUENCE.slice(0, 3)), 'PassiveActive', SEQUENCE);
    expect(threeOfFour).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_NOT_PERFORMED'] });
    expect(threeOfFour.measures.step3DoneMs).toBeDefined();
    const onlyLeft = liveSequence({ yaw: ramp(20, (u) => 25 * Math.sin(Math.PI * u)) });
    const r = decide(onlyLeft, 'PassiveActive', ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN']);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_NOT_PERFORMED'] });
    const p = decide(photo(), 'PassiveActive', ['TURN_RIGHT', 'LOOK_UP', 'TURN_LEFT', 'LOOK_DOWN']);
    expect(p.decision).toBe('spoofface');
    expect(p.reasons).toEqual(['CHALLENGE_NOT_PERFORMED', 'NO_3D_EVIDENCE']);
  });

  it('CHALLENGE_WRONG_DIRECTION: asked to turn right first, the head turned left (raw frame: left = yaw up)', () => {
    const r = decide(live(), 'PassiveActive', ['TURN_RIGHT', 'TURN_LEFT', 'LOOK_UP', 'TURN_LEFT']);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_WRONG_DIRECTION'] });
  });

  it('CHALLENGE_WRONG_DIRECTION: asked to look down, the head looked up (pitch > 0 = up)', () => {
    const steps: ChallengeStep[] = ['TURN_LEFT', 'LOOK_DOWN', 'TURN_RIGHT', 'LOOK_UP'];
    const r = decide(performing(['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN']), 'PassiveActive', steps);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_WRONG_DIRECTION'] });
    expect(r.measures.step1DoneMs).toBeDefined();
    expect(r.measures.step2DoneMs).toBeUndefined();
  });

  it('CHALLENGE_TIMEOUT: the 4 moves in order, the last after 4 x stepTimeoutMs', () => {
    // 700 ms between frames: the moves are done at 1.4, 4.9, 8.4 s and 11.9 s (due 12 s)...
    expect(decide(performing(SEQUENCE, 700), 'PassiveActive', SEQUENCE).decision).toBe('realface');
    // ...800 ms: at 1.6, 5.6, 9.6 (due 9) s.
    const slow = decide(performing(SEQUENCE, 800), 'PassiveActive', SEQUENCE);
    expect(slow).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_TIMEOUT'] });
    expect(slow.measures.step2DoneMs).toBeLessThanOrEqual(2 * STEP_TIMEOUT_MS);
    expect(slow.measures.step3DoneMs).toBeGreaterThan(3 * STEP_TIMEOUT_MS);
  });
});

describe('uncertain', () => {
  it('TOO_FEW_FRAMES', () => {
    const r = decide(live().slice(0, 5), 'Passive');
    expect(r.decision).toBe('uncertain');
    expect(r.reasons).toContain('TOO_FEW_FRAMES');
  });

  it('INVALID_TIMESTAMPS: time going backwards, or not finite', () => {
    const frames = live();
    frames[5] = { ...frames[5]!, t: 10 };
    expect(decide(frames, 'Passive')).toMatchObject({ decision: 'uncertain', reasons: ['INVALID_TIMESTAMPS'] });
    const nan = live();
    nan[3] = { ...nan[3]!, t: Number.NaN };
    expect(decide(nan, 'Passive').reasons).toContain('INVALID_TIMESTAMPS');
  });

  it('MULTIPLE_FACES: a second face in two frames or more; one stray detection is left out, not held against the attempt', () => {
    const random = rng(5);
    const withSecondFace = (frames: FrameAnalysis[], i: number): void => {
      const other = faceWith({
        landmarks: frames[i]!.faces[0]!.landmarks68.map((p) => ({ x: p.x + 200, y: p.y })),
        yaw: 0,
        pitch: 0,
        identity: 3,
        t: 0,
        random,
      });
      frames[i] = { ...frames[i]!, faces: [...frames[i]!.faces, other] };
    };
    const once = live();
    withSecondFace(once, 4);
    const r1 = decide(once, 'Passive');
    expect(r1.measures.framesMultipleFaces).toBe(1);
    expect(r1.measures.usableFrames).toBe(once.length - 1);
    expect(r1.reasons).not.toContain('MULTIPLE_FACES');
    expect(r1.decision).toBe(decide(live(), 'Passive').decision);

    const twice = live();
    withSecondFace(twice, 4);
    withSecondFace(twice, 9);
    const r2 = decide(twice, 'Passive');
    expect(r2.decision).toBe('uncertain');
    expect(r2.reasons).toEqual(['MULTIPLE_FACES']);
    expect(r2.measures.framesMultipleFaces).toBe(2);
  });

  it('NO_FACE: too many frames without a face', () => {
    const frames = live().map((f, i) => (i % 2 ? { ...f, faces: [] } : f));
    const r = decide(frames, 'Passive');
    expect(r.decision).toBe('uncertain');
    expect(r.reasons).toEqual(expect.arrayContaining(['NO_FACE', 'TOO_FEW_USABLE_FRAMES']));
  });

  it('a few frames without a face are tolerated (counted in measures)', () => {
    const frames = live().map((f, i) => (i === 3 || i === 12 ? { ...f, faces: [] } : f));
    const r = decide(frames, 'Passive');
    expect(r.decision).toBe('realface');
    expect(r.measures.framesNoFace).toBe(2);
  });

  it('FACE_TOO_SMALL: faces below the minimum width', () => {
    const r = decide(liveSequence({ yaw: LEFT_RIGHT, pxPerUnit: 0.3 }), 'Passive');
    expect(r.decision).toBe('uncertain');
    expect(r.reasons).toEqual(expect.arrayContaining(['FACE_TOO_SMALL', 'TOO_FEW_USABLE_FRAMES']));
  });

  it('LOW_QUALITY: blurred frames', () => {
    const frames = live().map((f) => ({ ...f, faces: f.faces.map((x) => ({ ...x, quality: { ...x.quality, blur: 0.9 } })) }));
    const r = decide(frames, 'Passive');
    expect(r.decision).toBe('uncertain');
    expect(r.reasons).toEqual(expect.arrayContaining(['LOW_QUALITY', 'TOO_FEW_USABLE_FRAMES']));
  });

  it('CHALLENGE_MISSING: PassiveActive without a challenge (a server-side error, not the user)', () => {
    expect(decide(live(), 'PassiveActive', null)).toMatchObject({ decision: 'uncertain', reasons: ['CHALLENGE_MISSING'] });
    expect(decide(live(), 'PassiveActive', []).reasons).toEqual(['CHALLENGE_MISSING']);
  });

  it('INSUFFICIENT_LIVE_MOTION (Passive): a face that barely moves', () => {
    const calm = liveSequence({ yaw: ramp(20, (u) => 5 * Math.sin(6 * u)), mouth: ramp(20, (u) => 0.3 + 0.5 * Math.sin(8 * u)) });
    const r = decide(calm, 'Passive');
    expect(r).toMatchObject({ decision: 'uncertain', reasons: ['INSUFFICIENT_LIVE_MOTION'] });
    expect(r.measures.motionResidual).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.motionSpoofResidual);
    expect(r.measures.motionResidual).toBeLessThan(LIVENESS_THRESHOLDS.motionLiveResidual);
  });

  it('degenerate landmarks are not usable (no exception)', () => {
    const frames = live().map((f) => ({
      ...f,
      faces: f.faces.map((x) => ({ ...x, landmarks68: x.landmarks68.map(() => ({ x: 5, y: 5 })) })),
    }));
    expect(decide(frames, 'Passive').reasons).toContain('TOO_FEW_USABLE_FRAMES');
  });
});

// The light challenge (light-check.ts) inside the decision: the frames carry light measures of
// synthetic frames (test/helpers/light-frames.ts) with or without the reflection of the issued
// flashes; the head moves as in the tests above.
describe('the light challenge', () => {
  const FLASHES: LightFlash[] = [
    { color: 'RED', durationMs: 400 },
    { color: 'CYAN', durationMs: 300 },
    { color: 'GREEN', durationMs: 500 },
    { color: 'MAGENTA', durationMs: 400 },
    { color: 'YELLOW', durationMs: 300 },
    { color: 'BLUE', durationMs: 400 },
  ];
  const OTHER: LightFlash[] = [
    { color: 'BLUE', durationMs: 300 },
    { color: 'YELLOW', durationMs: 500 },
    { color: 'RED', durationMs: 300 },
    { color: 'GREEN', durationMs: 400 },
    { color: 'CYAN', durationMs: 400 },
    { color: 'MAGENTA', durationMs: 400 },
  ];
  const stepsStartMs = lightDurationMs(FLASHES) + LIGHT_SETTLE_MS;

  /** Passive: a live head turning left then right over 4 s at 10 fps, filmed while `light` is shown. */
  function passive(light: Omit<Filming, 'shown'> & { shown?: LightFlash[] }): FrameAnalysis[] {
    const frames = liveSequence({ yaw: ramp(40, (u) => 25 * Math.sin(2 * Math.PI * u)) });
    const measures = lightMeasures(
      frames.map((f) => f.t),
      { shown: FLASHES, ...light },
    );
    return frames.map((f, i) => ({ ...f, light: measures[i]! }));
  }
  const withLight = (frames: FrameAnalysis[], mode: LivenessOperationMode, steps: ChallengeStep[] = []): DecisionResult => {
    const challenge = { nonce: 'n', light: FLASHES, steps, stepsStartMs, stepTimeoutMs: STEP_TIMEOUT_MS };
    const r = decideAttempt({ mode, frames, challenge, previousDigests: new Set(), digest: 'd' });
    r.reasons.forEach((x) => covered.add(x));
    return r;
  };

  it('Passive: the issued flashes reflected by a live head: realface, with the light measures in the audit', () => {
    const r = withLight(passive({ strength: 0.05 }), 'Passive');
    expect(r).toMatchObject({ decision: 'realface', reasons: [] });
    expect(r.measures.lightScore).toBeGreaterThanOrEqual(0.6);
    expect(r.measures.lightFrames).toBeGreaterThanOrEqual(10);
  });

  it('PassiveActive: the light while the head is still, then the 4 moves from stepsStartMs on: realface', () => {
    const still = liveSequence({ yaw: Array.from({ length: stepsStartMs / 100 }, () => 0), seed: 3 });
    const moves = performing(SEQUENCE).map((f, i) => ({ ...f, t: stepsStartMs + i * 400 }));
    const times = [...still.map((f) => f.t), ...moves.map((f) => f.t)];
    for (const [strength, decision, reasons] of [
      [0.05, 'realface', []],
      // The same head, no reflection: a replay of a person doing these moves.
      [0, 'spoofface', ['LIGHT_NOT_REFLECTED']],
    ] as const) {
      const measures = lightMeasures(times, { shown: FLASHES, strength });
      const frames = [...still, ...moves].map((f, i) => ({ ...f, light: measures[i]! }));
      const r = withLight(frames, 'PassiveActive', SEQUENCE);
      expect(r).toMatchObject({ decision, reasons });
      expect(r.measures.step4DoneMs).toBeGreaterThan(stepsStartMs);
    }
  });

  it('LIGHT_NOT_REFLECTED: a live head (a replayed video of one) with no reflection: spoofface', () => {
    expect(withLight(passive({ strength: 0 }), 'Passive')).toMatchObject({ decision: 'spoofface', reasons: ['LIGHT_NOT_REFLECTED'] });
  });

  it('LIGHT_SEQUENCE_MISMATCH: another sequence reflected (a recording of an earlier attempt): spoofface', () => {
    const r = withLight(passive({ strength: 0.05, shown: OTHER }), 'Passive');
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['LIGHT_SEQUENCE_MISMATCH'] });
    expect(r.measures.lightScore).toBeLessThan(0.6);
  });

  it('LIGHT_TOO_DARK, LIGHT_TOO_BRIGHT, LIGHT_FACE_TOO_FAR: a scene the check cannot see into is uncertain, not spoof', () => {
    const dark = passive({ strength: 0, scene: { ...NEAR, skin: [24, 17, 13], background: [20, 19, 18] } });
    expect(withLight(dark, 'Passive')).toMatchObject({ decision: 'uncertain', reasons: ['LIGHT_TOO_DARK'] });
    const bright = passive({ strength: 0, scene: { ...NEAR, skin: [250, 244, 238], background: [200, 200, 200] } });
    expect(withLight(bright, 'Passive')).toMatchObject({ decision: 'uncertain', reasons: ['LIGHT_TOO_BRIGHT'] });
    const far = passive({ strength: 0, scene: { ...NEAR, face: { left: 150, top: 90, width: 40, height: 44 } } });
    expect(withLight(far, 'Passive')).toMatchObject({ decision: 'uncertain', reasons: ['LIGHT_FACE_TOO_FAR'] });
  });

  it('LIGHT_UNJUDGEABLE: frames without light measures (a provider that cannot measure pixels): uncertain', () => {
    const frames = liveSequence({ yaw: ramp(40, (u) => 25 * Math.sin(2 * Math.PI * u)) });
    expect(withLight(frames, 'Passive')).toMatchObject({ decision: 'uncertain', reasons: ['LIGHT_UNJUDGEABLE'] });
  });

  it('a challenge without light (issued before the light challenge existed) is judged as before', () => {
    expect(decide(passive({ strength: 0 }), 'Passive')).toMatchObject({ decision: 'realface', reasons: [] });
  });
});

describe('reason codes', () => {
  it('every reason code is exercised by the tests above', () => {
    const all = Object.keys(REASONS) as ReasonCode[];
    expect(all.filter((r) => !covered.has(r))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Real data through the real engine, held out from the thresholds' fitting.
//
// Fit set: bench/liveness.ts fitted LIVENESS_THRESHOLDS (commit bc5422f) on the clip's close-up,
// t = 3.6–7.8 s at 10 fps (bench/lib/liveness-data.ts CLOSEUP, frames 36–78): every genuine window
// of it, the photo/print/screen attacks rendered from its frames 36, 41, ... 76, the screen replay
// of that whole shot, and identity switches to photos of the OTHER people in ../shared/faces/people
// (lin_manuel_miranda excluded). Nothing of 3.6–7.8 s is used below.
//
// Held out:
//   genuine  the clip's wide shot, t = 0.85–1.45 s, where the same performer turns his head ~24°
//            while singing (the bench left the wide shot out: faces of 41–49 px are under the
//            64 px minimum); cropped around him and scaled 2x, so faces are ~80–90 px, at the
//            clip's own 29.97 fps;
//   attack   a still photo made from ../shared/faces/people/lin_manuel_miranda/1.png (the same
//            person; never used by the liveness bench: only bench/calibrate.ts uses it, for the
//            recognition confidence, which the NO_LIVE_MOTION check below does not involve),
//            placed on a 640x360 frame at the close-up's face size and moved by the shared
//            hand-jitter renderer (tools/liveness-synthetic/attacks.ts).
// The synthetic landmark sequences of the tests above are generated from a 3-D point model, not
// taken from any footage.
const CLIP = path.join(SHARED_DIR, 'video', 'hamilton-clip.mp4');
const PORTRAIT = path.join(SHARED_DIR, 'faces', 'people', 'lin_manuel_miranda', '1.png');
const CLIP_FPS = 30_000 / 1001;

describe("held-out real frames (embedded engine; not the bench's fit set)", () => {
  let provider: EmbeddedProvider;
  let dir: string;
  let wide: Buffer[];
  let wideFrames: FrameAnalysis[];

  const analyse = async (frames: readonly Buffer[], width: number, height: number, dtMs: number): Promise<FrameAnalysis[]> =>
    Promise.all(
      frames.map(async (b, i) => toFrameAnalysis(Math.round(i * dtMs), width, height, await provider.detect(b, LIVENESS_DETECT_OPTIONS))),
    );
  const digest = (frames: readonly Buffer[]): string => {
    const h = createHash('sha256');
    frames.forEach((f) => h.update(f));
    return h.digest('hex');
  };
  const poses = (frames: readonly FrameAnalysis[]): PoseSample[] =>
    frames.map((f, index) => ({ index, t: f.t, yaw: f.faces[0]!.pose.yaw, pitch: f.faces[0]!.pose.pitch }));
  const explain = (r: DecisionResult): string => `${r.decision} ${r.reasons.join(',')} ${JSON.stringify(r.measures)}`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'liveness-test-'));
    // The wide shot ends with a cut at 1.51 s; before 0.85 s the picture is frozen.
    execFileSync(ffmpegPath(), [
      '-loglevel',
      'error',
      '-nostdin',
      '-ss',
      '0.85',
      '-i',
      CLIP,
      '-t',
      '0.6',
      '-vf',
      'crop=320:180:360:0,scale=640:360:flags=lanczos',
      '-q:v',
      '3',
      path.join(dir, '%03d.jpg'),
    ]);
    wide = readdirSync(dir)
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .map((f) => readFileSync(path.join(dir, f)));
    provider = new EmbeddedProvider({ workers: 2, maxQueue: 64, maxPixels: 40_000_000 });
    await provider.start();
    wideFrames = await analyse(wide, 640, 360, 1000 / CLIP_FPS);
  });

  afterAll(async () => {
    await provider?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('detectMany carries the light measure the worker took: measureLightSample on the decoded frame and its largest face', async () => {
    const settled = await provider.detectMany(wide.slice(0, 3), LIVENESS_DETECT_OPTIONS);
    for (const [i, s] of settled.entries()) {
      expect(s.status).toBe('fulfilled');
      const { faces, light } = (s as PromiseFulfilledResult<DetectedFrame>).value;
      const decoded = await decodeImage(wide[i]!, { maxPixels: 40_000_000 });
      const r = faces[0]!.faceRectangle;
      expect(light).toEqual(measureLightSample({ ...decoded, channels: 3 }, r));
      expect(light!.faceFraction).toBeCloseTo((r.width * r.height) / (640 * 360), 10);
      expect(light!.skin).not.toBeNull();
    }
  });

  it('genuine, wide shot: one face per frame, a real turn of more than 15°, and too little live motion for Passive', () => {
    expect(wide.length).toBe(18);
    expect(wideFrames.every((f) => f.faces.length === 1)).toBe(true);
    const r = decideAttempt({ mode: 'Passive', frames: wideFrames, challenge: null, previousDigests: new Set(), digest: digest(wide) });
    expect(r.measures.usableFrames, explain(r)).toBe(18);
    expect(r.measures.turnDegrees).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.turnDegrees);
    // 0.6 s of a singer seen from afar: some non-rigid motion, not enough to accept in Passive.
    expect(r.measures.motionResidual).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.motionSpoofResidual);
    expect(r.measures.motionResidual).toBeLessThan(LIVENESS_THRESHOLDS.motionLiveResidual);
    expect(r.reasons).toContain('INSUFFICIENT_LIVE_MOTION');
    expect(r.decision).not.toBe('realface');
  });

  // KNOWN FALSE REJECT on held-out data (it.fails: passes while the bug is there; when the
  // thresholds or the flatness measure are fixed it fails, and should become a plain `it`).
  // The correct decision for a real head turning 24° with little expression is uncertain
  // (INSUFFICIENT_LIVE_MOTION), never spoofface. Measured: flatnessResidual 0.061 < flatResidual
  // 0.08, so FLAT_SURFACE calls this real face a photo. The bench's fit set put bona fide at
  // >= 0.089 (a margin of 0.009); on held-out footage the real face falls below the threshold.
  // (The same shot 0.06 s longer, to yaw +19°, measures 0.081: the margin is noise-level.)
  it.fails('genuine, wide shot: uncertain in Passive, not spoofface (fails today: FLAT_SURFACE)', () => {
    const r = decideAttempt({ mode: 'Passive', frames: wideFrames, challenge: null, previousDigests: new Set(), digest: digest(wide) });
    expect(r.decision, explain(r)).toBe('uncertain');
    expect(r.reasons).toEqual(['INSUFFICIENT_LIVE_MOTION']);
  });

  it('genuine, wide shot: the head turns to his left only, so a challenge starting with TURN_RIGHT is a wrong direction', () => {
    const steps: ChallengeStep[] = ['TURN_RIGHT', 'LOOK_UP', 'TURN_LEFT', 'LOOK_DOWN'];
    const r = decideAttempt({
      mode: 'PassiveActive',
      frames: wideFrames,
      challenge: { nonce: 'n', light: [], steps, stepsStartMs: 0, stepTimeoutMs: STEP_TIMEOUT_MS },
      previousDigests: new Set(),
      digest: digest(wide),
    });
    expect(r.decision, explain(r)).toBe('spoofface');
    expect(r.reasons).toContain('CHALLENGE_WRONG_DIRECTION');
    expect(r.measures.yawMax! - r.measures.yawStart!).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.turnDegrees);
    // The wrong move is his left turn (yaw up by a full turn), not pose noise in another direction.
    const ev = evaluateChallenge(poses(wideFrames), steps, STEP_TIMEOUT_MS);
    const wrong = ev.steps[0]!;
    expect(wrong.outcome).toBe('wrong_direction');
    expect(wideFrames[wrong.index!]!.faces[0]!.pose.yaw - ev.baselineYaw).toBeGreaterThanOrEqual(TURN_DEGREES);
  });

  it('genuine, wide shot: its one real move (a left turn) answers the first step of every sequence starting with TURN_LEFT and nothing else; 0.6 s performs no 4-step challenge', () => {
    const outcomes = ALL_ACTIVE_SEQUENCES.map((s) => ({ s, ev: evaluateChallenge(poses(wideFrames), s, STEP_TIMEOUT_MS) }));
    expect(outcomes.filter(({ ev }) => ev.performed)).toEqual([]);
    const firstDone = outcomes.filter(({ ev }) => ev.steps[0]!.outcome === 'done').map(({ s }) => s);
    expect(firstDone).toEqual(ALL_ACTIVE_SEQUENCES.filter((s) => s[0] === 'TURN_LEFT'));
  });

  it('a still photo of the performer (portrait, not from the clip) held with hand jitter is spoofface in Passive mode', async () => {
    const portrait = await loadRgb(readFileSync(PORTRAIT));
    const [found] = await analyse([await encodeJpeg(portrait, 92)], portrait.width, portrait.height, 0);
    const face = found!.faces[0];
    expect(face).toBeDefined();
    // At the size and place of the clip's close-up face (~88 px wide, upper middle of the frame).
    const at = { x: 320, y: 150 };
    const canvas = placeOnCanvas(portrait, {
      width: 640,
      height: 360,
      scale: 88 / face!.faceRectangle.width,
      anchor: faceCentre(found!),
      at,
    });
    const rendered = (await renderPhotoJitter(canvas, at, 42)).slice(0, 12);
    const frames = await Promise.all(rendered.map((img) => encodeJpeg(img, 88)));
    const attack = await analyse(frames, 640, 360, 200);
    expect(attack.filter((f) => f.faces.length === 1).length).toBeGreaterThanOrEqual(10);
    const r = decideAttempt({ mode: 'Passive', frames: attack, challenge: null, previousDigests: new Set(), digest: digest(frames) });
    expect(r.decision, explain(r)).toBe('spoofface');
    expect(r.reasons).toEqual(['NO_LIVE_MOTION']);
    expect(r.measures.motionResidual).toBeLessThan(LIVENESS_THRESHOLDS.motionSpoofResidual);
  });
});
