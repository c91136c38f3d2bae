/** Challenge issuance and the judging of a head-pose trajectory (src/liveness/challenge.ts). */
import { describe, expect, it } from 'vitest';
import {
  ALL_ACTIVE_STEP_PAIRS,
  createChallenge,
  evaluateChallenge,
  LOOK_UP_DEGREES,
  STEP_TIMEOUT_MS,
  stepDone,
  TURN_DEGREES,
  type PoseSample,
} from '../../src/domain/liveness/challenge.js';

/** A byte source that replays the given bytes, then zeros. */
function bytes(...values: number[]): (n: number) => Uint8Array {
  const queue = [...values];
  return (n) => Uint8Array.from({ length: n }, () => queue.shift() ?? 0);
}

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

  it('PassiveActive: two distinct steps, at least one of them a turn', () => {
    for (let i = 0; i < 200; i++) {
      const c = createChallenge('PassiveActive');
      expect(c.steps).toHaveLength(2);
      expect(new Set(c.steps).size).toBe(2);
      expect(c.steps.some((s) => s === 'TURN_LEFT' || s === 'TURN_RIGHT')).toBe(true);
    }
  });

  it('draws each of the 6 ordered pairs, from the random byte after the nonce, without modulo bias', () => {
    expect(ALL_ACTIVE_STEP_PAIRS).toHaveLength(6);
    const nonce = Array.from({ length: 16 }, () => 7);
    const drawn = [0, 1, 2, 3, 4, 5].map((k) => createChallenge('PassiveActive', bytes(...nonce, k)).steps.join(','));
    expect(new Set(drawn).size).toBe(6);
    // As documented for deterministic tests: byte 3 -> TURN_RIGHT then LOOK_UP.
    expect(createChallenge('PassiveActive', bytes(...nonce, 3)).steps).toEqual(['TURN_RIGHT', 'LOOK_UP']);
    // 252..255 would bias the modulo: they are rejected and the next byte is used.
    expect(createChallenge('PassiveActive', bytes(...nonce, 255, 253, 1)).steps).toEqual(
      createChallenge('PassiveActive', bytes(...nonce, 1)).steps,
    );
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(() => createChallenge('Passive', () => new Uint8Array(3))).toThrow(/bytes/);
  });
});

describe('step semantics (raw, unmirrored frame; yaw > 0 = face turned toward the image right)', () => {
  it("TURN_LEFT (the user's own left) is a yaw INCREASE, TURN_RIGHT a decrease, LOOK_UP a pitch increase", () => {
    expect(stepDone('TURN_LEFT', TURN_DEGREES, 0)).toBe(true);
    expect(stepDone('TURN_LEFT', -TURN_DEGREES, 0)).toBe(false);
    expect(stepDone('TURN_RIGHT', -TURN_DEGREES, 0)).toBe(true);
    expect(stepDone('TURN_RIGHT', TURN_DEGREES, 0)).toBe(false);
    expect(stepDone('LOOK_UP', 0, LOOK_UP_DEGREES)).toBe(true);
    expect(stepDone('LOOK_UP', 0, -LOOK_UP_DEGREES)).toBe(false);
    expect(stepDone('TURN_LEFT', TURN_DEGREES - 0.1, 0)).toBe(false);
  });
});

/** Samples every 100 ms from yaw/pitch lists. */
function trajectory(yaw: number[], pitch: number[] = yaw.map(() => 0), dt = 100): PoseSample[] {
  return yaw.map((y, i) => ({ index: i, t: i * dt, yaw: y, pitch: pitch[i] ?? 0 }));
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

  it('coming back from a requested left turn is not a wrong move for the next (right) step', () => {
    const ev = evaluateChallenge(trajectory([0, 20, 25, 20, 5, -16]), ['TURN_LEFT', 'TURN_RIGHT'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(true);
  });

  it('the reverse order is a wrong move: the first full turn went the other way', () => {
    const ev = evaluateChallenge(leftThenRight, ['TURN_RIGHT', 'TURN_LEFT'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(false);
    expect(ev.steps[0]!.outcome).toBe('wrong_direction');
    expect(ev.steps[1]!.outcome).toBe('missing');
  });

  it('a step never reached is missing', () => {
    const ev = evaluateChallenge(leftThenRight, ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(false);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'missing']);
  });

  it('LOOK_UP then a turn', () => {
    const ev = evaluateChallenge(trajectory([0, 0, 1, 2, 6, 12, 18], [0, 5, 11, 12, 6, 2, 0]), ['LOOK_UP', 'TURN_LEFT'], STEP_TIMEOUT_MS);
    expect(ev.performed).toBe(true);
    expect(ev.steps.map((s) => s.index)).toEqual([2, 6]);
  });

  it('each step is due by (its index + 1) x stepTimeoutMs from the first frame', () => {
    // 500 ms between samples: the left turn at 1.5 s is in time, the right turn at 6.5 s is late (due 6 s).
    const slow = trajectory([0, 5, 10, 20, 10, 5, 0, -5, -8, -10, -12, -13, -14, -20], undefined, 500);
    const ev = evaluateChallenge(slow, ['TURN_LEFT', 'TURN_RIGHT'], STEP_TIMEOUT_MS);
    expect(ev.steps.map((s) => s.outcome)).toEqual(['done', 'late']);
    expect(ev.performed).toBe(false);
    expect(evaluateChallenge(slow, ['TURN_LEFT', 'TURN_RIGHT'], 4000).performed).toBe(true);
  });

  it('no steps or no samples: not performed', () => {
    expect(evaluateChallenge(leftThenRight, [], STEP_TIMEOUT_MS).performed).toBe(false);
    expect(evaluateChallenge([], ['TURN_LEFT', 'LOOK_UP'], STEP_TIMEOUT_MS).performed).toBe(false);
  });
});
