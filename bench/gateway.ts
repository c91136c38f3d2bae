/**
 * Gateway benchmark: what the Azure provider adds on top of an Azure-compatible REST endpoint.
 * Prints numbers, never asserts.
 *
 * In one process: an upstream facegraph (embedded engine, its /face/v1.2 REST surface, keyed)
 * and a gateway facegraph with FACE_PROVIDER=azure pointed at it, both on loopback.
 *   1. Same image (people/obama/1.jpg), sampled alternately N times each:
 *      a. direct REST: POST /face/v1.2/detect (octet-stream, returnFaceId=true, detection_03,
 *         recognition_04) on the upstream;
 *      b. GraphQL: detectFaces(image: {base64}) { faceId faceRectangle } on the gateway, which
 *         makes that same REST call upstream.
 *      -> p50/p95 of each and the p50 difference (target: <= 5 ms added).
 *   2. One GraphQL document with 10 aliases of the image -> upstream detect requests counted on
 *      both sides (target: exactly 1).
 *
 * Run: npm run bench:gateway  (about a minute on 2 cores)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { startApp, type App } from '../src/wiring.js';
import { countDetections, type CountingProvider } from '../tools/counting-provider.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.FACEGRAPH_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
const PHOTO = path.join(SHARED, 'faces', 'people', 'obama', '1.jpg');
const KEY = 'bench-upstream-key';
const WARMUP = 10;
const N = Number(process.env.BENCH_N ?? 100);
const TARGET_ADDED_MS = 5;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'facegraph-bench-gateway-'));
  const base = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' };
  const upConfig = loadConfig({ ...base, FACEGRAPH_DATA_DIR: path.join(tmp, 'up'), FACEGRAPH_API_KEYS: KEY });
  let upCounter: CountingProvider | null = null;
  const upstream = await startApp(upConfig, createLogger('silent'), { decorateProvider: (p) => (upCounter = countDetections(p)) });
  const gwConfig = loadConfig({
    ...base,
    FACEGRAPH_DATA_DIR: path.join(tmp, 'gw'),
    FACE_PROVIDER: 'azure',
    AZURE_FACE_ENDPOINT: `http://127.0.0.1:${upstream.server.port}`,
    AZURE_FACE_KEY: KEY,
  });
  let gwCounter: CountingProvider | null = null;
  const gateway: App = await startApp(gwConfig, createLogger('silent'), { decorateProvider: (p) => (gwCounter = countDetections(p)) });
  if (!upCounter || !gwCounter) throw new Error('the providers were not decorated');
  const [up, gw]: [CountingProvider, CountingProvider] = [upCounter, gwCounter];
  const dispatcher = new Agent({ connections: 4 });
  try {
    const bytes = readFileSync(PHOTO);
    const restUrl = `http://127.0.0.1:${upstream.server.port}/face/v1.2/detect?returnFaceId=true&detectionModel=detection_03&recognitionModel=recognition_04`;
    const rest = async (): Promise<void> => {
      const res = await fetch(restUrl, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/octet-stream', 'ocp-apim-subscription-key': KEY },
        body: bytes,
      });
      const faces = (await res.json()) as Array<{ faceId: string }>;
      if (res.status !== 200 || faces.length !== 1) throw new Error(`REST detect answered ${res.status}`);
    };
    const gqlBody = JSON.stringify({
      query: 'query($b: String!) { detectFaces(image: { base64: $b }) { faceId faceRectangle { top left width height } } }',
      variables: { b: bytes.toString('base64') },
    });
    const gql = async (body = gqlBody): Promise<unknown> => {
      const res = await fetch(gateway.server.url, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { errors?: unknown[]; data?: unknown };
      if (res.status !== 200 || json.errors) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(json.errors)}`);
      return json.data;
    };

    for (let i = 0; i < WARMUP; i++) {
      await rest();
      await gql();
    }
    const restMs: number[] = [];
    const gqlMs: number[] = [];
    const time = async (run: () => Promise<unknown>, into: number[]) => {
      const t0 = process.hrtime.bigint();
      await run();
      into.push(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    // Alternate, so drift and noise from other processes hit both alike.
    for (let i = 0; i < N; i++) {
      await time(rest, restMs);
      await time(gql, gqlMs);
    }
    restMs.sort((a, b) => a - b);
    gqlMs.sort((a, b) => a - b);
    const row = (name: string, v: number[]) =>
      `${name.padEnd(34)} p50 ${percentile(v, 0.5).toFixed(2).padStart(7)} ms   p95 ${percentile(v, 0.95).toFixed(2).padStart(7)} ms`;
    const added = percentile(gqlMs, 0.5) - percentile(restMs, 0.5);
    console.log(
      `gateway benchmark: ${path.relative(SHARED, PHOTO)} (${bytes.length} bytes), N=${N} each, alternated, ${os.cpus().length} cores, node ${process.version}`,
    );
    console.log(row('direct REST POST /detect', restMs));
    console.log(row('GraphQL detectFaces via gateway', gqlMs));
    console.log(
      `added by the gateway at p50: ${added.toFixed(2)} ms (${((added / percentile(restMs, 0.5)) * 100).toFixed(1)} %)  target <= ${TARGET_ADDED_MS} ms: ${added <= TARGET_ADDED_MS ? 'met' : 'MISSED'}`,
    );

    // Ten aliases of one image in one document: one upstream request.
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: detectFaces(image: { base64: $b }) { faceId }`).join(' ');
    const upBefore = up.detections;
    const gwBefore = gw.detections;
    const data = (await gql(
      JSON.stringify({ query: `query($b: String!) { ${aliases} }`, variables: { b: bytes.toString('base64') } }),
    )) as Record<string, Array<{ faceId: string }>>;
    const ids = new Set(Object.values(data).map((faces) => faces[0]!.faceId));
    console.log(
      `10 aliases of one image: ${gw.detections - gwBefore} upstream detect request(s) sent by the gateway, ` +
        `${up.detections - upBefore} detection(s) run upstream, ${ids.size} distinct faceId(s) returned (target: 1)`,
    );
  } finally {
    await dispatcher.close();
    await gateway.stop();
    await upstream.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
