/**
 * The vector index port on usearch (npm `usearch`, prebuilt N-API binaries): an HNSW graph over
 * float32 vectors with the squared-euclidean metric, so its distances are exact and rank as the
 * exact search does.
 *
 * - build() adds the vectors in a worker thread (minutes at 1M faces: never on the event loop),
 *   which saves the index to a private temporary file the main thread then loads.
 * - usearch reads and writes files only, so serialize() and load() go through a temporary file
 *   in a fresh 0700 directory, unlinked at once; /dev/shm (RAM) is preferred when present so the
 *   bytes never reach a disk.
 * - remove() hides keys from search at once (usearch marks the node's key free; the node stays
 *   in the graph for navigation). The saved layout keeps the vector, so serialize() zeroes the
 *   vector of every node whose key is usearch's free key in the bytes it returns (`scrubRemoved`).
 *   The layout (usearch 2.x index_dense save_to_stream) is checked as it is parsed: a mismatch
 *   throws instead of returning bytes that might still hold a removed vector.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Index, MetricKind, ScalarKind, type IndexConfig } from 'usearch';
import type { VectorIndex, VectorIndexFactory, VectorMatch } from '../../ports/vector-index.js';

export interface UsearchOptions {
  /** Graph degree (HNSW M). */
  connectivity?: number;
  /** Candidate list size while building (efConstruction). */
  expansionAdd?: number;
  /** Candidate list size while searching (ef); a search for k > ef uses k. */
  expansionSearch?: number;
  /** Build threads (default: the cores Node reports). */
  buildThreads?: number;
  /** Where temporary index files go (default /dev/shm when present, else the OS temp dir). */
  tmpDir?: string;
}

/**
 * Chosen at 1,000,000 synthetic faces of bench:identify's generator (other seeds than the bench's
 * default), recall@1 against exact search on 300 probes (2026-12-03, 2 cores):
 *   M=16, efConstruction=64:  ef 512 → 0.980 (build 367 s)
 *   M=16, efConstruction=128: ef 512 → 0.980, ef 2048 → 0.990 (24 ms), build 1732 s (loaded machine)
 *   M=32, efConstruction=64:  ef 512 → 0.990 (6 ms), ef 1024 → 0.997 (15 ms), ef 2048 → 1.000 (30 ms), build 556 s
 * A denser graph (M=32) reaches nodes a sparse one misses at any ef, for a build 1.5× longer and
 * 256 more bytes a face; ef=1024 keeps a search near 15 ms for recall@1 ≥ 0.99 with margin.
 */
export const USEARCH_DEFAULTS = Object.freeze({ connectivity: 32, expansionAdd: 64, expansionSearch: 1024 });

const FREE_KEY = 0xffff_ffff_ffff_ffffn;
const HEAD_BYTES = 64;
const GRAPH_HEADER_BYTES = 40;

const MODULE_PATH = createRequire(import.meta.url).resolve('usearch');

