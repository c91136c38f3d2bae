/**
 * Detection benchmark: prints numbers, never asserts (misses are reported, exit code stays 0).
 *
 * Images, made in memory at run time from ../shared/faces (never copied into the repo):
 *   one-face: people/obama/1.jpg, 640 px on the long side, JPEG q90
 *   group:    groups/obama_biden_2.jpg, 1920 px wide, JPEG q90 (3 faces)
 *
 * In one run, against the real app (startApp, PORT=0, LOG_LEVEL=silent, workers = cores):
 *   1. HTTP latency: detectFaces(base64) over undici fetch, warm-up then N sequential -> p50/p95/mean
 *   2. Direct engine: app.provider.detect(bytes, ...) sequentially, same N -> GraphQL+HTTP overhead.
 *      1 and 2 are sampled alternately (HTTP, direct, HTTP, ...) so noise hits both alike.
 *   3. HTTP throughput at concurrency 1, 2, 8 (a fixed request count each) -> req/s and c8/c1
 *   4. Process RSS (main thread + engine workers) after 1,000 and 2,000 HTTP detectFaces requests
 *      in total -- all phases and both images counted; the top-up requests are the one-face
 *      image at concurrency 4 -> growth %
 *   5. Peer baseline, after the app has stopped: @vladmandic/face-api's own pipeline
 *      (SSD MobileNet v1 + landmarks + descriptors, node-wasm, WASM backend) in child processes
 *      (bench/faceapi-baseline.cjs): sequential p50, throughput with 1 and with 2 processes
 *   6. Summary against the targets; all numbers also go to bench/out/detect.json
 *
 * Every timed phase also records how many cores *other* processes kept busy meanwhile
 * (machine-wide CPU time from os.cpus() minus our own): on a shared 2-core machine that is the
 * main source of noise, and the summary says when it was high enough to distrust the numbers.
 *
 * Run: npm run bench:detect  (about 3 minutes on 2 cores; `npm run bench` runs it with the other speed benches)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Agent, fetch } from 'undici';
import { startApp, type App } from '../src/wiring.js';
import { countDetections, type CountingProvider } from '../tools/counting-provider.js';
import { loadConfig } from '../src/platform/config.js';
import type { DetectRequestOptions } from '../src/domain/types.js';
import { createLogger } from '../src/platform/logger.js';

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
/** Other processes busier than this (in cores) during a phase make its numbers suspect. */
const NOISY_OTHER_CORES = 0.25;

const TARGETS = { p50Ms: 60, overhead: 0.1, c8OverC1: 1.7, vsFaceApi: 3, rssGrowth: 0.05 };

const DIRECT_OPTIONS: DetectRequestOptions = {
  detectionModel: 'detection_03',
  recognitionModel: 'recognition_04',
  returnFaceId: true,
  faceIdTimeToLive: 86_400,
  returnLandmarks: false,
  attributes: [],
};
const QUERY = 'query Detect($b: String!) { detectFaces(image: {base64: $b}) { faceId faceRectangle { top left width height } } }';

type ImageName = 'one-face' | 'group';
type PerImage<T> = Record<ImageName, T>;

interface BenchImage {
  name: ImageName;
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
  faces: number;
}

/** CPU use during a timed window, in cores (1.0 = one core busy all the time). */
interface CpuUse {
  /** This process: main thread + engine workers (or the baseline children, for phase 5). */
  ownCores: number;
  /** Everything else on the machine: noise. */
  otherCores: number;
}

interface Rate extends CpuUse {
  perSec: number;
}

// ---------------------------------------------------------------------------------------------
// Statistics, timing and CPU accounting

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

function summarise(timesMs: number[], faces: number): Latency {
  const sorted = [...timesMs].sort((a, b) => a - b);
  const mean = timesMs.reduce((s, t) => s + t, 0) / timesMs.length;
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean, n: timesMs.length, faces };
}

