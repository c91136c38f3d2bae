/**
 * Similarity maths: distance, the calibrated confidence curve, verify and findSimilar — on
 * synthetic embeddings, then on real embeddings of the shared people/ photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import {
  confidenceFromDistance,
  euclideanDistance,
  findSimilar,
  roundConfidence,
  SLOPE,
  THRESHOLD,
  verify,
  type Candidate,
} from '../../src/domain/similarity.js';
import { embedPeople, startEngine, type PersonFace } from '../helpers/people.js';

const DIM = 128;

/** A 128-d embedding whose first coordinates are `xs`, the rest 0. */
function vec(...xs: number[]): Float32Array {
  const v = new Float32Array(DIM);
  v.set(xs);
  return v;
}

const ORIGIN = vec();

/** Distances 0 .. 2 (the span of unit-scale embeddings) in steps of 0.01, plus far ones. */
const GRID = [...Array.from({ length: 201 }, (_, i) => i / 100), 3, 5, 10];

describe('constants', () => {
  it('are finite and in a plausible range for 128-d face embeddings', () => {
    expect(THRESHOLD).toBeGreaterThan(0.3);
    expect(THRESHOLD).toBeLessThan(1);
    expect(SLOPE).toBeGreaterThan(0);
    expect(Number.isFinite(SLOPE)).toBe(true);
  });
});

describe('euclideanDistance', () => {
  it('is the euclidean norm of the difference', () => {
    expect(euclideanDistance(vec(0, 0), vec(3, 4))).toBe(5);
    expect(euclideanDistance(vec(1, 2, 3), vec(1, 2, 3))).toBe(0);
  });

  it('is symmetric', () => {
    const a = vec(0.1, -0.4, 0.25);
    const b = vec(-0.3, 0.2, 0.05);
    expect(euclideanDistance(a, b)).toBe(euclideanDistance(b, a));
  });

  it('refuses embeddings of different sizes', () => {
    expect(() => euclideanDistance(new Float32Array(128), new Float32Array(64))).toThrow(/sizes differ/);
  });
});

describe('confidenceFromDistance', () => {
  it('lies strictly inside (0, 1)', () => {
    for (const d of GRID) {
      const c = confidenceFromDistance(d);
      expect(c, `d=${d}`).toBeGreaterThan(0);
      expect(c, `d=${d}`).toBeLessThan(1);
    }
  });

  it('decreases strictly with distance', () => {
    for (let i = 1; i < GRID.length; i++) {
      expect(confidenceFromDistance(GRID[i]!), `d=${GRID[i]}`).toBeLessThan(confidenceFromDistance(GRID[i - 1]!));
    }
  });

  it('is exactly 0.5 at THRESHOLD, above it closer and below it farther', () => {
    expect(confidenceFromDistance(THRESHOLD)).toBe(0.5);
    expect(confidenceFromDistance(THRESHOLD - 1e-9)).toBeGreaterThan(0.5);
    expect(confidenceFromDistance(THRESHOLD + 1e-9)).toBeLessThan(0.5);
  });

  it('is the logistic curve 1 / (1 + exp(SLOPE * (d - THRESHOLD)))', () => {
    for (const d of [0, 0.3, THRESHOLD, 0.8, 1.2]) {
      expect(confidenceFromDistance(d)).toBeCloseTo(1 / (1 + Math.exp(SLOPE * (d - THRESHOLD))), 12);
    }
  });
});

