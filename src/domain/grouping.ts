/**
 * Groups faces by identity: faces join a group when their embeddings are within the same-person
 * threshold of one another (average linkage, so one look-alike pair cannot chain two people
 * together); faces that match no other face go to the messy group. Deterministic: the result
 * depends only on the input.
 */
import { THRESHOLD } from './similarity.js';

export interface Grouping {
  /** Indices into the input, largest group first; within a group, input order. */
  groups: number[][];
  messyGroup: number[];
}

/** All pairwise euclidean distances, n x n, from one flat copy of the embeddings (cache-friendly). */
function distanceMatrix(embeddings: readonly Float32Array[]): Float64Array {
  const n = embeddings.length;
  const dim = embeddings[0]?.length ?? 0;
  const flat = new Float32Array(n * dim);
  embeddings.forEach((e, i) => {
    if (e.length !== dim) throw new Error(`embedding sizes differ: ${e.length} vs ${dim}`);
    flat.set(e, i * dim);
  });
  const dist = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * dim;
    for (let j = i + 1; j < n; j++) {
      const oj = j * dim;
      let s0 = 0;
      let s1 = 0;
      let k = 0;
      for (; k + 1 < dim; k += 2) {
        const d0 = flat[oi + k]! - flat[oj + k]!;
        const d1 = flat[oi + k + 1]! - flat[oj + k + 1]!;
        s0 += d0 * d0;
        s1 += d1 * d1;
      }
      if (k < dim) {
        const d = flat[oi + k]! - flat[oj + k]!;
        s0 += d * d;
      }
      const d = Math.sqrt(s0 + s1);
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
  }
  return dist;
}

/**
 * Average-linkage agglomerative clustering, stopped at `threshold`, by the nearest-neighbour
 * chain algorithm: O(n²) time after the distance matrix. Average linkage is reducible, so the
 * merges below the threshold are the same as the classic closest-pair-first procedure's, and
 * a reciprocal pair farther apart than the threshold can never merge with anything again.
 */
export function groupEmbeddings(embeddings: readonly Float32Array[], threshold = THRESHOLD): Grouping {
  const n = embeddings.length;
  // dist holds average distances between current clusters (Lance–Williams update on merge).
  const dist = distanceMatrix(embeddings);
  const size = new Array<number>(n).fill(1);
  const members: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const active = new Set<number>(Array.from({ length: n }, (_, i) => i)); // may still merge
  const finished: number[] = []; // clusters that can no longer merge

  const nearest = (c: number, preferred: number): [number, number] => {
    let best = preferred;
    let bestD = preferred >= 0 ? dist[c * n + preferred]! : Infinity;
    for (const x of active) {
      if (x === c) continue;
      const d = dist[c * n + x]!;
      if (d < bestD || (d === bestD && x < best && best !== preferred)) {
        best = x;
        bestD = d;
      }
    }
    return [best, bestD];
  };

  const chain: number[] = [];
  while (active.size > 1) {
    if (chain.length === 0) chain.push(Math.min(...active));
    const c = chain[chain.length - 1]!;
    const previous = chain.length > 1 ? chain[chain.length - 2]! : -1;
    const [d, dd] = nearest(c, previous);
    if (d !== previous) {
      chain.push(d);
      continue;
    }
    // c and d are reciprocal nearest neighbours.
    chain.pop();
    chain.pop();
    if (dd > threshold) {
      active.delete(c);
      active.delete(d);
      finished.push(c, d);
      continue;
    }
    // Merge d into c: average distance to every other cluster, weighted by size.
    for (let x = 0; x < n; x++) {
      if (x === c || x === d || !active.has(x)) continue;
      const v = (size[c]! * dist[c * n + x]! + size[d]! * dist[d * n + x]!) / (size[c]! + size[d]!);
      dist[c * n + x] = v;
      dist[x * n + c] = v;
    }
    size[c] = size[c]! + size[d]!;
    members[c] = [...members[c]!, ...members[d]!].sort((p, q) => p - q);
    active.delete(d);
  }
  finished.push(...active);

  const groups: number[][] = [];
  const messyGroup: number[] = [];
  for (const c of finished) {
    const m = members[c]!;
    if (m.length > 1) groups.push(m);
    else messyGroup.push(m[0]!);
  }
  groups.sort((p, q) => q.length - p.length || p[0]! - q[0]!);
  messyGroup.sort((p, q) => p - q);
  return { groups, messyGroup };
}
