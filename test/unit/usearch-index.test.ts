/**
 * The usearch vector index adapter on synthetic clustered 128-d data with a fixed seed: recall@1
 * against exact search, delete semantics (gone from search at once, zeroed in the serialised
 * bytes, still gone after a reload) and a snapshot round trip.
 */
import { describe, expect, it } from 'vitest';
import { scrubRemoved, UsearchIndexFactory } from '../../src/adapters/index/usearch-index.js';
import { buildTrainedIndex, decodeTrainedIndex, encodeTrainedIndex, nearest } from '../../src/app/collections/trained-index.js';
import type { FaceEmbedding } from '../../src/ports/collection-store.js';

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
    const index = await factory.build(data.slice(), DIM);
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
    const index = await factory.build(data.slice(), DIM);
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
    const index = await factory.build(data.slice(), DIM);
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

  it('takes the vectors over: build moves them to its worker instead of copying them', async () => {
    const mine = clustered(50, 4);
    await factory.build(mine, DIM);
    expect(mine.length).toBe(0); // detached: the caller's buffer went to the build worker
  });

  describe('training from a stream of store batches', () => {
    async function* batchesOf(vectors: Float32Array, size: number): AsyncIterable<FaceEmbedding[]> {
      const n = vectors.length / DIM;
      for (let i = 0; i < n; i += size) {
        yield Array.from({ length: Math.min(size, n - i) }, (_, j) => ({
          persistedFaceId: `f${i + j}`,
          personId: `p${Math.floor((i + j) / 5)}`,
          embedding: row(vectors, i + j),
        }));
      }
    }
    const builder = { factory, annMinFaces: 100 };

    // A count taken before faces were added (too low) or deleted (too high) must not change the index.
    it.each([0, 37, 3000])('indexes every face in order whatever the expected count (%i of 1000)', async (expected) => {
      const vectors = clustered(1000, 21);
      const index = await buildTrainedIndex(builder, batchesOf(vectors, 64), expected);
      expect(index.kind).toBe('ann');
      if (index.kind !== 'ann') return;
      expect(index.entries.map((e) => e!.persistedFaceId)).toEqual(Array.from({ length: 1000 }, (_, i) => `f${i}`));
      for (const r of [0, 63, 64, 999]) expect(nearest(index, row(vectors, r), 1)[0]!.entry.persistedFaceId).toBe(`f${r}`);
    });

    it('stays exact below annMinFaces, and the encoded ANN snapshot decodes to the same answers', async () => {
      const small = await buildTrainedIndex(builder, batchesOf(clustered(40, 5), 16), 40);
      expect(small.kind).toBe('exact');
      const vectors = clustered(500, 8);
      const ann = await buildTrainedIndex(builder, batchesOf(vectors, 100), 500);
      const copy = await decodeTrainedIndex(await encodeTrainedIndex(ann), factory);
      for (const q of queries(vectors, 20, 3)) {
        expect(nearest(copy, q, 3).map((m) => m.entry.persistedFaceId)).toEqual(nearest(ann, q, 3).map((m) => m.entry.persistedFaceId));
      }
    });
  });
});
