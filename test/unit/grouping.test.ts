/**
 * groupEmbeddings (average-linkage clustering with a stopping threshold): on synthetic
 * embeddings with known structure, then on real embeddings of the shared people/ photos.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddedProvider } from '../../src/adapters/engine/provider.js';
import { groupEmbeddings, type Grouping } from '../../src/domain/grouping.js';
import { euclideanDistance, THRESHOLD } from '../../src/domain/similarity.js';
import { embedPeople, startEngine, type PersonFace } from '../helpers/people.js';

const DIM = 128;

/** A 128-d embedding whose first coordinates are `xs`, the rest 0. */
function vec(...xs: number[]): Float32Array {
  const v = new Float32Array(DIM);
  v.set(xs);
  return v;
}

/** Deterministic pseudo-random numbers in [0, 1) (LCG), so every run sees the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A point near the centre of cluster `k`: the centre is 2 on axis k (centres are 2.83 apart),
 * plus noise of at most `noise` on each of a few other axes.
 */
function near(k: number, rand: () => number, noise = 0.03): Float32Array {
  const v = new Float32Array(DIM);
  v[k] = 2;
  for (let a = 100; a < 108; a++) v[a] = (rand() - 0.5) * 2 * noise;
  return v;
}

function shuffled<T>(xs: readonly T[], rand: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The partition as a canonical, order-free value: sorted lists of labels. */
function partition(g: Grouping, labelOf: (i: number) => string): { groups: string[][]; messy: string[] } {
  const groups = g.groups.map((m) => m.map(labelOf).sort()).sort((p, q) => p.join().localeCompare(q.join()));
  return { groups, messy: g.messyGroup.map(labelOf).sort() };
}

function meanPairwise(members: readonly number[], embeddings: readonly Float32Array[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      sum += euclideanDistance(embeddings[members[i]!]!, embeddings[members[j]!]!);
      n++;
    }
  }
  return sum / n;
}

/** Every input index appears exactly once, in a group of two or more or in messyGroup. */
function expectPartitionOf(g: Grouping, n: number): void {
  const all = [...g.groups.flat(), ...g.messyGroup].sort((p, q) => p - q);
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
  for (const m of g.groups) expect(m.length).toBeGreaterThanOrEqual(2);
}

describe('groupEmbeddings on synthetic embeddings', () => {
  // Cluster of each input, interleaved: A has 4 faces, B 3, C 2; X and Y are loners.
  const LAYOUT = ['A', 'B', 'A', 'C', 'X', 'B', 'A', 'C', 'B', 'Y', 'A'] as const;
  const AXIS: Record<(typeof LAYOUT)[number], number> = { A: 0, B: 1, C: 2, X: 3, Y: 4 };
  const rand = rng(7);
  const embeddings = LAYOUT.map((c) => near(AXIS[c], rand));

  it('recovers well-separated clusters exactly, largest first, indices ascending within a group', () => {
    const g = groupEmbeddings(embeddings);
    expect(g.groups).toEqual([
      [0, 2, 6, 10], // A
      [1, 5, 8], // B
      [3, 7], // C
    ]);
    expectPartitionOf(g, LAYOUT.length);
  });

  it('puts faces that match no other face in messyGroup, in input order', () => {
    expect(groupEmbeddings(embeddings).messyGroup).toEqual([4, 9]);
  });

  it('sorts groups by size, largest first; equal sizes by their first index', () => {
    const r = rng(11);
    // Clusters by input: P (2, first at 0), Q (3, first at 1), R (2, first at 2).
    const layout = [5, 6, 7, 6, 5, 6, 7];
    const g = groupEmbeddings(layout.map((k) => near(k, r)));
    expect(g.groups).toEqual([
      [1, 3, 5],
      [0, 4],
      [2, 6],
    ]);
    expect(g.messyGroup).toEqual([]);
  });

  it('is deterministic: the same input gives the same output', () => {
    expect(groupEmbeddings(embeddings)).toEqual(groupEmbeddings(embeddings));
    // And does not modify its input.
    const copy = embeddings.map((e) => Float32Array.from(e));
    groupEmbeddings(embeddings);
    expect(embeddings).toEqual(copy);
  });

  it('a shuffled input gives the same partition', () => {
    const labelled = LAYOUT.map((c, i) => ({ label: `${c}${i}`, embedding: embeddings[i]! }));
    const reference = partition(groupEmbeddings(embeddings), (i) => labelled[i]!.label);
    const r = rng(3);
    for (let trial = 0; trial < 10; trial++) {
      const s = shuffled(labelled, r);
      expect(partition(groupEmbeddings(s.map((x) => x.embedding)), (i) => s[i]!.label)).toEqual(reference);
    }
  });

  it('does not chain: points 0.5 apart along a line spanning 2.0 do not become one group', () => {
    // Each neighbour is within the threshold, so single linkage (or "join anyone you match")
    // would make one group of all five, whose ends are 2.0 apart. Average linkage stops when
    // the average distance between two clusters exceeds the threshold.
    expect(THRESHOLD).toBeGreaterThanOrEqual(0.5); // neighbours match...
    expect(THRESHOLD).toBeLessThan(0.75); // ...but a pair and its next neighbour do not, on average
    const chain = [0, 0.5, 1, 1.5, 2].map((x) => vec(x));
    for (let i = 1; i < chain.length; i++) expect(euclideanDistance(chain[i - 1]!, chain[i]!)).toBeLessThanOrEqual(THRESHOLD);

    const g = groupEmbeddings(chain);
    expectPartitionOf(g, chain.length);
    expect(g.groups.some((m) => m.length === chain.length)).toBe(false);
    for (const m of g.groups) {
      // No group holds points farther apart than one step: nothing was merged beyond the threshold.
      expect(euclideanDistance(chain[m[0]!]!, chain[m[m.length - 1]!]!)).toBeLessThanOrEqual(THRESHOLD);
    }
    // Exactly: ties (all 0.5) resolve to the lowest indices first; {0,1} and {2,3} are 0.75 and
    // 1.0 apart on average, {2,3} and 4 0.75: above the threshold.
    expect(g).toEqual({
      groups: [
        [0, 1],
        [2, 3],
      ],
      messyGroup: [4],
    });
  });

  it('a longer chain, shuffled: no group is longer than the threshold allows', () => {
    const xs = Array.from({ length: 21 }, (_, i) => i * 0.5); // spans 10.0
    const r = rng(5);
    const order = shuffled(xs, r);
    const g = groupEmbeddings(order.map((x) => vec(x)));
    expectPartitionOf(g, xs.length);
    for (const m of g.groups) {
      const span = Math.max(...m.map((i) => order[i]!)) - Math.min(...m.map((i) => order[i]!));
      expect(span).toBeLessThanOrEqual(THRESHOLD);
    }
  });

  it('every group has a mean pairwise distance within the threshold (average linkage invariant)', () => {
    // Six noisy, overlapping clusters: they do not come back cleanly (more than six groups,
    // some mixed, some loners), which is where a linkage bug would show.
    const r = rng(42);
    const points = Array.from({ length: 60 }, (_, i) => {
      const v = new Float32Array(DIM);
      v[i % 6] = 0.3;
      for (let a = 10; a < 20; a++) v[a] = (r() - 0.5) * 0.5;
      return v;
    });
    const g = groupEmbeddings(points);
    expectPartitionOf(g, points.length);
    expect(g.groups.length).toBeGreaterThan(6);
    expect(g.messyGroup.length).toBeGreaterThan(0);
    for (const m of g.groups) expect(meanPairwise(m, points)).toBeLessThanOrEqual(THRESHOLD);
  });

  it('takes an explicit threshold', () => {
    const pts = [vec(0), vec(0.3), vec(1.0), vec(1.3)];
    expect(groupEmbeddings(pts, 0.2)).toEqual({ groups: [], messyGroup: [0, 1, 2, 3] });
    expect(groupEmbeddings(pts, 0.35)).toEqual({
      groups: [
        [0, 1],
        [2, 3],
      ],
      messyGroup: [],
    });
    expect(groupEmbeddings(pts, 5)).toEqual({ groups: [[0, 1, 2, 3]], messyGroup: [] });
  });
});