async function timeOnce(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Busy CPU ms of the whole machine so far (all cores, all processes). */
function machineBusyMs(): number {
  return os.cpus().reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.irq, 0);
}

/**
 * Starts a CPU window; the returned function ends it. `childCpuMs` is CPU time spent by our own
 * child processes in the window (they are not part of process.cpuUsage()).
 */
function cpuWindow(): (childCpuMs?: number) => CpuUse {
  const started = performance.now();
  const own = process.cpuUsage();
  const machine = machineBusyMs();
  return (childCpuMs = 0) => {
    const wallMs = performance.now() - started;
    const { user, system } = process.cpuUsage(own);
    const ownMs = (user + system) / 1000 + childCpuMs;
    return { ownCores: ownMs / wallMs, otherCores: Math.max(0, (machineBusyMs() - machine - ownMs) / wallMs) };
  };
}

/** Runs `total` calls of fn with `concurrency` in flight. */
async function throughput(total: number, concurrency: number, fn: () => Promise<unknown>): Promise<Rate> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await fn();
    }
  };
  const end = cpuWindow();
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const perSec = total / ((performance.now() - t) / 1000);
  return { perSec, ...end() };
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const pct = (v: number): string => `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)} %`;
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const cores = (c: CpuUse): string => `cpu ${c.ownCores.toFixed(2)}, others ${c.otherCores.toFixed(2)}`;
const fmtLatency = (l: Latency): string => `faces=${l.faces}  p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  mean ${ms(l.mean)}  (n=${l.n})`;

// ---------------------------------------------------------------------------------------------
// Images

async function makeImage(name: ImageName, file: string, resize: sharp.ResizeOptions): Promise<BenchImage> {
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
  private readonly agent = new Agent({ connections: 16 });

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

interface LatencyResult {
  http: Latency;
  direct: Latency;
  overhead: number;
  cpu: CpuUse;
  /** Engine jobs run during the phase, to show no request was answered from a cache. */
  engineJobs: number;
  calls: number;
}

/** Phases 1 + 2: HTTP and direct latency, sampled alternately. */
async function measureLatency(app: App, counter: CountingProvider, client: GraphQLClient, image: BenchImage): Promise<LatencyResult> {
  const direct = () => app.provider.detect(image.bytes, DIRECT_OPTIONS);
  const jobsBefore = counter.detections;
  for (let i = 0; i < WARMUP; i++) await client.detect(image);
  const httpFaces = await client.detect(image);
  const directFaces = (await direct()).length;
  const httpTimes: number[] = [];
  const directTimes: number[] = [];
  const end = cpuWindow();
  for (let i = 0; i < LATENCY_N; i++) {
    httpTimes.push(await timeOnce(() => client.detect(image)));
    directTimes.push(await timeOnce(direct));
  }
  const cpu = end();
  const http = summarise(httpTimes, httpFaces);
  const dir = summarise(directTimes, directFaces);
  const engineJobs = counter.detections - jobsBefore;
  return { http, direct: dir, overhead: http.p50 / dir.p50 - 1, cpu, engineJobs, calls: WARMUP + 2 + 2 * LATENCY_N };
}

/** Phase 3. */
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
  /** CPU use while topping up to this mark. */
  cpu: CpuUse;
}

/** Phase 4: tops the total request count up to each mark with one-face requests, reading RSS at each. */
async function measureRss(app: App, client: GraphQLClient, image: BenchImage): Promise<RssMark[]> {
  const marks: RssMark[] = [];
  for (const mark of RSS_MARKS) {
    const missing = mark - client.sent;
    const { ownCores, otherCores } =
      missing > 0 ? await throughput(missing, RSS_CONCURRENCY, () => client.detect(image)) : { ownCores: 0, otherCores: 0 };
    const mem = process.memoryUsage();
    marks.push({
      totalRequests: client.sent,
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      registeredFaces: app.services.registry.size ?? 0,
      cpu: { ownCores, otherCores },
    });
  }
  return marks;
}

