/**
 * Recognition speed (`npm run bench:recognition`): prints numbers, asserts nothing.
 *
 * Starts the real server, registers the real faces of ../shared/faces/people, then reaches
 * 1,000 faces with small perturbations of those real embeddings (registered directly in the
 * faceId registry, as detection would). For verify of two faceIds, find-similar over 1,000
 * candidates and group of 1,000 it measures:
 *   - server compute: the provider call the resolver makes (registry lookups included), in process;
 *   - HTTP round trip: the GraphQL mutation over loopback (JSON of 1,000 ids included).
 * Then verify of two *images* in one call against the baseline of two detectFaces calls plus a
 * verify of the two faceIds, same images, same run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApp, type App } from '../src/wiring.js';
import { loadConfig } from '../src/platform/config.js';
import type { RecognitionFace } from '../src/ports/face-provider.js';
import { createLogger } from '../src/platform/logger.js';

const FACES = fileURLToPath(new URL('../../shared/faces', import.meta.url));
const N = 30;
const MODELS = { detectionModel: 'detection_03', recognitionModel: 'recognition_04' } as const;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timeIt(n: number, fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95) };
}

// Responses are read ad hoc in the timing loops; `any` keeps them short (bench code only).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** A deterministic normal sample (Box–Muller on a small LCG). */
function gaussianSource(seed: number): () => number {
  let s = seed;
  const next = (): number => ((s = (s * 1664525 + 1013904223) % 4294967296) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

async function registerFaces(app: App, url: string): Promise<string[]> {
  const files = readdirSync(path.join(FACES, 'people')).flatMap((p) =>
    readdirSync(path.join(FACES, 'people', p)).map((f) => path.join(FACES, 'people', p, f)),
  );
  const real: string[] = [];
  for (const file of files) {
    const data = await gql(url, 'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }', {
      b: readFileSync(file).toString('base64'),
    });
    real.push(data.detectFaces[0].faceId);
  }
  // Perturb real embeddings (sigma 0.01 per dimension: ~0.11 apart, same identity) up to 1,000.
  const gauss = gaussianSource(7);
  const ids = [...real];
  for (let i = 0; ids.length < 1000; i++) {
    const base = (await app.services.registry.get(real[i % real.length]!))!;
    const embedding = Float32Array.from(base.face.embedding!, (v) => v + 0.01 * gauss());
    ids.push((await app.services.registry.register({ ...base.face, embedding }, MODELS, 86_400)).faceId);
  }
  return ids;
}

async function lookup(app: App, ids: readonly string[]): Promise<RecognitionFace[]> {
  const entries = await app.services.registry.getMany(ids);
  return ids.map((id, i) => {
    const e = entries[i]!;
    return { faceId: id, face: e.face, recognitionModel: e.recognitionModel };
  });
}

async function main(): Promise<void> {
  const app = await startApp(loadConfig({ PORT: '0', LOG_LEVEL: 'silent' }), createLogger('silent'));
  const url = app.server.url;
  try {
    const ids = await registerFaces(app, url);
    const [a, b] = ids as [string, string];
    const p = app.services.provider;

    const rows: Array<[string, { p50: number; p95: number }, { p50: number; p95: number }, number]> = [];
    rows.push([
      'verify 2 faceIds',
      await timeIt(N * 10, async () => p.verify(...((await lookup(app, [a, b])) as [RecognitionFace, RecognitionFace]))),
      await timeIt(N, () =>
        gql(
          url,
          'mutation($a: ID, $b: ID) { verifyFaces(input: { face1: { faceId: $a }, face2: { faceId: $b } }) { verification { confidence } } }',
          { a, b },
        ),
      ),
      2,
    ]);
    rows.push([
      'find-similar over 1,000',
      await timeIt(N, async () => p.findSimilar((await lookup(app, [a]))[0]!, await lookup(app, ids), 'matchPerson', 20)),
      await timeIt(N, () =>
        gql(
          url,
          'mutation($a: ID, $c: [ID!]!) { findSimilarFaces(input: { face: { faceId: $a }, candidateFaceIds: $c }) { matches { faceId confidence } } }',
          { a, c: ids },
        ),
      ),
      5,
    ]);
    rows.push([
      'group 1,000',
      await timeIt(10, async () => p.group(await lookup(app, ids))),
      await timeIt(10, () =>
        gql(url, 'mutation($c: [ID!]!) { groupFaces(input: { faceIds: $c }) { grouping { groups { faceIds } messyGroup { faceIds } } } }', {
          c: ids,
        }),
      ),
      300,
    ]);
    const grouping = await p.group(await lookup(app, ids));
    console.log(
      `group of 1,000: ${grouping.groups.length} groups (sizes ${grouping.groups.map((g) => g.length).join(',')}), messy ${grouping.messyGroup.length}`,
    );

    console.log('\n| operation | server compute p50 / p95 (ms) | HTTP round trip p50 / p95 (ms) | target (server) |');
    console.log('|---|---|---|---|');
    for (const [name, server, http, target] of rows) {
      const verdict = server.p50 <= target ? 'meets' : 'misses';
      console.log(
        `| ${name} | ${server.p50.toFixed(3)} / ${server.p95.toFixed(3)} | ${http.p50.toFixed(2)} / ${http.p95.toFixed(2)} | ≤ ${target} ms: ${verdict} |`,
      );
    }

    // Verify two images in one call vs two detectFaces calls + verify of the faceIds.
    const img1 = readFileSync(path.join(FACES, 'people/obama/1.jpg')).toString('base64');
    const img2 = readFileSync(path.join(FACES, 'people/obama/3.jpg')).toString('base64');
    const inline = await timeIt(N, () =>
      gql(
        url,
        'mutation($x: String, $y: String) { verifyFaces(input: { face1: { image: { base64: $x } }, face2: { image: { base64: $y } } }) { verification { isIdentical } } }',
        { x: img1, y: img2 },
      ),
    );
    const threeCalls = await timeIt(N, async () => {
      const d1 = await gql(url, 'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }', { b: img1 });
      const d2 = await gql(url, 'query($b: String) { detectFaces(image: { base64: $b }) { faceId } }', { b: img2 });
      await gql(
        url,
        'mutation($a: ID, $b: ID) { verifyFaces(input: { face1: { faceId: $a }, face2: { faceId: $b } }) { verification { isIdentical } } }',
        {
          a: d1.detectFaces[0].faceId,
          b: d2.detectFaces[0].faceId,
        },
      );
    });
    console.log(`\nverify of two images in one call: p50 ${inline.p50.toFixed(1)} ms, p95 ${inline.p95.toFixed(1)} ms`);
    console.log(`two detectFaces calls + verify:   p50 ${threeCalls.p50.toFixed(1)} ms, p95 ${threeCalls.p95.toFixed(1)} ms`);
    console.log(
      `ratio one call / three calls: ${(inline.p50 / threeCalls.p50).toFixed(2)} (target ≤ 1.00: ${inline.p50 <= threeCalls.p50 ? 'meets' : 'misses'})`,
    );
  } finally {
    await app.stop();
  }
}

await main();
