/**
 * Data for bench/identify.ts: real embeddings of every face in ../shared/faces (people/, groups/,
 * variants/) and of the face-api demo photos, computed once with the embedded engine and cached
 * in bench/out/identify-embeddings.json; and a seeded generator that grows them into a gallery of
 * any size (synthetic persons around real faces, several noisy faces each).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { BENCH_DIR, DETECT_OPTIONS, FACES_DIR, peoplePhotos, startProvider } from './data.js';

const CACHE = path.join(BENCH_DIR, 'out', 'identify-embeddings.json');

export interface RealFace {
  /** Relative to ../shared/faces, or `face-api/<file>` for the npm package's demo photos. */
  file: string;
  /** The folder name for people/ photos (one person per folder); null for the other photos' faces. */
  person: string | null;
  embedding: Float32Array;
}

interface CachedFace {
  file: string;
  person: string | null;
  embedding: number[];
}

function otherPhotos(): Array<{ file: string; abs: string }> {
  const out: Array<{ file: string; abs: string }> = [];
  for (const dir of ['groups', 'variants']) {
    for (const name of readdirSync(path.join(FACES_DIR, dir)).sort()) {
      if (/\.(jpe?g|png)$/i.test(name)) out.push({ file: `${dir}/${name}`, abs: path.join(FACES_DIR, dir, name) });
    }
  }
  const demo = path.join(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
  for (const name of readdirSync(demo).sort()) {
    if (/^sample\d\.jpg$/.test(name)) out.push({ file: `face-api/${name}`, abs: path.join(demo, name) });
  }
  return out;
}

/** Every real face: the largest face of each people/ photo (labelled) and every face of the others. */
export async function realFaces(): Promise<RealFace[]> {
  if (existsSync(CACHE)) {
    const cached = JSON.parse(readFileSync(CACHE, 'utf8')) as CachedFace[];
    return cached.map((c) => ({ file: c.file, person: c.person, embedding: Float32Array.from(c.embedding) }));
  }
  const provider = await startProvider();
  try {
    const faces: RealFace[] = [];
    for (const p of peoplePhotos()) {
      const found = await provider.detect(readFileSync(path.join(FACES_DIR, p.file)), DETECT_OPTIONS);
      if (!found[0]?.embedding) throw new Error(`no face in ${p.file}`);
      faces.push({ file: p.file, person: p.person, embedding: found[0].embedding });
    }
    for (const o of otherPhotos()) {
      const found = await provider.detect(readFileSync(o.abs), DETECT_OPTIONS);
      for (const f of found) if (f.embedding) faces.push({ file: o.file, person: null, embedding: f.embedding });
    }
    mkdirSync(path.dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(faces.map((f) => ({ file: f.file, person: f.person, embedding: [...f.embedding] }))));
    return faces;
  } finally {
    await provider.close();
  }
}

/** A deterministic normal sample (Box–Muller on a small LCG), as in bench/recognition.ts. */
export function gaussianSource(seed: number): () => number {
  let s = seed >>> 0;
  const next = (): number => ((s = (s * 1664525 + 1013904223) % 4294967296) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

/** Embedding dimensions of recognition_04. */
export const DIM = 128;
/** Faces of each synthetic person. */
export const FACES_PER_PERSON = 5;

/** Synthetic person `p`'s centre: a mix of two real faces plus noise (person-to-person ≈ real distances). */
export function* syntheticFaces(
  real: readonly RealFace[],
  count: number,
  seed: number,
): Generator<{ person: number; embedding: Float32Array }> {
  const g = gaussianSource(seed);
  const u = gaussianSource(seed + 1);
  const pick = (): Float32Array => real[Math.floor(Math.abs(u()) * 1e6) % real.length]!.embedding;
  const centre = new Float32Array(DIM);
  for (let i = 0; i < count; i++) {
    if (i % FACES_PER_PERSON === 0) {
      const [a, b] = [pick(), pick()];
      const alpha = 0.3 + 0.4 * ((Math.abs(u()) * 1000) % 1);
      for (let k = 0; k < DIM; k++) centre[k] = alpha * a[k]! + (1 - alpha) * b[k]! + 0.05 * g();
    }
    yield { person: Math.floor(i / FACES_PER_PERSON), embedding: Float32Array.from(centre, (c) => c + 0.02 * g()) };
  }
}
