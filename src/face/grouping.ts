/**
 * Groups faces by identity: faces join a group when their embeddings are within the same-person
 * threshold of one another (average linkage, so one look-alike pair cannot chain two people
 * together); faces that match no other face go to the messy group. Deterministic: the result
 * depends only on the input order.
 */
import { euclideanDistance, THRESHOLD } from './similarity.js';

export interface Grouping {
  /** Indices into the input, largest group first; within a group, input order. */
  groups: number[][];
  messyGroup: number[];
}

/**
 * Average-linkage agglomerative clustering with a stopping threshold.
 * O(n²) memory for the distance matrix and about O(n²·k) merges' work; n ≤ 1000 here.
 */
export function groupEmbeddings(embeddings: readonly Float32Array[], threshold = THRESHOLD): Grouping {
  const n = embeddings.length;
  const dist = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = euclideanDistance(embeddings[i]!, embeddings[j]!);
      dist[i * n + j] = d;
      dist[j * n + i] = d;
    }
  }
  // Clusters as member lists; `sum[a*n+b]` is the summed distance between clusters a and b.
  const members: Array<number[] | null> = Array.from({ length: n }, (_, i) => [i]);
  const sum = Float64Array.from(dist);
  const alive = new Set<number>(Array.from({ length: n }, (_, i) => i));
  // Each cluster's current nearest neighbour (by average distance), to avoid O(n²) scans per merge.
  const avg = (a: number, b: number): number => sum[a * n + b]! / (members[a]!.length * members[b]!.length);
  const nearest = (a: number): [number, number] => {
    let best = -1;
    let bestD = Infinity;
    for (const b of alive) {
      if (b === a) continue;
      const d = avg(a, b);
      if (d < bestD || (d === bestD && b < best)) {
        bestD = d;
        best = b;
      }
    }
    return [best, bestD];
  };
  const nn = new Map<number, [number, number]>();
  for (const a of alive) nn.set(a, nearest(a));

  for (;;) {
    let a = -1;
    let b = -1;
    let bestD = Infinity;
    for (const [x, [y, d]] of nn) {
      if (d < bestD || (d === bestD && Math.min(x, y) < Math.min(a, b))) {
        bestD = d;
        a = Math.min(x, y);
        b = Math.max(x, y);
      }
    }
    if (a < 0 || bestD > threshold) break;
    // Merge b into a.
    for (const c of alive) {
      if (c === a || c === b) continue;
      const s = sum[a * n + c]! + sum[b * n + c]!;
      sum[a * n + c] = s;
      sum[c * n + a] = s;
    }
    members[a] = [...members[a]!, ...members[b]!].sort((p, q) => p - q);
    members[b] = null;
    alive.delete(b);
    nn.delete(b);
    // Refresh neighbours that pointed at a or b, and a itself.
    for (const [x, [y]] of nn) {
      if (x === a || y === a || y === b) nn.set(x, nearest(x));
    }
    if (alive.size < 2) break;
  }

  const groups: number[][] = [];
  const messyGroup: number[] = [];
  for (const c of alive) {
    const m = members[c]!;
    if (m.length > 1) groups.push(m);
    else messyGroup.push(m[0]!);
  }
  groups.sort((p, q) => q.length - p.length || p[0]! - q[0]!);
  messyGroup.sort((p, q) => p - q);
  return { groups, messyGroup };
}
