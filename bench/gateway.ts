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
 *         makes that same REST call upstream;
 *      c. the same with image: {file}, a multipart request (binary, as the REST call is).
 *      -> p50/p95 of each and the p50 differences (target: <= 5 ms added).
 *   2. One GraphQL document with 10 aliases of the image -> upstream detect requests counted on
 *      both sides (target: exactly 1).
 *   3. Uploads: on the embedded facegraph (the upstream), for a 1-face photo (people/obama/1.jpg)
 *      and a group photo (groups/obama_biden_2.jpg), sampled alternately N_UPLOAD times each:
 *      a. the engine alone: provider.detect() in process, with the options detectFaces uses;
 *      b. GraphQL detectFaces(image: {base64}) { faceId faceRectangle }, JSON body;
 *      c. the same with image: {file} as a multipart request (GraphQL multipart request spec);
 *      d. the same multipart request to a bare server on the same stack (bench/lib/bare-graphql.ts:
 *         Express 5 + busboy + Apollo Server 5, one resolver calling the same provider): the
 *         floor under (c), so what facegraph's own code adds is seen apart from the stack's cost.
 *      Request bodies are encoded once, before timing, and sent with undici's request(); each
 *      round runs the four back to back, rotating which runs first. Wall time and process CPU
 *      time per request.
 *      -> p50/p95 of each, and each path's overhead: the median over rounds of (path - engine)
 *      in the same round, over the engine's p50 (target for multipart: <= 10 %). Paired
 *      differences, because the engine's own time drifts by more than the overhead between
 *      rounds and runs; the ratio of the two p50s is in the JSON too.
 *   All numbers also go to bench/out/gateway.json.
 *
 * Run: npm run bench:gateway  (about two minutes on 2 cores; BENCH_N, BENCH_UPLOAD_N set the samples)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch, FormData, request, Response } from 'undici';
import { startApp, type App } from '../src/wiring.js';
import type { DetectRequestOptions } from '../src/domain/types.js';
import { DETECT_OPTIONS as BENCH_DETECT_OPTIONS } from './lib/data.js';
import { countDetections, type CountingProvider } from '../tools/counting-provider.js';
import { startBareGraphQL } from './lib/bare-graphql.js';
import { loadConfig } from '../src/platform/config.js';
import { createLogger } from '../src/platform/logger.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env.FACEGRAPH_SHARED_DIR ?? path.resolve(REPO_ROOT, '../shared');
const PHOTO = path.join(SHARED, 'faces', 'people', 'obama', '1.jpg');
const UPLOAD_PHOTOS = [
  { label: '1-face photo', file: 'people/obama/1.jpg' },
  { label: 'group photo', file: 'groups/obama_biden_2.jpg' },
];
const OUT_FILE = path.join(REPO_ROOT, 'bench', 'out', 'gateway.json');
const KEY = 'bench-upstream-key';
const WARMUP = 10;
const N = Number(process.env.BENCH_N ?? 100);
const N_UPLOAD = Number(process.env.BENCH_UPLOAD_N ?? 60);
const TARGET_ADDED_MS = 5;
const TARGET_UPLOAD_OVERHEAD = 0.1;

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** The options detectFaces(image) { faceId faceRectangle } hands the provider (defaults, nothing selected). */
const DETECT_OPTIONS: DetectRequestOptions = { ...BENCH_DETECT_OPTIONS, minFaceSize: 36, minDetectionConfidence: 0.75 };

async function time(run: () => Promise<unknown>, into: number[]): Promise<void> {
  const t0 = process.hrtime.bigint();
  await run();
  into.push(Number(process.hrtime.bigint() - t0) / 1e6);
}

/**
 * Wall time and the whole process's CPU time (main thread, engine workers, and the in-process
 * HTTP client) of one call. CPU time depends far less than wall time on what else the machine
 * runs, so it is the steadier measure of the work a path adds.
 */
async function sample(run: () => Promise<unknown>, into: { wall: number[]; cpu: number[] }): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  into.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
  const cpu = process.cpuUsage(cpu0);
  into.cpu.push((cpu.user + cpu.system) / 1000);
}

