/** Challenge issuance and the judging of a head-pose trajectory (src/domain/liveness/challenge.ts). */
import { describe, expect, it } from 'vitest';
import {
  ALL_ACTIVE_SEQUENCES,
  CHALLENGE_STEPS,
  createChallenge,
  enumerateSequences,
  evaluateChallenge,
  LIGHT_SETTLE_MS,
  LOOK_DOWN_DEGREES,
  LOOK_UP_DEGREES,
  poseDirection,
  STEP_TIMEOUT_MS,
  STEPS_PER_CHALLENGE,
  TURN_DEGREES,
  type PoseSample,
} from '../../src/domain/liveness/challenge.js';
import type { ChallengeStep } from '../../src/domain/liveness/types.js';
import { createLightSequence, LIGHT_COLORS, LIGHT_DURATIONS_MS, LIGHT_FLASHES, lightDurationMs } from '../../src/domain/liveness/light.js';
import { rng } from '../../tools/liveness-synthetic/landmarks.js';

/** A byte source that replays the given bytes, then zeros. */
function bytes(...values: number[]): (n: number) => Uint8Array {
  const queue = [...values];
  return (n) => Uint8Array.from({ length: n }, () => queue.shift() ?? 0);
}

const NONCE = Array.from({ length: 16 }, () => 7);
const isTurn = (s: ChallengeStep): boolean => s === 'TURN_LEFT' || s === 'TURN_RIGHT';