describe('verify', () => {
  it('isIdentical <=> confidence >= 0.5 <=> distance <= THRESHOLD, over a grid of distances', () => {
    for (const d of GRID) {
      const b = vec(d);
      const distance = euclideanDistance(ORIGIN, b); // d as stored in float32
      const v = verify(ORIGIN, b);
      expect(v.isIdentical, `d=${distance}`).toBe(confidenceFromDistance(distance) >= 0.5);
      expect(v.isIdentical, `d=${distance}`).toBe(distance <= THRESHOLD);
      expect(v.isIdentical, `d=${distance}`).toBe(v.confidence >= 0.5);
    }
  });

  it('keeps the reported (rounded) confidence on the same side of 0.5 as isIdentical next to the threshold', () => {
    // Float32 steps around THRESHOLD: within ~1e-6 of it the unrounded confidence is within 1e-5
    // of 0.5, where naive rounding to five decimals would report 0.5 for a rejected pair.
    let sawBoth = { identical: false, different: false };
    for (let k = -40; k <= 40; k++) {
      const b = vec(THRESHOLD + k * 2e-8);
      const v = verify(ORIGIN, b);
      expect(v.isIdentical, `step ${k}: ${JSON.stringify(v)}`).toBe(v.confidence >= 0.5);
      expect(v.isIdentical).toBe(euclideanDistance(ORIGIN, b) <= THRESHOLD);
      sawBoth = { identical: sawBoth.identical || v.isIdentical, different: sawBoth.different || !v.isIdentical };
    }
    expect(sawBoth).toEqual({ identical: true, different: true });
  });

  it('reports confidence rounded to five decimals, within [0, 1]', () => {
    const v = verify(vec(0.1, 0.2), vec(0.3, -0.1));
    expect(v.confidence).toBe(Math.round(v.confidence * 1e5) / 1e5);
    expect(verify(ORIGIN, ORIGIN).confidence).toBeLessThanOrEqual(1);
    expect(verify(ORIGIN, vec(5)).confidence).toBeGreaterThanOrEqual(0);
    expect(roundConfidence(0.123456789)).toBe(0.12346);
  });

  it('rounding never carries a confidence below 0.5 up to 0.5', () => {
    expect(roundConfidence(0.5)).toBe(0.5);
    expect(roundConfidence(0.500004)).toBe(0.5);
    expect(roundConfidence(0.4999999)).toBe(0.49999);
    expect(roundConfidence(0.499995)).toBe(0.49999);
    expect(roundConfidence(0.499994)).toBe(0.49999);
  });

  it('is symmetric', () => {
    const a = vec(0.1, -0.2, 0.3);
    const b = vec(0.4, 0.1, -0.2);
    expect(verify(a, b)).toEqual(verify(b, a));
  });
});

