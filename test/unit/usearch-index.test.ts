/**
 * The usearch vector index adapter on synthetic clustered 128-d data with a fixed seed: recall@1
 * against exact search, delete semantics (gone from search at once, zeroed in the serialised
 * bytes, still gone after a reload) and a snapshot round trip.
 */
import { describe, expect, it } from 'vitest';
import { scrubRemoved, UsearchIndexFactory } from '../../src/adapters/index/usearch-index.js';

const DIM = 128;

/** A deterministic normal sample (Box–Muller on a small LCG). */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const next = (): number => ((s = (s * 1664525 + 1013904223) % 4294967296) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

/** `n` vectors in clusters of 5 (a "person"): centres spread like face embeddings, faces near them. */
function clustered(n: number, seed: number): Float32Array {
  const g = gaussian(seed);
  const out = new Float32Array(n * DIM);
  const centre = new Float32Array(DIM);
  for (let i = 0; i < n; i++) {
    if (i % 5 === 0) for (let k = 0; k < DIM; k++) centre[k] = 0.08 * g();
    for (let k = 0; k < DIM; k++) out[i * DIM + k] = centre[k]! + 0.02 * g();
  }
  return out;
}

function exactNearest(data: Float32Array, q: Float32Array, skip: ReadonlySet<number> = new Set()): number {
  let best = -1;
  let bestD = Infinity;
  for (let r = 0; r < data.length / DIM; r++) {
    if (skip.has(r)) continue;
    let s = 0;
    for (let k = 0; k < DIM; k++) s += (q[k]! - data[r * DIM + k]!) ** 2;
    if (s < bestD) [best, bestD] = [r, s];
  }
  return best;
}

const row = (data: Float32Array, r: number): Float32Array => data.slice(r * DIM, (r + 1) * DIM);

function queries(data: Float32Array, count: number, seed: number): Float32Array[] {
  const g = gaussian(seed);
  const n = data.length / DIM;
  return Array.from({ length: count }, (_, i) => Float32Array.from(row(data, (i * 7919) % n), (v) => v + 0.02 * g()));
}

describe('usearch vector index', () => {
  const factory = new UsearchIndexFactory({ buildThreads: 1 }); // one thread: a deterministic graph
  const N = 20_000;
  const data = clustered(N, 11);

  it('finds the exact nearest neighbour for at least 99% of queries, with exact squared distances', async () => {
    const index = await factory.build(data, DIM);
    expect(index.size).toBe(N);
    expect(index.dim).toBe(DIM);
    const qs = queries(data, 200, 5);
    let hits = 0;
    for (const q of qs) {
      const [top] = index.search(q, 10);
      const truth = exactNearest(data, q);
      if (top!.key === truth) hits++;
      let s = 0;
      for (let k = 0; k < DIM; k++) s += (q[k]! - data[top!.key * DIM + k]!) ** 2;
      expect(top!.squaredDistance).toBeCloseTo(s, 4);
    }
    expect(hits / qs.length).toBeGreaterThanOrEqual(0.99);
  });

  it('answers at most k matches, nearest first, and no more than it holds', async () => {
    const small = await factory.build(clustered(7, 3), DIM);
    const matches = small.search(row(data, 0), 50);
    expect(matches).toHaveLength(7);
    for (let i = 1; i < matches.length; i++) expect(matches[i]!.squaredDistance).toBeGreaterThanOrEqual(matches[i - 1]!.squaredDistance);
  });

  it('removes keys from search at once, zeroes them in the serialised bytes and keeps them out after a reload', async () => {
    const index = await factory.build(data, DIM);
    const victims = [3, 4, 1234, 19_999];
    expect(index.remove(victims)).toBe(victims.length);
    expect(index.remove([3])).toBe(0);
    expect(index.size).toBe(N - victims.length);
    for (const v of victims) {
      const found = index.search(row(data, v), 20).map((m) => m.key);
      expect(found).not.toContain(v);
      expect(found[0]).toBe(exactNearest(data, row(data, v), new Set(victims)));
    }
    const bytes = await index.serialize();
    for (const v of victims) expect(bytes.indexOf(Buffer.from(row(data, v).buffer))).toBe(-1);
    // A kept face's bytes are still there (the search above would fail otherwise, but say it).
    expect(bytes.indexOf(Buffer.from(row(data, 5).buffer))).toBeGreaterThan(0);
    const reloaded = await factory.load(bytes);
    expect(reloaded.size).toBe(N - victims.length);
    for (const v of victims) expect(reloaded.search(row(data, v), 20).map((m) => m.key)).not.toContain(v);
  });

  it('round-trips through its bytes: same size, same answers', async () => {
    const index = await factory.build(data, DIM);
    const copy = await factory.load(await index.serialize());
    expect(copy.size).toBe(index.size);
    for (const q of queries(data, 50, 9)) expect(copy.search(q, 5)).toEqual(index.search(q, 5));
  });

  it('refuses bytes whose layout it does not know instead of returning them unscrubbed', () => {
    expect(() => scrubRemoved(Buffer.alloc(4))).toThrow(/layout/);
    const bogus = Buffer.alloc(8 + 2 * 4 + 64 + 40);
    bogus.writeUInt32LE(2, 0);
    bogus.writeUInt32LE(4, 4);
    expect(() => scrubRemoved(bogus)).toThrow(/magic/);
  });
});