interface Stats {
  p50: number;
  p95: number;
}
const stats = (samples: number[]): Stats => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
};

/** A multipart GraphQL request body (operations, map, one file part), encoded once by undici. */
async function multipartBody(query: string, bytes: Buffer): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { f: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'photo.jpg');
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

interface PathStats {
  wall: Stats;
  cpu: Stats;
}

interface UploadRow {
  photo: string;
  bytes: number;
  faces: number;
  engine: PathStats;
  base64: PathStats;
  multipart: PathStats;
  /** The same multipart request to the bare server (bench/lib/bare-graphql.ts). */
  bare: PathStats;
  /** Median of the per-round differences (path - engine) over the engine's p50, wall and CPU. */
  overhead: Record<Path, Overhead>;
}

type Path = 'base64' | 'multipart' | 'bare';

interface Overhead {
  wall: number;
  cpu: number;
  /** The median per-round difference in ms (wall). */
  addedWallMs: number;
  /** The older estimate: the path's p50 over the engine's p50 (wall). */
  p50RatioWall: number;
}

interface Samples {
  wall: number[];
  cpu: number[];
}

/** Median over rounds of (path - engine) in the same round, relative to the engine's p50. */
function pairedOverhead(path: Samples, engine: Samples): Overhead {
  const median = (values: number[]) => stats(values).p50;
  const added = (measure: 'wall' | 'cpu') => median(path[measure].map((v, i) => v - engine[measure][i]!));
  const engineP50 = { wall: median(engine.wall), cpu: median(engine.cpu) };
  return {
    wall: added('wall') / engineP50.wall,
    cpu: added('cpu') / engineP50.cpu,
    addedWallMs: added('wall'),
    p50RatioWall: median(path.wall) / engineP50.wall - 1,
  };
}

/**
 * Section 3: GraphQL with base64 JSON and with a multipart file against the engine alone, on the
 * embedded facegraph `app` (keyed with KEY).
 */
async function uploadOverhead(app: App, dispatcher: Agent): Promise<UploadRow[]> {
  const bare = await startBareGraphQL(app.provider, DETECT_OPTIONS);
  try {
    return await uploadRows(app, bare.url, dispatcher);
  } finally {
    await bare.stop();
  }
}

async function uploadRows(app: App, bareUrl: string, dispatcher: Agent): Promise<UploadRow[]> {
  const rows: UploadRow[] = [];
  const select = '{ faceId faceRectangle { top left width height } }';
  for (const { label, file } of UPLOAD_PHOTOS) {
    const bytes = readFileSync(path.join(SHARED, 'faces', file));
    const jsonBody = JSON.stringify({
      query: `query($b: String!) { detectFaces(image: { base64: $b }) ${select} }`,
      variables: { b: bytes.toString('base64') },
    });
    const form = await multipartBody(`query($f: Upload) { detectFaces(image: { file: $f }) ${select} }`, bytes);
    // undici's request(), not fetch(): the client shares the process and its 2 cores, and fetch's
    // web streams cost about 1 ms of CPU more per request, which is the client's, not the server's.
    const post = async (url: string, body: Buffer | string, contentType: string): Promise<number> => {
      const res = await request(url, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': contentType, 'ocp-apim-subscription-key': KEY, 'apollo-require-preflight': 'true' },
        body,
      });
      const json = (await res.body.json()) as { errors?: unknown[]; data?: { detectFaces: unknown[] } };
      if (res.statusCode !== 200 || json.errors || !json.data)
        throw new Error(`GraphQL answered ${res.statusCode}: ${JSON.stringify(json.errors)}`);
      return json.data.detectFaces.length;
    };
    const engine = async (): Promise<number> => (await app.provider.detect(bytes, DETECT_OPTIONS)).length;
    const base64 = () => post(app.server.url, jsonBody, 'application/json');
    const multipart = () => post(app.server.url, form.body, form.contentType);
    const bareMultipart = () => post(bareUrl, form.body, form.contentType);

    const counts = [await engine(), await base64(), await multipart(), await bareMultipart()];
    if (new Set(counts).size !== 1) throw new Error(`${file}: engine, base64, multipart and bare found ${counts.join(' / ')} faces`);
    const paths = [engine, base64, multipart, bareMultipart];
    for (let i = 0; i < WARMUP; i++) for (const run of paths) await run();
    const empty = (): Samples => ({ wall: [], cpu: [] });
    const samples = { engine: empty(), base64: empty(), multipart: empty(), bare: empty() };
    const into = [samples.engine, samples.base64, samples.multipart, samples.bare];
    // Each round starts with the next of the four, so none always runs first or after another.
    for (let i = 0; i < N_UPLOAD; i++)
      for (let j = 0; j < paths.length; j++) await sample(paths[(i + j) % paths.length]!, into[(i + j) % paths.length]!);
    const summary = (s: Samples): PathStats => ({ wall: stats(s.wall), cpu: stats(s.cpu) });
    rows.push({
      photo: `${label} (${file}, ${Math.round(bytes.length / 1024)} KB)`,
      bytes: bytes.length,
      faces: counts[0]!,
      engine: summary(samples.engine),
      base64: summary(samples.base64),
      multipart: summary(samples.multipart),
      bare: summary(samples.bare),
      overhead: {
        base64: pairedOverhead(samples.base64, samples.engine),
        multipart: pairedOverhead(samples.multipart, samples.engine),
        bare: pairedOverhead(samples.bare, samples.engine),
      },
    });
  }
  return rows;
}

