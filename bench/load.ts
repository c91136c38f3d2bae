/**
 * Load benchmark: many clients sending one-face photos to one replica. Prints numbers, never asserts.
 *
 * The server runs as its own process (`node --import tsx src/main.ts`, workers = cores, default
 * limits unless the environment overrides them), so the load generator does not share its event
 * loop. `--root <dir>` starts the server from another checkout (e.g. the code before a change) with
 * the same client, image and levels.
 *
 * Image: people/obama/1.jpg from ../shared/faces, 640 px on the long side, JPEG q90 (one face),
 * sent as `application/octet-stream` to POST /face/v1.2/detect?returnFaceId=true (detection_03,
 * recognition_04: detection, landmarks and the embedding).
 *
 * Each level is a closed loop of C clients (one keep-alive connection each) for DURATION_S after a
 * short warm-up. A client sends, waits for the answer, and sends again; refused with 429/503 and a
 * Retry-After, it waits that many seconds first, as Azure's SDKs do. Per level: accepted answers
 * per second, p50/p99 latency of the accepted ones, the share of answers that were refusals (429
 * or 503 with Retry-After), any 5xx other than those, and transport errors.
 *
 * Run: npm run bench:load [-- --root /path/to/other/checkout --label before]
 * Levels and duration: BENCH_LOAD_LEVELS=1,8,32,64 BENCH_LOAD_SECONDS=20. Output: a markdown
 * table on stdout and bench/out/load-<label>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Agent, request } from 'undici';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const FACES_DIR = process.env.FACEGRAPH_SHARED_DIR
  ? path.join(process.env.FACEGRAPH_SHARED_DIR, 'faces')
  : path.resolve(REPO_ROOT, '../shared/faces');

const LEVELS = (process.env.BENCH_LOAD_LEVELS ?? '1,8,32,64').split(',').map(Number);
const DURATION_S = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const WARMUP_S = 3;
const DETECT_PATH = '/face/v1.2/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true';

interface LevelResult {
  connections: number;
  seconds: number;
  accepted: number;
  acceptedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  refused: number;
  refusedShare: number;
  /** 5xx that were not a refusal with Retry-After. */
  serverErrors: number;
  /** Other non-2xx answers (4xx except 429). */
  otherErrors: number;
  transportErrors: number;
  retryAfterSeconds: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runLevel(base: string, image: Buffer, connections: number, seconds: number): Promise<LevelResult> {
  const agent = new Agent({ connections, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const latencies: number[] = [];
  const retryAfters: number[] = [];
  let refused = 0;
  let serverErrors = 0;
  let otherErrors = 0;
  let transportErrors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await request(`${base}${DETECT_PATH}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/octet-stream' },
          body: image,
        });
        await res.body.arrayBuffer();
        const ms = performance.now() - t0;
        const retryAfter = Number(res.headers['retry-after']);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          latencies.push(ms);
        } else if ((res.statusCode === 429 || res.statusCode === 503) && Number.isFinite(retryAfter)) {
          refused++;
          retryAfters.push(retryAfter);
          await sleep(Math.min(retryAfter * 1000, Math.max(0, deadline - performance.now())));
        } else if (res.statusCode >= 500) {
          serverErrors++;
        } else {
          otherErrors++;
        }
      } catch {
        transportErrors++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  const elapsed = (performance.now() - started) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  const answered = latencies.length + refused + serverErrors + otherErrors;
  return {
    connections,
    seconds: elapsed,
    accepted: latencies.length,
    acceptedPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    refused,
    refusedShare: answered ? refused / answered : 0,
    serverErrors,
    otherErrors,
    transportErrors,
    retryAfterSeconds: [...new Set(retryAfters)].sort((a, b) => a - b),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { root: { type: 'string' }, label: { type: 'string' } } });
  const root = path.resolve(values.root ?? REPO_ROOT);
  const label = values.label ?? (values.root ? path.basename(root) : 'current');
  const image = await sharp(path.join(FACES_DIR, 'people/obama/1.jpg'))
    .resize({ width: 640, height: 640, fit: 'inside' })
    .jpeg({ quality: 90 })
    .toBuffer();

  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-load-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', FACEGRAPH_DATA_DIR: dataDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      const ok = await fetch(`${base}/readyz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (i > 600) throw new Error('server not ready after 60 s');
      await sleep(100);
    }
    const results: LevelResult[] = [];
    for (const c of LEVELS) {
      await runLevel(base, image, Math.min(c, 8), WARMUP_S);
      await sleep(500);
      const r = await runLevel(base, image, c, DURATION_S);
      results.push(r);
      process.stderr.write(`${label} c=${c}: ${JSON.stringify(r)}\n`);
      // Let a backlog from this level drain before the next one.
      await sleep(2000);
    }
    const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '–');
    const lines = [
      `${label} (root ${root}, ${os.availableParallelism()} cores, ${DURATION_S} s per level, image 640 px one face)`,
      '',
      '| connections | accepted/s | p50 ms | p99 ms | max ms | refused | refused share | Retry-After s | 5xx (not refusals) | other errors |',
      '| ----------: | ---------: | -----: | -----: | -----: | ------: | ------------: | ------------- | -----------------: | -----------: |',
      ...results.map(
        (r) =>
          `| ${r.connections} | ${fmt(r.acceptedPerSecond, 1)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.maxMs)} | ${r.refused} | ${fmt(100 * r.refusedShare, 1)} % | ${r.retryAfterSeconds.join(', ') || '–'} | ${r.serverErrors} | ${r.otherErrors + r.transportErrors} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    mkdirSync(path.join(BENCH_DIR, 'out'), { recursive: true });
    writeFileSync(path.join(BENCH_DIR, 'out', `load-${label}.json`), JSON.stringify({ label, root, results }, null, 2));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