describe('createChallenge', () => {
  it('Passive: no steps, a 16-byte base64url nonce, the step timeout', () => {
    const c = createChallenge('Passive');
    expect(c.steps).toEqual([]);
    expect(c.stepTimeoutMs).toBe(STEP_TIMEOUT_MS);
    expect(c.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(c.nonce, 'base64url')).toHaveLength(16);
  });

  it('nonces come from the random source and differ between calls', () => {
    const c = createChallenge('Passive', bytes(...Array.from({ length: 16 }, (_, i) => i)));
    expect([...Buffer.from(c.nonce, 'base64url')]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    const seen = new Set(Array.from({ length: 50 }, () => createChallenge('PassiveActive').nonce));
    expect(seen.size).toBe(50);
  });

  it('PassiveActive: 4 steps, none twice in a row, at least one turn, all from the issuable list', () => {
    const issuable = new Set(ALL_ACTIVE_SEQUENCES.map((s) => s.join(',')));
    for (let i = 0; i < 300; i++) {
      const c = createChallenge('PassiveActive');
      expect(c.steps).toHaveLength(STEPS_PER_CHALLENGE);
      expect(c.steps.every((s, k) => k === 0 || s !== c.steps[k - 1])).toBe(true);
      expect(c.steps.some(isTurn)).toBe(true);
      expect(issuable.has(c.steps.join(','))).toBe(true);
    }
  });

  it('draws uniformly from the 106 sequences: the byte after the nonce, modulo 106, bytes 212-255 redrawn', () => {
    // Every accepted byte value (0..211) maps to ALL_ACTIVE_SEQUENCES[byte % 106]: each sequence
    // is hit by exactly two of them, so each is issued with probability exactly 1/106.
    const hits = new Map<string, number>();
    for (let b = 0; b < 212; b++) {
      const steps = createChallenge('PassiveActive', bytes(...NONCE, b)).steps;
      expect(steps).toEqual(ALL_ACTIVE_SEQUENCES[b % 106]);
      hits.set(steps.join(','), (hits.get(steps.join(',')) ?? 0) + 1);
    }
    expect(hits.size).toBe(106);
    expect([...hits.values()].every((n) => n === 2)).toBe(true);
    // 212..255 would bias the modulo: they are rejected and the next byte is used.
    for (const b of [212, 230, 255]) {
      expect(createChallenge('PassiveActive', bytes(...NONCE, b, 5)).steps).toEqual(ALL_ACTIVE_SEQUENCES[5]);
    }
    // As documented for deterministic tests: byte 0 -> the first sequence.
    expect(createChallenge('PassiveActive', bytes(...NONCE, 0)).steps).toEqual(['TURN_LEFT', 'TURN_RIGHT', 'TURN_LEFT', 'TURN_RIGHT']);
  });

  it('with light, both modes start with a light sequence (6-10 flashes, no colour twice in a row); the steps start LIGHT_SETTLE_MS after it', () => {
    const durations: readonly number[] = LIGHT_DURATIONS_MS;
    for (let i = 0; i < 200; i++) {
      const c = createChallenge(i % 2 ? 'Passive' : 'PassiveActive', undefined, { light: true });
      expect(c.light.length).toBeGreaterThanOrEqual(LIGHT_FLASHES.min);
      expect(c.light.length).toBeLessThanOrEqual(LIGHT_FLASHES.max);
      expect(
        c.light.every(
          (f, k) => LIGHT_COLORS.includes(f.color) && durations.includes(f.durationMs) && (k === 0 || f.color !== c.light[k - 1]!.color),
        ),
      ).toBe(true);
      expect(c.stepsStartMs).toBe(lightDurationMs(c.light) + LIGHT_SETTLE_MS);
    }
  });

  it('the light sequence is drawn after the nonce and the steps, from the same source', () => {
    const after = [3, 200, 17, 90, 41, 250, 8, 77, 130, 61, 12, 99, 180, 33, 5, 66, 140, 23, 210, 48, 111];
    const c = createChallenge('PassiveActive', bytes(...NONCE, 5, ...after), { light: true });
    expect(c.steps).toEqual(ALL_ACTIVE_SEQUENCES[5]);
    expect(c.light).toEqual(createLightSequence(bytes(...after)));
    expect(createChallenge('Passive', bytes(...NONCE, ...after), { light: true }).light).toEqual(c.light);
  });

  it('without light (what the server issues until the capture page shows it): no flashes, steps from t = 0', () => {
    for (const mode of ['Passive', 'PassiveActive'] as const) {
      expect(createChallenge(mode)).toMatchObject({ light: [], stepsStartMs: 0 });
    }
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(() => createChallenge('Passive', () => new Uint8Array(3))).toThrow(/bytes/);
  });
});

describe('the issuable sequences', () => {
  it('are 106 = 4 x 3 x 3 x 3 (no step twice in a row) - 2 (LOOK_UP/LOOK_DOWN alternations without a turn): a clip matches <= 1 %', () => {
    expect(CHALLENGE_STEPS).toHaveLength(4);
    expect(ALL_ACTIVE_SEQUENCES).toHaveLength(4 * 3 ** 3 - 2);
    expect(1 / ALL_ACTIVE_SEQUENCES.length).toBeLessThanOrEqual(0.01);
    expect(ALL_ACTIVE_SEQUENCES.map((s) => s.join(','))).not.toContain('LOOK_UP,LOOK_DOWN,LOOK_UP,LOOK_DOWN');
  });

  it('equal the brute-force filter of all 4^4 sequences, without duplicates', () => {
    const all: ChallengeStep[][] = [];
    for (const a of CHALLENGE_STEPS)
      for (const b of CHALLENGE_STEPS) for (const c of CHALLENGE_STEPS) for (const d of CHALLENGE_STEPS) all.push([a, b, c, d]);
    const allowed = all.filter((s) => s.every((x, k) => k === 0 || x !== s[k - 1]) && s.some(isTurn)).map((s) => s.join(','));
    const listed = ALL_ACTIVE_SEQUENCES.map((s) => s.join(','));
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...allowed].sort());
    expect(enumerateSequences(2)).toHaveLength(4 * 3 - 2);
  });
});