async function runServerPhases(images: BenchImage[]) {
  const config = loadConfig({ PORT: '0', LOG_LEVEL: 'silent' });
  const started = performance.now();
  let counter: CountingProvider | null = null;
  const app = await startApp(config, createLogger(config.logLevel), { decorateProvider: (p) => (counter = countDetections(p)) });
  if (!counter) throw new Error('the provider was not decorated');
  console.log(`server ${app.server.url}, ${config.workers} engine workers, ready in ${ms(performance.now() - started)}\n`);
  const client = new GraphQLClient(app.server.url);
  const latency = {} as PerImage<LatencyResult>;
  const tput = {} as PerImage<Record<string, Rate>>;
  try {
    for (const image of images) {
      const l = (latency[image.name] = await measureLatency(app, counter, client, image));
      console.log(`[1] HTTP    ${image.name.padEnd(8)} ${fmtLatency(l.http)}`);
      console.log(`[2] direct  ${image.name.padEnd(8)} ${fmtLatency(l.direct)}  -> GraphQL+HTTP overhead (p50) ${pct(l.overhead)}`);
      console.log(`            (${cores(l.cpu)}; ${l.engineJobs} engine jobs for ${l.calls} calls)`);
    }
    for (const image of images) {
      const t = (tput[image.name] = await measureThroughput(client, image));
      console.log(
        `[3] tput    ${image.name.padEnd(8)} c8/c1 ${(t.c8!.perSec / t.c1!.perSec).toFixed(2)}x  (${THROUGHPUT_N} requests per level)`,
      );
      for (const c of CONCURRENCY)
        console.log(`              c${c}: ${t[`c${c}`]!.perSec.toFixed(1).padStart(5)} req/s  (${cores(t[`c${c}`]!)})`);
    }
    const rssMarks = await measureRss(
      app,
      client,
      images.find((i) => i.name === 'one-face')!,
    );
    const growth = rssMarks[1]!.rss / rssMarks[0]!.rss - 1;
    for (const m of rssMarks) {
      console.log(
        `[4] RSS after ${m.totalRequests} HTTP requests (all phases): ${mb(m.rss)}  (heap ${mb(m.heapUsed)}, ${m.registeredFaces} faceIds held; ${cores(m.cpu)})`,
      );
    }
    console.log(`[4] RSS growth ${RSS_MARKS[0]}->${RSS_MARKS[1]}: ${pct(growth)}`);
    return {
      workers: config.workers,
      latency,
      throughput: tput,
      rss: { counted: 'all HTTP detectFaces requests of all phases, both images', marks: rssMarks, growth },
    };
  } finally {
    await client.close();
    await app.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 5: face-api baseline in child processes

interface BaselineImageResult {
  file: string;
  faces: number;
  timesMs: number[];
  elapsedMs: number;
  cpuMs: number;
  otherCores: number;
}

interface BaselineChild {
  /** Resolves after the child's warm-up (with --wait). */
  ready: Promise<void>;
  /** Starts the child's timed loop. */
  go(): void;
  done: Promise<BaselineImageResult[]>;
}

function startBaseline(args: string[]): BaselineChild {
  const child = spawn(process.execPath, [path.join(BENCH_DIR, 'faceapi-baseline.cjs'), ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const done = new Promise<BaselineImageResult[]>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; images?: BaselineImageResult[] };
      if (msg.ready) onReady();
      else if (msg.images) resolve(msg.images);
    });
    // A no-op once resolved; otherwise the child died or printed no result.
    child.on('close', (code) => reject(new Error(`faceapi-baseline exited (code ${code}) without a result`)));
  });
  return { ready, go: () => child.stdin.end('go\n'), done };
}

/** Sequential latency and 1-process throughput per image, in one child process. */
async function baselineSequential(files: string[]): Promise<BaselineImageResult[]> {
  return startBaseline(['--warmup', String(BASELINE_WARMUP), '--iterations', String(BASELINE_SEQ_N), ...files]).done;
}

