/**
 * decideAttempt (src/liveness/decision.ts): every reason code on synthetic frame analyses (a
 * 3-D landmark face turned and projected, or a flat copy of it moved by 2-D maps), and one test
 * on real frames of ../shared/video/hamilton-clip.mp4 through the real engine.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceWith, liveSequence, photoSequence, rng } from '../../tools/liveness-synthetic/landmarks.js';
import { faceCentre, renderPhotoJitter } from '../../tools/liveness-synthetic/attacks.js';
import { encodeJpeg, loadRgb } from '../../tools/liveness-synthetic/render.js';
import { EmbeddedProvider } from '../../src/engine/provider.js';
import { LIVENESS_DETECT_OPTIONS, toFrameAnalysis } from '../../src/liveness/decision-input.js';
import { decideAttempt, LIVENESS_THRESHOLDS, REASONS, type ReasonCode } from '../../src/liveness/decision.js';
import type { AttemptInput, ChallengeStep, DecisionResult, FrameAnalysis, LivenessOperationMode } from '../../src/liveness/types.js';
import { ffmpegPath } from '../../tools/ffmpeg.js';
import { SHARED_DIR } from '../helpers/paths.js';

const ramp = (n: number, f: (u: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i / (n - 1)));
/** Head turns to the user's left (yaw +25°), then to their right (−25°), over 2 s. */
const LEFT_RIGHT = ramp(20, (u) => 25 * Math.sin(2 * Math.PI * u));

const covered = new Set<string>();