describe('step semantics (raw, unmirrored frame; yaw > 0 = face turned toward the image right, pitch > 0 = looking up)', () => {
  it("TURN_LEFT (the user's own left) is a yaw INCREASE, TURN_RIGHT a decrease, LOOK_UP a pitch increase, LOOK_DOWN a decrease", () => {
    expect(poseDirection(TURN_DEGREES, 0)).toBe('TURN_LEFT');
    expect(poseDirection(-TURN_DEGREES, 0)).toBe('TURN_RIGHT');
    expect(poseDirection(0, LOOK_UP_DEGREES)).toBe('LOOK_UP');
    expect(poseDirection(0, -LOOK_DOWN_DEGREES)).toBe('LOOK_DOWN');
    expect(poseDirection(TURN_DEGREES - 0.1, 0)).toBeNull();
    expect(poseDirection(0, -(LOOK_DOWN_DEGREES - 0.1))).toBeNull();
    expect(poseDirection(Number.NaN, 0)).toBeNull();
  });

  it('one direction per frame: when both axes pass their thresholds, the one further past wins', () => {
    expect(poseDirection(25, 12)).toBe('TURN_LEFT'); // 25/15 = 1.67 > 12/10
    expect(poseDirection(16, -14)).toBe('LOOK_DOWN'); // 16/15 = 1.07 < 14/10
    expect(poseDirection(-15, 10)).toBe('TURN_RIGHT'); // a tie goes to the turn
  });
});

/** Samples every `dt` ms from yaw/pitch lists. */
function trajectory(yaw: number[], pitch: number[] = yaw.map(() => 0), dt = 100): PoseSample[] {
  return yaw.map((y, i) => ({ index: i, t: i * dt, yaw: y, pitch: pitch[i] ?? 0 }));
}

/**
 * A head doing the moves in turn, each out and back to the centre over `perMoveMs` (10 samples a
 * move, 20° of yaw or 14° of pitch at the extreme), after 2 still samples.
 */
function performing(moves: readonly ChallengeStep[], perMoveMs = 1500): PoseSample[] {
  const yaw = [0, 0];
  const pitch = [0, 0];
  for (const m of moves) {
    for (let i = 1; i <= 10; i++) {
      const u = Math.sin((Math.PI * i) / 10); // 0 -> 1 -> 0
      yaw.push(m === 'TURN_LEFT' ? 20 * u : m === 'TURN_RIGHT' ? -20 * u : 0);
      pitch.push(m === 'LOOK_UP' ? 14 * u : m === 'LOOK_DOWN' ? -14 * u : 0);
    }
  }
  return trajectory(yaw, pitch, perMoveMs / 10);
}