/** Throughput of `processes` baseline processes started together on one image (warm-up excluded). */
async function baselineParallel(file: string, processes: number): Promise<Rate> {
  const args = ['--warmup', String(BASELINE_WARMUP), '--iterations', String(BASELINE_PAR_N), '--wait', file];
  const runs = Array.from({ length: processes }, () => startBaseline(args));
  await Promise.all(runs.map((r) => r.ready));
  const end = cpuWindow();
  const t = performance.now();
  for (const r of runs) r.go();
  const results = await Promise.all(runs.map((r) => r.done));
  const perSec = (processes * BASELINE_PAR_N) / ((performance.now() - t) / 1000);
  return { perSec, ...end(results.reduce((sum, [r]) => sum + (r?.cpuMs ?? 0), 0)) };
}

interface BaselineResult {
  latency: Latency;
  oneProcess: Rate;
  twoProcesses: Rate;
}

async function runBaseline(images: BenchImage[]): Promise<PerImage<BaselineResult>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-bench-'));
  try {
    const files = images.map((image) => path.join(dir, `${image.name}.jpg`));
    images.forEach((image, i) => writeFileSync(files[i]!, image.bytes));
    const sequential = await baselineSequential(files);
    const result = {} as PerImage<BaselineResult>;
    for (const [i, image] of images.entries()) {
      const seq = sequential[i]!;
      const oneProcess: Rate = {
        perSec: seq.timesMs.length / (seq.elapsedMs / 1000),
        ownCores: seq.cpuMs / seq.elapsedMs,
        otherCores: seq.otherCores,
      };
      const r = (result[image.name] = {
        latency: summarise(seq.timesMs, seq.faces),
        oneProcess,
        twoProcesses: await baselineParallel(files[i]!, 2),
      });
      console.log(`[5] face-api ${image.name.padEnd(8)} ${fmtLatency(r.latency)}`);
      console.log(`              1 process:   ${r.oneProcess.perSec.toFixed(2).padStart(5)} req/s  (${cores(r.oneProcess)})`);
      console.log(`              2 processes: ${r.twoProcesses.perSec.toFixed(2).padStart(5)} req/s  (${cores(r.twoProcesses)})`);
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Summary

type ServerResult = Awaited<ReturnType<typeof runServerPhases>>;

interface Row {
  target: string;
  value: string;
  ok: boolean;
}

function summaryRows(server: ServerResult, baseline: PerImage<BaselineResult>): Row[] {
  const names: ImageName[] = ['one-face', 'group'];
  const p50 = server.latency['one-face'].http.p50;
  const rows: Row[] = [{ target: `1-face HTTP p50 <= ${TARGETS.p50Ms} ms`, value: ms(p50), ok: p50 <= TARGETS.p50Ms }];
  for (const name of names) {
    const overhead = server.latency[name].overhead;
    rows.push({
      target: `${name} GraphQL+HTTP overhead <= ${TARGETS.overhead * 100} %`,
      value: pct(overhead),
      ok: overhead <= TARGETS.overhead,
    });
  }
  for (const name of names) {
    const scale = server.throughput[name].c8!.perSec / server.throughput[name].c1!.perSec;
    rows.push({ target: `${name} c8 >= ${TARGETS.c8OverC1}x c1`, value: `${scale.toFixed(2)}x`, ok: scale >= TARGETS.c8OverC1 });
  }
  for (const name of names) {
    const vsTwo = server.throughput[name].c8!.perSec / baseline[name].twoProcesses.perSec;
    const vsOne = server.throughput[name].c1!.perSec / baseline[name].oneProcess.perSec;
    rows.push({
      target: `${name} c8 >= ${TARGETS.vsFaceApi}x face-api 2 procs`,
      value: `${vsTwo.toFixed(2)}x  (c1 vs 1 proc: ${vsOne.toFixed(2)}x)`,
      ok: vsTwo >= TARGETS.vsFaceApi,
    });
  }
  const growth = server.rss.growth;
  rows.push({
    target: `RSS growth ${RSS_MARKS[0]}->${RSS_MARKS[1]} < ${TARGETS.rssGrowth * 100} %`,
    value: pct(growth),
    ok: growth < TARGETS.rssGrowth,
  });
  return rows;
}

function printSummary(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.target.length));
  const v = Math.max(...rows.map((r) => r.value.length));
  console.log('\nSummary');
  console.log(`${'target'.padEnd(w)}  ${'measured'.padEnd(v)}  result`);
  console.log(`${'-'.repeat(w)}  ${'-'.repeat(v)}  ------`);
  for (const r of rows) console.log(`${r.target.padEnd(w)}  ${r.value.padEnd(v)}  ${r.ok ? 'meets' : 'misses'}`);
}