describe('findSimilar', () => {
  const query = ORIGIN;
  /** Candidates named by their distance from the query, in a scrambled order. */
  const at = (name: string, d: number): Candidate<string> => ({ item: name, embedding: vec(d) });
  const candidates = [at('d0.5', 0.5), at('d0.1', 0.1), at('d0.9', 0.9), at('d0.3', 0.3), at('d0.7', 0.7), at('d0.59', 0.59)];

  it('matchFace ranks every candidate by confidence, best first', () => {
    const r = findSimilar(query, candidates, 'matchFace', 20);
    expect(r.map((m) => m.item)).toEqual(['d0.1', 'd0.3', 'd0.5', 'd0.59', 'd0.7', 'd0.9']);
    for (let i = 1; i < r.length; i++) expect(r[i]!.confidence).toBeLessThanOrEqual(r[i - 1]!.confidence);
    for (const m of r) expect(m.confidence).toBe(roundConfidence(confidenceFromDistance(Number(m.item.slice(1)))));
  });

  it('matchPerson keeps only candidates judged the same person (distance <= THRESHOLD)', () => {
    const r = findSimilar(query, candidates, 'matchPerson', 20);
    const expected = candidates
      .filter((c) => euclideanDistance(query, c.embedding) <= THRESHOLD)
      .sort((p, q) => euclideanDistance(query, p.embedding) - euclideanDistance(query, q.embedding))
      .map((c) => c.item);
    expect(r.map((m) => m.item)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(candidates.length);
    for (const m of r) expect(m.confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('returns at most maxCandidates, the best ones', () => {
    expect(findSimilar(query, candidates, 'matchFace', 2).map((m) => m.item)).toEqual(['d0.1', 'd0.3']);
    expect(findSimilar(query, candidates, 'matchPerson', 1).map((m) => m.item)).toEqual(['d0.1']);
    expect(findSimilar(query, candidates, 'matchFace', 1000)).toHaveLength(candidates.length);
    expect(findSimilar(query, candidates, 'matchFace', 0)).toEqual([]);
  });

  it('keeps the candidates order among equal confidences (stable ties)', () => {
    const tied = [at('a', 0.4), at('b', 0.2), at('c', 0.4), at('d', 0.4), at('e', 0.2)];
    expect(findSimilar(query, tied, 'matchFace', 10).map((m) => m.item)).toEqual(['b', 'e', 'a', 'c', 'd']);
    const reversed = [...tied].reverse();
    expect(findSimilar(query, reversed, 'matchFace', 10).map((m) => m.item)).toEqual(['e', 'b', 'd', 'c', 'a']);
    // maxCandidates cuts a tie in candidate order too.
    expect(findSimilar(query, tied, 'matchFace', 3).map((m) => m.item)).toEqual(['b', 'e', 'a']);
  });

  it('returns nothing for no candidates, and does not reorder its input', () => {
    expect(findSimilar(query, [], 'matchFace', 10)).toEqual([]);
    const before = candidates.map((c) => c.item);
    findSimilar(query, candidates, 'matchFace', 10);
    expect(candidates.map((c) => c.item)).toEqual(before);
  });
});

describe('on real embeddings of the shared people/ photos', () => {
  let provider: EmbeddedProvider | undefined;
  let faces: PersonFace[] = [];

  beforeAll(async () => {
    provider = await startEngine();
    faces = await embedPeople(provider);
  });

  afterAll(async () => {
    await provider?.close();
  });

  const pairs = (): Array<{ a: PersonFace; b: PersonFace; same: boolean }> =>
    faces.flatMap((a, i) => faces.slice(i + 1).map((b) => ({ a, b, same: a.person === b.person })));

  it('has 16 photos of 6 people (18 same-person and 102 different-person pairs)', () => {
    expect(faces).toHaveLength(16);
    expect(new Set(faces.map((f) => f.person)).size).toBe(6);
    expect(pairs().filter((p) => p.same)).toHaveLength(18);
    expect(pairs().filter((p) => !p.same)).toHaveLength(102);
  });

  it('every same-person pair verifies (confidence >= 0.5)', () => {
    const failures = pairs()
      .filter((p) => p.same)
      .map((p) => ({
        pair: `${p.a.file} ~ ${p.b.file}`,
        distance: euclideanDistance(p.a.embedding, p.b.embedding),
        ...verify(p.a.embedding, p.b.embedding),
      }))
      .filter((r) => !r.isIdentical || r.confidence < 0.5);
    expect(failures).toEqual([]);
  });

  it('no different-person pair verifies (confidence < 0.5)', () => {
    const failures = pairs()
      .filter((p) => !p.same)
      .map((p) => ({
        pair: `${p.a.file} ~ ${p.b.file}`,
        distance: euclideanDistance(p.a.embedding, p.b.embedding),
        ...verify(p.a.embedding, p.b.embedding),
      }))
      .filter((r) => r.isIdentical || r.confidence >= 0.5);
    expect(failures).toEqual([]);
  });

  it('findSimilar(matchPerson) from each photo returns exactly the other photos of that person', () => {
    for (const q of faces) {
      const others = faces.filter((f) => f !== q);
      const found = findSimilar(
        q.embedding,
        others.map((f) => ({ item: f.file, embedding: f.embedding })),
        'matchPerson',
        1000,
      ).map((m) => m.item);
      expect(new Set(found), q.file).toEqual(new Set(others.filter((f) => f.person === q.person).map((f) => f.file)));
    }
  });
});