function printUploadTable(rows: UploadRow[]): void {
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const verdict = (x: number) => `${pct(x)} ${x <= TARGET_UPLOAD_OVERHEAD ? 'met' : 'MISSED'}`;
  const table = (header: string[], lines: string[][]) => {
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    for (const line of [header, ...lines]) console.log(`| ${line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`);
  };
  const columns = [
    'photo',
    'faces',
    'engine alone',
    'GraphQL base64',
    'GraphQL multipart',
    'bare stack multipart',
    'base64 overhead',
    'multipart overhead',
    'bare stack overhead',
  ];
  const overhead = 'overhead = median over rounds of (path - engine), over the engine p50';
  for (const measure of ['wall', 'cpu'] as const) {
    console.log(
      measure === 'wall'
        ? `\nuploads on the embedded engine, N=${N_UPLOAD} each, alternated (rotating order)\nwall time per request, p50 / p95 ms; ${overhead}`
        : `process CPU time per request (all threads, client included), p50 / p95 ms; ${overhead}`,
    );
    const ms = (s: PathStats) => `${s[measure].p50.toFixed(1)} / ${s[measure].p95.toFixed(1)}`;
    const added = (o: Overhead) => (measure === 'wall' ? ` (${o.addedWallMs.toFixed(1)} ms)` : '');
    table(
      columns,
      rows.map((r) => [
        r.photo,
        String(r.faces),
        ms(r.engine),
        ms(r.base64),
        ms(r.multipart),
        ms(r.bare),
        pct(r.overhead.base64[measure]) + added(r.overhead.base64),
        verdict(r.overhead.multipart[measure]) + added(r.overhead.multipart),
        pct(r.overhead.bare[measure]) + added(r.overhead.bare),
      ]),
    );
  }
  console.log(`target: multipart overhead <= ${TARGET_UPLOAD_OVERHEAD * 100} % for both photos`);
}

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

    // The same image as a file (multipart): binary on both sides, like the REST call.
    const form = await multipartBody(
      'query($f: Upload) { detectFaces(image: { file: $f }) { faceId faceRectangle { top left width height } } }',
      bytes,
    );
    const gqlMultipart = async (): Promise<void> => {
      const res = await fetch(gateway.server.url, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': form.contentType, 'apollo-require-preflight': 'true' },
        body: form.body,
      });
      const json = (await res.json()) as { errors?: unknown[] };
      if (res.status !== 200 || json.errors) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(json.errors)}`);
    };

    for (let i = 0; i < WARMUP; i++) {
      await rest();
      await gql();
      await gqlMultipart();
    }
    const restMs: number[] = [];
    const gqlMs: number[] = [];
    const gqlMultipartMs: number[] = [];
    // Alternate, so drift and noise from other processes hit all alike.
    for (let i = 0; i < N; i++) {
      await time(rest, restMs);
      await time(gql, gqlMs);
      await time(gqlMultipart, gqlMultipartMs);
    }
    for (const samples of [restMs, gqlMs, gqlMultipartMs]) samples.sort((a, b) => a - b);
    const row = (name: string, v: number[]) =>
      `${name.padEnd(44)} p50 ${percentile(v, 0.5).toFixed(2).padStart(7)} ms   p95 ${percentile(v, 0.95).toFixed(2).padStart(7)} ms`;
    const added = percentile(gqlMs, 0.5) - percentile(restMs, 0.5);
    const addedMultipart = percentile(gqlMultipartMs, 0.5) - percentile(restMs, 0.5);
    console.log(
      `gateway benchmark: ${path.relative(SHARED, PHOTO)} (${bytes.length} bytes), N=${N} each, alternated, ${os.cpus().length} cores, node ${process.version}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(row('direct REST POST /detect', restMs));
    console.log(row('GraphQL detectFaces via gateway (base64)', gqlMs));
    console.log(row('GraphQL detectFaces via gateway (multipart)', gqlMultipartMs));
    const verdict = (ms: number) =>
      `${ms.toFixed(2)} ms (${((ms / percentile(restMs, 0.5)) * 100).toFixed(1)} %)  target <= ${TARGET_ADDED_MS} ms: ${ms <= TARGET_ADDED_MS ? 'met' : 'MISSED'}`;
    console.log(`added by the gateway at p50, base64 JSON: ${verdict(added)}`);
    console.log(`added by the gateway at p50, multipart:   ${verdict(addedMultipart)}`);

    // Ten aliases of one image in one document: one upstream request.
    const aliases = Array.from({ length: 10 }, (_, i) => `a${i}: detectFaces(image: { base64: $b }) { faceId }`).join(' ');
    const upBefore = up.detections;
    const gwBefore = gw.detections;
    const data = (await gql(
      JSON.stringify({ query: `query($b: String!) { ${aliases} }`, variables: { b: bytes.toString('base64') } }),
    )) as Record<string, Array<{ faceId: string }>>;
    const ids = new Set(Object.values(data).map((faces) => faces[0]!.faceId));
    // Counted now: the uploads section below runs more detections on the same upstream.
    const aliasCounts = { upstreamRequests: gw.detections - gwBefore, detections: up.detections - upBefore, distinctFaceIds: ids.size };
    console.log(
      `10 aliases of one image: ${aliasCounts.upstreamRequests} upstream detect request(s) sent by the gateway, ` +
        `${aliasCounts.detections} detection(s) run upstream, ${aliasCounts.distinctFaceIds} distinct faceId(s) returned (target: 1)`,
    );

    const uploads = await uploadOverhead(upstream, dispatcher);
    printUploadTable(uploads);

    mkdirSync(path.dirname(OUT_FILE), { recursive: true });
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      cores: os.cpus().length,
      loadAverage: os.loadavg(),
      gateway: {
        photo: path.relative(SHARED, PHOTO),
        n: N,
        rest: stats(restMs),
        graphql: stats(gqlMs),
        addedP50Ms: added,
        graphqlMultipart: stats(gqlMultipartMs),
        addedMultipartP50Ms: addedMultipart,
      },
      aliases: aliasCounts,
      uploads: { n: N_UPLOAD, targetOverhead: TARGET_UPLOAD_OVERHEAD, rows: uploads },
    };
    writeFileSync(OUT_FILE, `${JSON.stringify(out, null, 2)}\n`);
    console.log(
      `\nwritten to ${path.relative(REPO_ROOT, OUT_FILE)}; load average at the end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
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
