/**
 * Detection benchmark: prints numbers, never asserts (misses are reported, exit code stays 0).
 *
 * Images, made in memory at run time from ../shared/faces (never copied into the repo):
 *   one-face: people/obama/1.jpg, 640 px on the long side, JPEG q90
 *   group:    groups/obama_biden_2.jpg, 1920 px wide, JPEG q90 (3 faces)
 *
 * In one run, against the real app (startApp, PORT=0, LOG_LEVEL=silent, workers = cores):
 *   1. HTTP latency: detectFaces(base64) over undici fetch, warm-up then N sequential -> p50/p95/mean
 *   2. Direct engine: app.provider.detect(bytes, ...) sequentially, same N -> GraphQL+HTTP overhead;
 *      1 and 2 are sampled alternately (HTTP, direct, HTTP, ...) so noise hits both alike
 *   3. HTTP throughput at concurrency 1, 2, 8 (fixed request count each) -> req/s and c8/c1
 *   4. Process RSS after 1,000 and 2,000 HTTP detectFaces requests in total (all phases counted;
 *      the top-up requests are the one-face image at concurrency 4) -> growth %
 *   5. Peer baseline, after the app has stopped: @vladmandic/face-api's own pipeline
 *      (SSD MobileNet v1 + landmarks + descriptors, node-wasm) in child processes
 *      (bench/faceapi-baseline.cjs): sequential p50, and throughput with 1 and 2 processes
 *   6. Summary against the targets; all numbers also go to bench/out/detect.json
 *
 * Run: npx tsx bench/detect.ts  (about 3-5 minutes on 2 cores)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Agent, fetch } from 'undici';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { DetectRequestOptions } from '../src/face/types.js';
import { createLogger } from '../src/logger.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const FACES_DIR = process.env.FACEGRAPH_SHARED_DIR
  ? path.join(process.env.FACEGRAPH_SHARED_DIR, 'faces')
  : path.resolve(REPO_ROOT, '../shared/faces');
const OUT_FILE = path.join(BENCH_DIR, 'out', 'detect.json');

const WARMUP = 10;
const LATENCY_N = 60;
const THROUGHPUT_N = 80;
const CONCURRENCY = [1, 2, 8] as const;
const RSS_MARKS = [1000, 2000] as const;
const RSS_CONCURRENCY = 4;
const BASELINE_WARMUP = 2;
const BASELINE_SEQ_N = 20;
const BASELINE_PAR_N = 20;

const DIRECT_OPTIONS: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  returnLandmarks: false,
  attributes: [],
};
const QUERY = 'query Detect($b: String!) { detectFaces(image: {base64: $b}) { faceId faceRectangle { top left width height } } }';

interface BenchImage {
  name: 'one-face' | 'group';
  bytes: Buffer;
  width: number;
  height: number;
  /** The GraphQL request body, serialised once. */
  body: string;
}

interface Latency {
  p50: number;
  p95: number;
  mean: number;
  n: number;
}
type Measured = Latency & { faces: number };

// ---------------------------------------------------------------------------------------------
// Small helpers

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function summarise(timesMs: number[]): Latency {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const mean = timesMs.reduce((s, t) => s + t, 0) / timesMs.length;
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean, n: timesMs.length };
}

async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

interface Rate {
  perSec: number;
  /** Process CPU time (main thread + engine workers) over wall time: near the core count = saturated. */
  cpuCores: number;
}

/** Runs `total` calls of fn with `concurrency` in flight; returns requests per second. */
async function throughput(total: number, concurrency: number, fn: () => Promise<unknown>): Promise<Rate> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await fn();
    }
  };
  const cpu = process.cpuUsage();
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wallMs = performance.now() - t;
  const { user, system } = process.cpuUsage(cpu);
  return { perSec: total / (wallMs / 1000), cpuCores: (user + system) / 1000 / wallMs };
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const pct = (v: number): string => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean): string => (ok ? 'meets' : 'misses');

// ---------------------------------------------------------------------------------------------
// Images

async function makeImage(name: BenchImage['name'], file: string, resize: sharp.ResizeOptions): Promise<BenchImage> {
  const bytes = await sharp(path.join(FACES_DIR, file)).resize(resize).jpeg({ quality: 90 }).toBuffer();
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const body = JSON.stringify({ query: QUERY, variables: { b: bytes.toString('base64') } });
  return { name, bytes, width, height, body };
}