/** The timed phases where other processes were busy enough to distort the numbers. */
function noisyPhases(server: ServerResult, baseline: PerImage<BaselineResult>): Array<{ phase: string; otherCores: number }> {
  const phases: Array<[string, CpuUse]> = [];
  for (const name of ['one-face', 'group'] as const) {
    phases.push([`[1+2] latency ${name}`, server.latency[name].cpu]);
    for (const c of CONCURRENCY) phases.push([`[3] ${name} c${c}`, server.throughput[name][`c${c}`]!]);
    phases.push(
      [`[5] face-api ${name} 1 process`, baseline[name].oneProcess],
      [`[5] face-api ${name} 2 processes`, baseline[name].twoProcesses],
    );
  }
  server.rss.marks.forEach((m) => phases.push([`[4] RSS top-up to ${m.totalRequests}`, m.cpu]));
  return phases.filter(([, c]) => c.otherCores > NOISY_OTHER_CORES).map(([phase, c]) => ({ phase, otherCores: c.otherCores }));
}

function printNoise(noisy: Array<{ phase: string; otherCores: number }>): void {
  if (noisy.length === 0) {
    console.log(`\nOther processes stayed under ${NOISY_OTHER_CORES} cores in every timed phase: the numbers are clean.`);
    return;
  }
  console.log(`\nNOISY RUN: other processes kept more than ${NOISY_OTHER_CORES} cores busy during:`);
  for (const n of noisy) console.log(`  ${n.phase}: ${n.otherCores.toFixed(2)} cores`);
  console.log('Rerun on a quiet machine before trusting the affected numbers.');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const runStarted = performance.now();
  const images = await makeImages();
  const loadAverage = os.loadavg();
  console.log(
    `facegraph detect bench: node ${process.version}, ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average ${loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  );
  for (const i of images) console.log(`image ${i.name}: ${i.width}x${i.height}, ${(i.bytes.length / 1024).toFixed(0)} KB JPEG`);
  console.log('(cpu = cores this process kept busy, others = cores the rest of the machine kept busy)');

  const server = await runServerPhases(images);
  console.log();
  const baseline = await runBaseline(images);
  const rows = summaryRows(server, baseline);
  printSummary(rows);
  const noisy = noisyPhases(server, baseline);
  printNoise(noisy);

  const totalSeconds = (performance.now() - runStarted) / 1000;
  mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cores: os.availableParallelism(),
    loadAverageAtStart: loadAverage,
    images: images.map(({ name, width, height, bytes }) => ({ name, width, height, bytes: bytes.length })),
    settings: { WARMUP, LATENCY_N, THROUGHPUT_N, CONCURRENCY, RSS_MARKS, RSS_CONCURRENCY, BASELINE_WARMUP, BASELINE_SEQ_N, BASELINE_PAR_N },
    targets: TARGETS,
    server,
    faceApiBaseline: baseline,
    summary: rows,
    noisyPhases: noisy,
    totalSeconds,
  };
  writeFileSync(OUT_FILE, JSON.stringify(out, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), OUT_FILE)} (run took ${totalSeconds.toFixed(0)} s)`);
}

await main();