describe('evaluateChallenge', () => {
  const leftThenRight = trajectory([2, 8, 14, 19, 22, 12, 0, -9, -16, -20]);

  it('steps done in order, relative to the first sample (the baseline)', () => {
    const ev = evaluateChallenge(leftThenRight, ['TURN_LEFT', 'TURN_RIGHT'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(true);
    expect(ev.steps.map((s) => [s.outcome, s.index])).toEqual([
      ['done', 3],
      ['done', 8],
    ]);
    expect(ev.baselineYaw).toBe(2);
  });

  it('LOOK_DOWN: the pitch falls by LOOK_DOWN_DEGREES', () => {
    const ev = evaluateChallenge(performing(['LOOK_DOWN', 'TURN_LEFT']), ['LOOK_DOWN', 'TURN_LEFT'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(true);
    // The chin passes -10° at the move's 3rd sample, index 4 (14 x sin(0.3 pi) = 11.3°; the 2nd is 8.2°).
    expect(ev.steps[0]!.index).toBe(4);
    expect(evaluateChallenge(performing(['LOOK_UP', 'TURN_LEFT']), ['LOOK_DOWN', 'TURN_LEFT'], STEP_TIMEOUT_MS).performed).toBe(false);
  });

  it('a 4-step sequence done in order is performed; every step is timed', () => {
    const steps: ChallengeStep[] = ['TURN_RIGHT', 'LOOK_DOWN', 'TURN_LEFT', 'LOOK_UP'];
    const ev = evaluateChallenge(performing(steps), steps, STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(true);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'done', 'done']);
    const times = ev.steps.map((s) => s.t!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('the same moves in another order are not performed: the first move out of order is a wrong move', () => {
    const ev = evaluateChallenge(
      performing(['TURN_RIGHT', 'LOOK_DOWN', 'TURN_LEFT', 'LOOK_UP']),
      ['TURN_RIGHT', 'TURN_LEFT', 'LOOK_DOWN', 'LOOK_UP'],
      STEP_TIMEOUT_MS,
    );
    expect(ev.performed).toBe(false);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'wrong_direction', 'missing', 'missing']);
  });

  it('a recording answers exactly one sequence: the first four directions it moves in', () => {
    // Circling the head (left, up, right, down, left, ...) within the deadlines, or a recording of one sequence.
    const circle = performing(['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN', 'TURN_LEFT', 'LOOK_UP'], 900);
    const clips = [circle, performing(['LOOK_UP', 'TURN_RIGHT', 'LOOK_UP', 'TURN_LEFT'], 1200)];
    for (const clip of clips) {
      const answered = ALL_ACTIVE_SEQUENCES.filter((s) => evaluateChallenge(clip, s, STEP_TIMEOUT_MS).performed);
      expect(answered).toHaveLength(1);
    }
    expect(ALL_ACTIVE_SEQUENCES.filter((s) => evaluateChallenge(circle, s, STEP_TIMEOUT_MS).performed)).toEqual([
      ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN'],
    ]);
  });

  it('no trajectory answers two sequences: 500 random head paths (random walks, jumps, circles; 0.05-0.5 s between frames)', () => {
    const random = rng(17);
    let answeredOne = 0;
    for (let n = 0; n < 500; n++) {
      const frames = 10 + Math.floor(random() * 50);
      const dt = 50 + random() * 450;
      const samples: PoseSample[] = [{ index: 0, t: 0, yaw: 0, pitch: 0 }];
      for (let i = 1; i < frames; i++) {
        const prev = samples[i - 1]!;
        const jump = random() < 0.2 ? 4 : 1; // now and then a big, fast move
        samples.push({
          index: i,
          t: i * dt,
          yaw: prev.yaw + jump * (random() - 0.5) * 20,
          pitch: prev.pitch + jump * (random() - 0.5) * 14,
        });
      }
      const answered = ALL_ACTIVE_SEQUENCES.filter((s) => evaluateChallenge(samples, s, STEP_TIMEOUT_MS).performed);
      expect(answered.length).toBeLessThanOrEqual(1);
      if (answered.length === 1) answeredOne++;
    }
    // The paths do answer sequences (the bound is not met by answering none).
    expect(answeredOne).toBeGreaterThan(50);
  });

  it('a head held turned and tilted (a diagonal) does one move, not two', () => {
    const diagonal = trajectory([0, 10, 22, 22, 22, 22, 22], [0, 6, 12, 12, 12, 12, 12]); // 22/15 = 1.47 > 12/10
    expect(
      evaluateChallenge(diagonal, ['TURN_LEFT', 'LOOK_UP', 'TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS).steps.map((s) => s.outcome),
    ).toEqual(['done', 'missing', 'missing', 'missing']);
  });

  it('each step is due by stepsStartMs + (its index + 1) x stepTimeoutMs, on the frame timestamps', () => {
    const steps: ChallengeStep[] = ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN'];
    // 3.5 s per move: the steps are done at 1.4, 4.9 (due 6), 8.4 (due 9) and 11.9 s (due 12)...
    expect(evaluateChallenge(performing(steps, 3500), steps, STEP_TIMEOUT_MS).performed).toBe(true);
    // ...at 3.6 s per move the 4th step comes at 12.24 s: late.
    const slow = evaluateChallenge(performing(steps, 3600), steps, STEP_TIMEOUT_MS);
    expect(slow.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'done', 'late']);
    expect(slow.steps[3]!.t).toBeGreaterThan(4 * STEP_TIMEOUT_MS);
    // The same motion, judged with the steps starting 2 s later (after a light sequence), is in time.
    const shifted = performing(steps, 3500).map((p) => ({ ...p, t: p.t + 2000 }));
    shifted.unshift({ index: -1, t: 0, yaw: 0, pitch: 0 });
    expect(evaluateChallenge(shifted, steps, STEP_TIMEOUT_MS, 2000).performed).toBe(true);
    // Judged from t = 0 instead, the first step (at 3.4 s) misses its 3 s deadline.
    expect(evaluateChallenge(shifted, steps, STEP_TIMEOUT_MS, 0).steps.map((s) => s.outcome)).toEqual([
      'late',
      'missing',
      'missing',
      'missing',
    ]);
  });

  it('frames before stepsStartMs are not judged: a move during the light sequence is neither a step nor a wrong move', () => {
    const early = trajectory([0, -20, -20, 0, 0, 0, 20, 0, 0, -20, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, -12]);
    expect(evaluateChallenge(early, ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN'], STEP_TIMEOUT_MS, 300).performed).toBe(true);
    expect(evaluateChallenge(early, ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN'], STEP_TIMEOUT_MS, 0).steps[0]!.outcome).toBe(
      'wrong_direction',
    );
  });

  it("a step is not done at the previous step's timestamp (two poses at one instant)", () => {
    const samples: PoseSample[] = [
      { index: 0, t: 0, yaw: 0, pitch: 0 },
      { index: 1, t: 500, yaw: 20, pitch: 0 },
      { index: 2, t: 500, yaw: 0, pitch: 15 },
    ];
    expect(evaluateChallenge(samples, ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS).steps.map((s) => s.outcome)).toEqual(['done', 'missing']);
    const later = samples.map((p, i) => (i === 2 ? { ...p, t: 600 } : p));
    expect(evaluateChallenge(later, ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS).performed).toBe(true);
  });

  it('coming back from the previous step, even past the centre, is not a wrong move', () => {
    expect(evaluateChallenge(trajectory([0, 20, 25, 20, 5, -16]), ['TURN_LEFT', 'TURN_RIGHT'], STEP_TIMEOUT_MS).performed).toBe(true);
    // LOOK_UP then LOOK_DOWN: the chin comes down from the up position through the centre.
    const upDown = trajectory([0, 0, 0, 0, 0, 0, 0, 0], [0, 6, 12, 14, 8, 0, -8, -12]);
    expect(evaluateChallenge(upDown, ['LOOK_UP', 'LOOK_DOWN'], STEP_TIMEOUT_MS).performed).toBe(true);
  });

  it('a full move the opposite way (vertical too) before the step is a wrong move, unless it was the previous step', () => {
    // Asked to look up, the head first looks down.
    const downUp = trajectory([0, 0, 0, 0, 0, 0], [0, -6, -12, 0, 8, 12]);
    const ev = evaluateChallenge(downUp, ['LOOK_UP', 'TURN_LEFT'], STEP_TIMEOUT_MS);
    expect(ev.steps.map((s) => [s.outcome, s.index])).toEqual([
      ['wrong_direction', 2],
      ['missing', null],
    ]);
    // LOOK_DOWN was the previous step: held or coming back from it, it is not wrong.
    const turnDownUp = trajectory([0, 20, 0, 0, 0, 0, 0], [0, 0, 0, -12, -12, 0, 12]);
    expect(evaluateChallenge(turnDownUp, ['TURN_LEFT', 'LOOK_DOWN', 'LOOK_UP'], STEP_TIMEOUT_MS).performed).toBe(true);
    // But a move of an EARLIER step (not the previous one) is wrong: left, down, then left again when asked to look up.
    const turnDownTurn = trajectory([0, 20, 0, 0, 20, 0, 0], [0, 0, 0, -12, 0, 0, 12]);
    expect(evaluateChallenge(turnDownTurn, ['TURN_LEFT', 'LOOK_DOWN', 'LOOK_UP'], STEP_TIMEOUT_MS).steps[2]!.outcome).toBe(
      'wrong_direction',
    );
  });

  it('a move in any direction other than the step awaited is a wrong move (not only the opposite one)', () => {
    const ev = evaluateChallenge(leftThenRight, ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'wrong_direction']);
  });

  it('a step never reached is missing', () => {
    const onlyLeft = trajectory([0, 8, 16, 20, 10, 0, 0]);
    const ev = evaluateChallenge(onlyLeft, ['TURN_LEFT', 'LOOK_UP', 'TURN_RIGHT', 'LOOK_DOWN'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(false);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'missing', 'missing', 'missing']);
  });

  it('no steps or no samples: not performed', () => {
    expect(evaluateChallenge(leftThenRight, [], STEP_TIMEOUT_MS).performed).toBe(false);
    expect(evaluateChallenge([], ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS).performed).toBe(false);
  });
});