function makeImages(): Promise<BenchImage[]> {
  return Promise.all([
    makeImage('one-face', 'people/obama/1.jpg', { width: 640, height: 640, fit: 'inside' }),
    makeImage('group', 'groups/obama_biden_2.jpg', { width: 1920 }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// HTTP client

class GraphQLClient {
  /** detectFaces requests sent so far, across all phases. */
  sent = 0;
  private readonly agent = new Agent({ connections: 16, pipelining: 1 });

  constructor(private readonly url: string) {}

  /** One detectFaces request; throws on any HTTP or GraphQL error. Returns the face count. */
  async detect(image: BenchImage): Promise<number> {
    this.sent++;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: image.body,
      dispatcher: this.agent,
    });
    const json = (await res.json()) as { data?: { detectFaces: unknown[] }; errors?: Array<{ message: string }> };
    if (res.status !== 200 || json.errors || !json.data) {
      throw new Error(`detectFaces failed (${res.status}): ${JSON.stringify(json.errors ?? json)}`);
    }
    return json.data.detectFaces.length;
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Phases 1-4: our server

/**
 * HTTP and direct latency, sampled alternately (one HTTP request, then one direct call, both
 * sequential) so that machine noise and drift hit both series alike and the overhead ratio holds.
 */
async function measureLatency(app: App, client: GraphQLClient, image: BenchImage): Promise<{ http: Measured; direct: Measured }> {
  for (let i = 0; i < WARMUP; i++) await client.detect(image);
  const direct = () => app.provider.detect(image.bytes, DIRECT_OPTIONS);
  const httpFaces = await client.detect(image);
  const directFaces = (await direct()).length;
  const httpTimes: number[] = [];
  const directTimes: number[] = [];
  for (let i = 0; i < LATENCY_N; i++) {
    httpTimes.push(await timeOnce(() => client.detect(image)));
    directTimes.push(await timeOnce(direct));
  }
  return { http: { ...summarise(httpTimes), faces: httpFaces }, direct: { ...summarise(directTimes), faces: directFaces } };
}

async function measureThroughput(client: GraphQLClient, image: BenchImage): Promise<Record<string, Rate>> {
  const result: Record<string, Rate> = {};
  for (const c of CONCURRENCY) result[`c${c}`] = await throughput(THROUGHPUT_N, c, () => client.detect(image));
  return result;
}

interface RssMark {
  totalRequests: number;
  rss: number;
  heapUsed: number;
  registeredFaces: number;
}

/** Tops the total request count up to each mark with one-face requests, reading RSS at each. */
async function measureRss(app: App, client: GraphQLClient, image: BenchImage): Promise<RssMark[]> {
  const marks: RssMark[] = [];
  for (const mark of RSS_MARKS) {
    const missing = Math.max(0, mark - client.sent);
    if (missing > 0) await throughput(missing, RSS_CONCURRENCY, () => client.detect(image));
    const mem = process.memoryUsage();
    marks.push({ totalRequests: client.sent, rss: mem.rss, heapUsed: mem.heapUsed, registeredFaces: app.services.registry.size });
  }
  return marks;
}

// ---------------------------------------------------------------------------------------------
// Phase 5: face-api baseline in child processes

interface BaselineImageResult {
  file: string;
  faces: number;
  timesMs: number[];
  elapsedMs: number;
}

/** A running baseline child: resolves `ready` after warm-up, `done` with its JSON result. */
function startBaseline(args: string[]): { ready: Promise<void>; go(): void; done: Promise<{ images: BaselineImageResult[] }> } {
  const child = spawn(process.execPath, [path.join(BENCH_DIR, 'faceapi-baseline.cjs'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<{ images: BaselineImageResult[] }>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; images?: BaselineImageResult[] };
      if (msg.ready) onReady();
      else if (msg.images) resolve({ images: msg.images });
    });
    // A no-op once resolved; otherwise the child died or printed no result.
    child.on('close', (code) => reject(new Error(`faceapi-baseline exited (code ${code}) without a result`)));
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

/** Sequential latency (and 1-process throughput) per image in one child process. */
async function baselineSequential(files: string[]): Promise<BaselineImageResult[]> {
  const run = startBaseline(['--warmup', String(BASELINE_WARMUP), '--iterations', String(BASELINE_SEQ_N), ...files]);
  return (await run.done).images;
}

/** Throughput of `processes` baseline processes started together on one image (warm-up excluded). */
async function baselineParallel(file: string, processes: number): Promise<number> {
  const args = ['--warmup', String(BASELINE_WARMUP), '--iterations', String(BASELINE_PAR_N), '--wait', file];
  const runs = Array.from({ length: processes }, () => startBaseline(args));
  await Promise.all(runs.map((r) => r.ready));
  const t = performance.now();
  for (const r of runs) r.go();
  await Promise.all(runs.map((r) => r.done));
  return (processes * BASELINE_PAR_N) / ((performance.now() - t) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Main

type PerImage<T> = Record<BenchImage['name'], T>;

async function runServerPhases(images: BenchImage[]) {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' });
  const started = performance.now();
  const app = await startApp(config, createLogger(config.logLevel));
  console.log(`server ${app.server.url}, ${config.workers} engine workers, ready in ${ms(performance.now() - started)}`);
  const client = new GraphQLClient(app.server.url);
  const http = {} as PerImage<Measured>;
  const direct = {} as PerImage<Measured>;
  const tput = {} as PerImage<Record<string, Rate>>;
  try {
    for (const image of images) {
      const jobsBefore = app.provider.detectionCount;
      ({ http: http[image.name], direct: direct[image.name] } = await measureLatency(app, client, image));
      const jobs = app.provider.detectionCount - jobsBefore;
      const overhead = http[image.name].p50 / direct[image.name].p50 - 1;
      console.log(`[1] HTTP    ${image.name.padEnd(8)} faces=${http[image.name].faces} ${fmtLatency(http[image.name])}`);
      console.log(`[2] direct  ${image.name.padEnd(8)} faces=${direct[image.name].faces} ${fmtLatency(direct[image.name])}  GraphQL+HTTP overhead (p50) ${pct(overhead)}`);
      console.log(`            (${jobs} engine jobs for ${WARMUP + 2 + 2 * LATENCY_N} calls: every HTTP request ran the engine)`);
    }
    for (const image of images) {
      tput[image.name] = await measureThroughput(client, image);
      const t = tput[image.name];
      const rates = CONCURRENCY.map((c) => `c${c} ${t[`c${c}`]!.perSec.toFixed(1)}/s (cpu ${t[`c${c}`]!.cpuCores.toFixed(2)})`).join('  ');
      console.log(`[3] tput    ${image.name.padEnd(8)} ${rates}  c8/c1 ${(t.c8!.perSec / t.c1!.perSec).toFixed(2)}x  (${THROUGHPUT_N} requests each)`);
    }
    const oneFace = images.find((i) => i.name === 'one-face')!;
    const rss = await measureRss(app, client, oneFace);
    const growth = rss[1]!.rss / rss[0]!.rss - 1;
    for (const m of rss) {
      console.log(`[4] RSS after ${m.totalRequests} HTTP requests (all phases): ${mb(m.rss)} (heap ${mb(m.heapUsed)}, ${m.registeredFaces} faceIds registered)`);
    }
    console.log(`[4] RSS growth ${RSS_MARKS[0]}->${RSS_MARKS[1]}: ${pct(growth)}`);
    return { workers: config.workers, http, direct, throughput: tput, rss: { marks: rss, growth, countedRequests: 'all HTTP detectFaces requests of every phase, both images' } };
  } finally {
    await client.close();
    await app.stop();
  }
}

async function runBaseline(images: BenchImage[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-bench-'));
  try {
    const files = images.map((image) => {
      const file = path.join(dir, `${image.name}.jpg`);
      writeFileSync(file, image.bytes);
      return file;
    });
    const sequential = await baselineSequential(files);
    const result = {} as PerImage<Latency & { faces: number; oneProcessPerSec: number; twoProcessPerSec: number }>;
    for (const [i, image] of images.entries()) {
      const seq = sequential[i]!;
      const twoProcessPerSec = await baselineParallel(files[i]!, 2);
      result[image.name] = {
        ...summarise(seq.timesMs),
        faces: seq.faces,
        oneProcessPerSec: seq.timesMs.length / (seq.elapsedMs / 1000),
        twoProcessPerSec,
      };
      const r = result[image.name];
      console.log(`[5] face-api ${image.name.padEnd(8)} faces=${r.faces} ${fmtLatency(r)}  1 proc ${r.oneProcessPerSec.toFixed(2)}/s  2 procs ${r.twoProcessPerSec.toFixed(2)}/s`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmtLatency(l: Latency): string {
  return `p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  mean ${ms(l.mean)}  (n=${l.n})`;
}

interface Row {
  target: string;
  value: string;
  ok: boolean;
}

function summaryRows(server: Awaited<ReturnType<typeof runServerPhases>>, baseline: Awaited<ReturnType<typeof runBaseline>>): Row[] {
  const rows: Row[] = [];
  const oneP50 = server.http['one-face'].p50;
  rows.push({ target: '1-face HTTP p50 <= 60 ms', value: ms(oneP50), ok: oneP50 <= 60 });
  for (const name of ['one-face', 'group'] as const) {
    const overhead = server.http[name].p50 / server.direct[name].p50 - 1;
    rows.push({ target: `${name} GraphQL+HTTP overhead <= 10 %`, value: pct(overhead), ok: overhead <= 0.1 });
  }
  for (const name of ['one-face', 'group'] as const) {
    const scale = server.throughput[name].c8!.perSec / server.throughput[name].c1!.perSec;
    rows.push({ target: `${name} c8 >= 1.7x c1`, value: `${scale.toFixed(2)}x`, ok: scale >= 1.7 });
  }
  for (const name of ['one-face', 'group'] as const) {
    const vsTwo = server.throughput[name].c8!.perSec / baseline[name].twoProcessPerSec;
    const vsOne = server.throughput[name].c1!.perSec / baseline[name].oneProcessPerSec;
    rows.push({ target: `${name} c8 >= 3x face-api (2 procs)`, value: `${vsTwo.toFixed(2)}x (c1 vs 1 proc: ${vsOne.toFixed(2)}x)`, ok: vsTwo >= 3 });
  }
  rows.push({ target: `RSS growth ${RSS_MARKS[0]}->${RSS_MARKS[1]} < 5 %`, value: pct(server.rss.growth), ok: server.rss.growth < 0.05 });
  return rows;
}

function printSummary(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.target.length));
  const v = Math.max(...rows.map((r) => r.value.length));
  console.log('\nSummary');
  console.log(`${'target'.padEnd(w)}  ${'measured'.padEnd(v)}  result`);
  console.log(`${'-'.repeat(w)}  ${'-'.repeat(v)}  ------`);
  for (const r of rows) console.log(`${r.target.padEnd(w)}  ${r.value.padEnd(v)}  ${verdict(r.ok)}`);
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  const images = await makeImages();
  const loadAverage = os.loadavg();
  const load = loadAverage.map((l) => l.toFixed(2)).join(' ');
  console.log(`facegraph detect bench — node ${process.version}, ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? 'cpu'}, load average ${load}`);
  console.log('(numbers move with anything else running on the machine; the "cpu" figures below show how many cores this process kept busy)');
  for (const i of images) console.log(`image ${i.name}: ${i.width}x${i.height}, ${(i.bytes.length / 1024).toFixed(0)} KB JPEG`);

  const server = await runServerPhases(images);
  const baseline = await runBaseline(images);
  const rows = summaryRows(server, baseline);
  printSummary(rows);

  const totalSeconds = (performance.now() - runStarted) / 1000;
  mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    loadAverageAtStart: loadAverage,
    images: images.map(({ name, width, height, bytes }) => ({ name, width, height, bytes: bytes.length })),
    settings: { WARMUP, LATENCY_N, THROUGHPUT_N, CONCURRENCY, RSS_MARKS, RSS_CONCURRENCY, BASELINE_WARMUP, BASELINE_SEQ_N, BASELINE_PAR_N },
    server,
    faceApiBaseline: baseline,
    summary: rows,
    totalSeconds,
  };
  writeFileSync(OUT_FILE, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), OUT_FILE)} in a ${totalSeconds.toFixed(0)} s run`);
}

await main();
