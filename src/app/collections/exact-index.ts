/**
 * The trained index of a collection, for now an exact one: every embedding in one Float32 matrix,
 * searched by brute force. Its snapshot blob is
 *   u32 LE header length | header JSON {format, dim, ids: [persistedFaceId, personId | null][]} | Float32 LE matrix
 * An ANN index (usearch) will replace it behind the same build / decode / search functions.
 */
import { confidenceFromDistance } from '../../domain/similarity.js';
import type { FaceEmbedding } from '../../ports/collection-store.js';

const FORMAT = 'facegraph-exact-v1';

export interface IndexEntry {
  persistedFaceId: string;
  personId: string | null;
}

export interface ExactIndex {
  dim: number;
  entries: IndexEntry[];
  /** entries.length × dim, row-major. */
  matrix: Float32Array;
}

export function buildIndex(faces: readonly FaceEmbedding[]): ExactIndex {
  const dim = faces[0]?.embedding.length ?? 0;
  const matrix = new Float32Array(faces.length * dim);
  faces.forEach((f, i) => {
    if (f.embedding.length !== dim) throw new Error(`embedding sizes differ in one collection: ${f.embedding.length} vs ${dim}`);
    matrix.set(f.embedding, i * dim);
  });
  return { dim, entries: faces.map((f) => ({ persistedFaceId: f.persistedFaceId, personId: f.personId })), matrix };
}

/** The index without the entries `drop` selects (deleted faces or persons). */
export function withoutEntries(index: ExactIndex, drop: (e: IndexEntry) => boolean): ExactIndex {
  const keep = index.entries.map((e, i) => [e, i] as const).filter(([e]) => !drop(e));
  const matrix = new Float32Array(keep.length * index.dim);
  keep.forEach(([, i], j) => matrix.set(index.matrix.subarray(i * index.dim, (i + 1) * index.dim), j * index.dim));
  return { dim: index.dim, entries: keep.map(([e]) => e), matrix };
}

export function encodeIndex(index: ExactIndex): Buffer {
  const header = Buffer.from(
    JSON.stringify({ format: FORMAT, dim: index.dim, ids: index.entries.map((e) => [e.persistedFaceId, e.personId]) }),
    'utf8',
  );
  const out = Buffer.alloc(4 + header.length + index.matrix.length * 4);
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  const base = 4 + header.length;
  for (let i = 0; i < index.matrix.length; i++) out.writeFloatLE(index.matrix[i]!, base + i * 4);
  return out;
}

export function decodeIndex(bytes: Buffer): ExactIndex {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as {
    format: string;
    dim: number;
    ids: Array<[string, string | null]>;
  };
  if (header.format !== FORMAT) throw new Error(`unknown index snapshot format ${header.format}`);
  const base = 4 + headerLength;
  const matrix = new Float32Array(header.ids.length * header.dim);
  if (bytes.length !== base + matrix.length * 4) throw new Error('index snapshot is truncated');
  for (let i = 0; i < matrix.length; i++) matrix[i] = bytes.readFloatLE(base + i * 4);
  return { dim: header.dim, entries: header.ids.map(([persistedFaceId, personId]) => ({ persistedFaceId, personId })), matrix };
}

/** Confidence of `query` against every entry, in entry order. */
export function scoreAll(index: ExactIndex, query: Float32Array): Float64Array {
  if (index.entries.length > 0 && query.length !== index.dim) throw new Error(`embedding sizes differ: ${query.length} vs ${index.dim}`);
  const out = new Float64Array(index.entries.length);
  const { dim, matrix } = index;
  for (let r = 0; r < index.entries.length; r++) {
    let sum = 0;
    const o = r * dim;
    for (let k = 0; k < dim; k++) {
      const d = query[k]! - matrix[o + k]!;
      sum += d * d;
    }
    out[r] = confidenceFromDistance(Math.sqrt(sum));
  }
  return out;
}