/** The build worker, in CommonJS so it needs no TypeScript loader under tsx nor a file in dist. */
const BUILD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const usearch = require(workerData.modulePath);
const { vectors, dim, config, threads, file } = workerData;
const index = new usearch.Index(config);
const n = vectors.length / dim;
const B = 65536;
for (let i = 0; i < n; i += B) {
  const end = Math.min(n, i + B);
  const keys = new BigUint64Array(end - i);
  for (let j = i; j < end; j++) keys[j - i] = BigInt(j);
  index.add(keys, vectors.subarray(i * dim, end * dim), threads);
}
index.save(file);
parentPort.postMessage('saved');
`;

function defaultTmpDir(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) return '/dev/shm';
  } catch {
    // no /dev/shm: use the OS temp dir
  }
  return os.tmpdir();
}

/** Runs fn with the path of a file in a fresh private directory, removed afterwards. */
async function withTempFile<T>(tmpDir: string, fn: (file: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(path.join(tmpDir, 'facegraph-index-'));
  try {
    return await fn(path.join(dir, 'index.usearch'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Zeroes, in place, the vector of every node usearch marked removed (key = free key) in the bytes
 * of a saved index; answers how many. Throws when the bytes do not have the expected layout:
 *   u32 rows | u32 bytes per vector | rows vectors | 64-byte head ("usearch", …) |
 *   graph header {u64 size, connectivity, connectivity_base, max_level, entry_slot} |
 *   i16 level per node | nodes {u64 key, i16 level, u32 count + connectivity_base u32 slots,
 *   level × (u32 count + connectivity u32 slots)}.
 */
export function scrubRemoved(bytes: Buffer): number {
  const fail = (why: string): never => {
    throw new Error(`unexpected usearch index layout: ${why}`);
  };
  if (bytes.length < 8) fail('too short');
  const rows = bytes.readUInt32LE(0);
  const cols = bytes.readUInt32LE(4);
  const head = 8 + rows * cols;
  if (head + HEAD_BYTES + GRAPH_HEADER_BYTES > bytes.length) fail('truncated vectors');
  if (bytes.toString('latin1', head, head + 7) !== 'usearch') fail('no magic');
  const g = head + HEAD_BYTES;
  const size = Number(bytes.readBigUInt64LE(g));
  const connectivity = Number(bytes.readBigUInt64LE(g + 8));
  const connectivityBase = Number(bytes.readBigUInt64LE(g + 16));
  if (size !== rows) fail(`graph size ${size} vs ${rows} vectors`);
  const levels = g + GRAPH_HEADER_BYTES;
  let node = levels + 2 * size;
  const baseBytes = 8 + 2 + 4 + 4 * connectivityBase;
  const levelBytes = 4 + 4 * connectivity;
  let scrubbed = 0;
  for (let i = 0; i < size; i++) {
    if (node + baseBytes > bytes.length) fail('truncated nodes');
    const level = bytes.readInt16LE(levels + 2 * i);
    if (bytes.readInt16LE(node + 8) !== level) fail(`node ${i} level`);
    if (bytes.readBigUInt64LE(node) === FREE_KEY) {
      bytes.fill(0, 8 + i * cols, 8 + (i + 1) * cols);
      scrubbed++;
    }
    node += baseBytes + level * levelBytes;
  }
  if (node !== bytes.length) fail(`${bytes.length - node} trailing bytes`);
  return scrubbed;
}

class UsearchIndex implements VectorIndex {
  constructor(
    private readonly index: Index,
    private readonly tmpDir: string,
  ) {}

  get dim(): number {
    return this.index.dimensions();
  }

  get size(): number {
    return this.index.size();
  }

  search(query: Float32Array, k: number): VectorMatch[] {
    if (query.length !== this.dim) throw new Error(`embedding sizes differ: ${query.length} vs ${this.dim}`);
    const wanted = Math.min(k, this.size);
    if (wanted < 1) return [];
    const m = this.index.search(query, wanted, 1);
    const out: VectorMatch[] = [];
    for (let i = 0; i < m.keys.length; i++) out.push({ key: Number(m.keys[i]!), squaredDistance: m.distances[i]! });
    return out;
  }

  remove(keys: readonly number[]): number {
    if (keys.length === 0) return 0;
    const removed = this.index.remove(BigUint64Array.from(keys, (k) => BigInt(k)));
    return typeof removed === 'number' ? removed : removed.reduce((a: number, b: number) => a + b, 0);
  }

  serialize(prefix: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    return withTempFile(this.tmpDir, (file) => {
      this.index.save(file);
      // One buffer for prefix and index (a concatenation would hold the index's bytes twice).
      const size = statSync(file).size;
      const out = Buffer.allocUnsafe(prefix.length + size);
      prefix.copy(out, 0);
      const fd = openSync(file, 'r');
      try {
        for (let read = 0; read < size;) {
          const n = readSync(fd, out, prefix.length + read, size - read, read);
          if (n === 0) throw new Error(`index file ended after ${read} of ${size} bytes`);
          read += n;
        }
      } finally {
        closeSync(fd);
      }
      scrubRemoved(out.subarray(prefix.length));
      return out;
    });
  }
}

export class UsearchIndexFactory implements VectorIndexFactory {
  private readonly config: IndexConfig;
  private readonly threads: number;
  private readonly tmpDir: string;

  constructor(options: UsearchOptions = {}) {
    this.config = {
      dimensions: 0,
      metric: MetricKind.L2sq,
      quantization: ScalarKind.F32,
      connectivity: options.connectivity ?? USEARCH_DEFAULTS.connectivity,
      expansion_add: options.expansionAdd ?? USEARCH_DEFAULTS.expansionAdd,
      expansion_search: options.expansionSearch ?? USEARCH_DEFAULTS.expansionSearch,
      multi: false,
    };
    this.threads = options.buildThreads ?? os.availableParallelism();
    this.tmpDir = options.tmpDir ?? defaultTmpDir();
  }

  get description(): string {
    const c = this.config;
    return `usearch f32 l2sq M=${c.connectivity} efConstruction=${c.expansion_add} ef=${c.expansion_search} buildThreads=${this.threads}`;
  }

  async build(vectors: Float32Array, dim: number): Promise<VectorIndex> {
    if (dim < 1 || vectors.length % dim !== 0) throw new Error(`a matrix of ${vectors.length} values is not rows of ${dim}`);
    const config = { ...this.config, dimensions: dim };
    return withTempFile(this.tmpDir, async (file) => {
      // Moved, not copied: a million 128-d faces are 512 MB the caller no longer needs.
      const worker = new Worker(BUILD_WORKER, {
        eval: true,
        workerData: { modulePath: MODULE_PATH, vectors, dim, config, threads: this.threads, file },
        transferList: [vectors.buffer as ArrayBuffer],
      });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`index build worker exited with code ${code}`)));
      });
      await worker.terminate();
      const index = new Index(config);
      index.load(file);
      return new UsearchIndex(index, this.tmpDir);
    });
  }

  async load(bytes: Buffer): Promise<VectorIndex> {
    return withTempFile(this.tmpDir, (file) => {
      writeFileSync(file, bytes, { mode: 0o600 });
      const index = new Index({ ...this.config, dimensions: 1 });
      index.load(file);
      return new UsearchIndex(index, this.tmpDir);
    });
  }
}