describe('groupEmbeddings edge cases', () => {
  it('no faces: no groups, empty messyGroup', () => {
    expect(groupEmbeddings([])).toEqual({ groups: [], messyGroup: [] });
  });

  it('one face: messyGroup', () => {
    expect(groupEmbeddings([vec(0.1)])).toEqual({ groups: [], messyGroup: [0] });
  });

  it('two faces: one group when they match, both messy when they do not', () => {
    expect(groupEmbeddings([vec(0), vec(THRESHOLD - 0.01)])).toEqual({ groups: [[0, 1]], messyGroup: [] });
    expect(groupEmbeddings([vec(0), vec(THRESHOLD + 0.01)])).toEqual({ groups: [], messyGroup: [0, 1] });
  });

  it('two faces exactly at the threshold match, as verify does (distance <= threshold)', () => {
    expect(groupEmbeddings([vec(0), vec(0.5)], 0.5)).toEqual({ groups: [[0, 1]], messyGroup: [] });
  });

  it('identical embeddings group together', () => {
    const e = vec(0.2, -0.1);
    expect(groupEmbeddings([e, vec(3), Float32Array.from(e)])).toEqual({ groups: [[0, 2]], messyGroup: [1] });
  });
});

describe('groupEmbeddings on real embeddings of the shared people/ photos', () => {
  let provider: EmbeddedProvider | undefined;
  let faces: PersonFace[] = [];

  beforeAll(async () => {
    provider = await startEngine();
    faces = await embedPeople(provider);
  });

  afterAll(async () => {
    await provider?.close();
  });

  it('gives one group per person with several photos, and the one-photo person in messyGroup', () => {
    const g = groupEmbeddings(faces.map((f) => f.embedding));
    const people = [...new Set(faces.map((f) => f.person))];
    const photosOf = (p: string): string[] => faces.filter((f) => f.person === p).map((f) => f.file);
    const multi = people.filter((p) => photosOf(p).length > 1);
    const single = people.filter((p) => photosOf(p).length === 1);
    expect(single).toEqual(['lin_manuel_miranda']);
    expect(multi).toHaveLength(5);

    const asFiles = (m: number[]): string[] => m.map((i) => faces[i]!.file);
    // No group mixes people; each multi-photo person is exactly one group.
    expect(new Set(g.groups.map(asFiles).map((files) => JSON.stringify(files.sort())))).toEqual(
      new Set(multi.map((p) => JSON.stringify(photosOf(p).sort()))),
    );
    expect(g.groups).toHaveLength(multi.length);
    expect(asFiles(g.messyGroup)).toEqual(['people/lin_manuel_miranda/1.png']);
  });

  it('gives the same partition for the photos in another order', () => {
    const reference = partition(groupEmbeddings(faces.map((f) => f.embedding)), (i) => faces[i]!.file);
    const r = rng(9);
    for (let trial = 0; trial < 5; trial++) {
      const s = shuffled(faces, r);
      expect(partition(groupEmbeddings(s.map((f) => f.embedding)), (i) => s[i]!.file)).toEqual(reference);
    }
  });
});