function decide(frames: FrameAnalysis[], mode: LivenessOperationMode, steps: ChallengeStep[] | null = [], extra: Partial<AttemptInput> = {}): DecisionResult {
  const input: AttemptInput = {
    mode,
    frames,
    challenge: steps === null ? null : { nonce: 'test-nonce', steps, stepTimeoutMs: 3000 },
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
  it('a live head turning left then right: realface in Passive and for the matching PassiveActive challenge', () => {
    const p = decide(live(), 'Passive');
    expect(p).toMatchObject({ decision: 'realface', reasons: [] });
    expect(p.measures.flatnessResidual).toBeGreaterThan(LIVENESS_THRESHOLDS.flatResidual);
    expect(p.measures.motionResidual).toBeGreaterThan(LIVENESS_THRESHOLDS.motionLiveResidual);
    expect(p.measures.turnDegrees).toBeGreaterThan(20);
    const a = decide(live(), 'PassiveActive', ['TURN_LEFT', 'TURN_RIGHT']);
    expect(a).toMatchObject({ decision: 'realface', reasons: [] });
    expect(a.measures.step1DoneMs).toBeLessThan(a.measures.step2DoneMs!);
  });

  it('best frame: the largest, sharpest, most frontal usable frame; targetFace is its rectangle', () => {
    const frames = live().map((f, i) => ({ ...f, faces: f.faces.map((x) => ({ ...x, quality: { ...x.quality, blur: i === 10 ? 0.05 : 0.5 } })) }));
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
      const r = decide(frames, mode, ['TURN_LEFT', 'TURN_RIGHT']);
      expect(r.decision).toBe('spoofface');
      expect(r.reasons).toContain('FLAT_SURFACE');
      expect(r.measures.flatnessResidual).toBeLessThan(LIVENESS_THRESHOLDS.flatResidual);
      expect(r.measures.turnDegrees).toBeGreaterThanOrEqual(LIVENESS_THRESHOLDS.turnDegrees);
    }
  });

  it('CHALLENGE_NOT_PERFORMED: the head turned left but never looked up; a photo that never turns also lacks 3-D evidence', () => {
    const onlyLeft = liveSequence({ yaw: ramp(20, (u) => 25 * Math.sin(Math.PI * u)) });
    const r = decide(onlyLeft, 'PassiveActive', ['TURN_LEFT', 'LOOK_UP']);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_NOT_PERFORMED'] });
    const p = decide(photo(), 'PassiveActive', ['TURN_RIGHT', 'LOOK_UP']);
    expect(p.decision).toBe('spoofface');
    expect(p.reasons).toEqual(['CHALLENGE_NOT_PERFORMED', 'NO_3D_EVIDENCE']);
  });

  it('CHALLENGE_WRONG_DIRECTION: asked to turn right first, the head turned left (raw frame: left = yaw up)', () => {
    const r = decide(live(), 'PassiveActive', ['TURN_RIGHT', 'TURN_LEFT']);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_WRONG_DIRECTION'] });
  });

  it('CHALLENGE_TIMEOUT: the second step came after 2 x stepTimeoutMs', () => {
    const slow = liveSequence({ yaw: LEFT_RIGHT, dt: 700 }); // left at 1.4 s (due 3 s), right at ~8.4 s (due 6 s)
    const r = decide(slow, 'PassiveActive', ['TURN_LEFT', 'TURN_RIGHT']);
    expect(r).toMatchObject({ decision: 'spoofface', reasons: ['CHALLENGE_TIMEOUT'] });
    expect(r.measures.durationMs).toBe(19 * 700);
    expect(r.measures.step1DoneMs).toBeLessThanOrEqual(3000);
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

  it('MULTIPLE_FACES: a second face in any frame', () => {
    const frames = live();
    const random = rng(5);
    const other = faceWith({ landmarks: frames[4]!.faces[0]!.landmarks68.map((p) => ({ x: p.x + 200, y: p.y })), yaw: 0, pitch: 0, identity: 3, t: 0, random });
    frames[4] = { ...frames[4]!, faces: [...frames[4]!.faces, other] };
    const r = decide(frames, 'Passive');
    expect(r.decision).toBe('uncertain');
    expect(r.reasons).toEqual(['MULTIPLE_FACES']);
    expect(r.measures.framesMultipleFaces).toBe(1);
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
    const frames = live().map((f) => ({ ...f, faces: f.faces.map((x) => ({ ...x, landmarks68: x.landmarks68.map(() => ({ x: 5, y: 5 })) })) }));
    expect(decide(frames, 'Passive').reasons).toContain('TOO_FEW_USABLE_FRAMES');
  });
});

describe('reason codes', () => {
  it('every reason code is exercised by the tests above', () => {
    const all = Object.keys(REASONS) as ReasonCode[];
    expect(all.filter((r) => !covered.has(r))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Real data: the clip's close-up through the real engine.
const CLIP = path.join(SHARED_DIR, 'video', 'hamilton-clip.mp4');

describe('real frames (embedded engine, hamilton-clip close-up t = 3.65–6.0 s at 5 fps)', () => {
  let provider: EmbeddedProvider;
  let dir: string;
  let jpegs: Buffer[];
  let genuine: FrameAnalysis[];

  const analyse = async (frames: readonly Buffer[], width: number, height: number): Promise<FrameAnalysis[]> =>
    Promise.all(frames.map(async (b, i) => toFrameAnalysis(i * 200, width, height, await provider.detect(b, LIVENESS_DETECT_OPTIONS))));
  const digest = (frames: readonly Buffer[]): string => {
    const h = createHash('sha256');
    frames.forEach((f) => h.update(f));
    return h.digest('hex');
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'liveness-test-'));
    // The close-up of one face starts at ~3.6 s (before it: the pianist, another person).
    execFileSync(ffmpegPath(), ['-loglevel', 'error', '-nostdin', '-ss', '3.65', '-i', CLIP, '-t', '2.4', '-vf', 'fps=5', '-q:v', '3', path.join(dir, '%03d.jpg')]);
    jpegs = readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, 12).map((f) => readFileSync(path.join(dir, f)));
    provider = new EmbeddedProvider({ workers: 2, maxQueue: 64, maxPixels: 40_000_000 });
    await provider.start();
    genuine = await analyse(jpegs, 640, 360);
  });

  afterAll(async () => {
    await provider?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the genuine sequence is not spoofface in Passive mode', () => {
    expect(jpegs).toHaveLength(12);
    expect(genuine.every((f) => f.faces.length === 1)).toBe(true);
    const r = decideAttempt({ mode: 'Passive', frames: genuine, challenge: null, previousDigests: new Set(), digest: digest(jpegs) });
    expect(r.decision, `${r.decision} ${r.reasons.join(',')} ${JSON.stringify(r.measures)}`).not.toBe('spoofface');
    expect(r.bestFrameIndex).not.toBeNull();
  });

  it('a still photo of one of those frames held with hand jitter is spoofface in Passive mode', async () => {
    const src = await loadRgb(jpegs[4]!);
    const rendered = (await renderPhotoJitter(src, faceCentre(genuine[4]!), 42)).slice(0, 12);
    const frames = await Promise.all(rendered.map((img) => encodeJpeg(img, 88)));
    const attack = await analyse(frames, src.width, src.height);
    const r = decideAttempt({ mode: 'Passive', frames: attack, challenge: null, previousDigests: new Set([digest(jpegs)]), digest: digest(frames) });
    expect(r.decision, `${r.decision} ${r.reasons.join(',')} ${JSON.stringify(r.measures)}`).toBe('spoofface');
    expect(r.reasons).toContain('NO_LIVE_MOTION');
  });
});
