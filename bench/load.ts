/**
 * Load benchmark: closed-loop clients sending a mix of detect, verify and find-similar requests to
 * one or more replicas. Prints numbers, never asserts (except that a server starts).
 *
 * Client. Issue 15 names autocannon; this bench keeps its own undici clients instead, because the
 * mix needs per-request control autocannon does not give: each request is chosen by a seeded PRNG,
 * built from faceIds earlier answers returned, sent to a chosen replica, and its answer is checked
 * for correctness. Each level is a closed loop of C clients: a client sends, waits for the answer,
 * and sends again; refused with 429/503 and a Retry-After, it waits that many seconds first, as
 * Azure's SDKs do.
 *
 * Mix (BENCH_LOAD_MIX, default detect=40,group=10,verify=25,findsimilar=25: relative weights):
 *   - detect: a one-face photo of ../shared/faces/people (640 px long side, JPEG q90) to
 *     POST /face/v1.2/detect?returnFaceId=true (detection_03, recognition_04); right when it finds
 *     exactly one face;
 *   - group: a group photo of ../shared/faces/groups as stored (1–2k px JPEG); right when it
 *     finds the manifest's face count (one more where the manifest says a face is optional);
 *   - verify: two faceIds to POST /face/v1.2/verify, half the time two photos of one person, half
 *     the time two people (manifest labels); right when isIdentical says so;
 *   - findsimilar: a faceId and a faceIds array (another photo of the same person plus one photo of
 *     every other person, shuffled) to POST /face/v1.2/findsimilars (matchPerson); right when that
 *     other photo's faceId comes first.
 * faceIds come from a pool: every one-face photo is detected once before the first level (photo i
 * on replica i mod N), and each client starts a level with a copy of that pool and replaces a
 * photo's faceId whenever its own detect of that photo answers. Group photos' faces do not join
 * the pool. A 2xx answer that is not right counts as accepted (latency included) and as "wrong".
 *
 * Replicas (`--replicas N`, default 1): N server processes (`node --import tsx src/main.ts`), each
 * with its own data folder, on free loopback ports, FACEGRAPH_WORKERS=K (`--workers K`, default
 * cores ÷ N, at least 1). Client i starts on replica i mod N and moves to the next replica at every
 * request, so a faceId detected on A is verified on B: that needs a shared faceId registry. There
 * is no load balancer in between (deploy/'s nginx spreads requests in production). With
 * N > 1 (or `--shared-stores`) the bench starts a Redis (`redis-server` from PATH, temp port, no
 * persistence) and a PostgreSQL (tools/test-postgres.ts) and gives every replica
 * FACEGRAPH_REDIS_URL and FACEGRAPH_DATABASE_URL. A checkout whose config does not read
 * FACEGRAPH_REDIS_URL keeps faceIds per replica: cross-replica verify/find-similar then answer
 * 404/400 FaceNotFound, and the tables show it (4xx column, "cross" counts) instead of hiding it.
 *
 * Per level and per operation: accepted (2xx) answers per second, p50/p99 latency of accepted
 * answers, the share of answers that were refusals (429 or 503 with Retry-After), other 5xx, 4xx
 * (with Azure error codes in the JSON), transport errors and wrong answers. RSS (VmRSS) of every
 * replica after the warm-up and at the end, and its growth. On a 2-core machine the replicas and
 * the bench's own clients share the same cores: the bench is CPU-bound, and more replicas add no
 * cores; the ratio line shows what splitting the cores between replicas costs or gains.
 *
 * Run: npm run bench:load [-- --replicas 1,2]: a list runs each replica count in turn in this one
 * process (fresh servers and stores each time), prints a ratio line "N replicas / 1 replica detect
 * throughput" against the first, and plots them together. `--baseline bench/out/load-1r.json`
 * compares with an earlier report instead (only fair from the same session: these machines vary).
 * Other options: --workers K (every replica), --label <name>, --root <checkout> (start the servers
 * from another checkout, same client), --seed <n> (PRNG seed, default 1), --shared-stores (Redis +
 * PostgreSQL even with one replica). `--replot a.json[,b.json]` runs nothing: it draws the plot again
 * from saved reports (bench/out/load-<their labels>.svg, or load-<--label>.svg).
 * Levels and duration: BENCH_LOAD_LEVELS (default 1,8,32,64) and BENCH_LOAD_SECONDS (default 20;
 * issue 15 asks 60: BENCH_LOAD_SECONDS=60 npm run bench:load -- --replicas 1,2, about 10 minutes).
 * Output: markdown tables on stdout, bench/out/load-<label>.json per replica count (label `<N>r`,
 * or `<label>-<N>r` with --label and several counts) and one SVG, bench/out/load-<labels>.svg:
 * accepted/s of the whole mix and p50/p99 of one-face detects against connections, one line per
 * replica count (and the baseline's).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Agent, request } from 'undici';
import { startTestPostgres, type TestPostgres } from '../tools/test-postgres.js';
import { lineChart, writePlot, type Panel, type Series } from './lib/plot.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const OUT_DIR = path.join(BENCH_DIR, 'out');
const FACES_DIR = process.env.FACEGRAPH_SHARED_DIR
  ? path.join(process.env.FACEGRAPH_SHARED_DIR, 'faces')
  : path.resolve(REPO_ROOT, '../shared/faces');

const LEVELS = (process.env.BENCH_LOAD_LEVELS ?? '1,8,32,64').split(',').map(Number);
const DURATION_S = Number(process.env.BENCH_LOAD_SECONDS ?? 20);
const WARMUP_S = 3;
const DETECT_PATH = '/face/v1.2/detect?detectionModel=detection_03&recognitionModel=recognition_04&returnFaceId=true';

const OPERATIONS = ['detect', 'group', 'verify', 'findsimilar'] as const;
type Operation = (typeof OPERATIONS)[number];

// ---- inputs -------------------------------------------------------------------------------------

interface ManifestImage {
  file: string;
  faces: number;
  people: string[];
  note?: string;
}

interface OnePhoto {
  file: string;
  person: string;
  body: Buffer;
}

interface GroupPhoto {
  file: string;
  body: Buffer;
  minFaces: number;
  maxFaces: number;
}

async function loadInputs(): Promise<{ ones: OnePhoto[]; groups: GroupPhoto[] }> {
  const manifest = JSON.parse(readFileSync(path.join(FACES_DIR, 'manifest.json'), 'utf8')) as { images: ManifestImage[] };
  const ones = await Promise.all(
    manifest.images
      .filter((m) => m.file.startsWith('people/') && m.faces === 1)
      .map(async (m) => ({
        file: m.file,
        person: m.people[0]!,
        body: await sharp(path.join(FACES_DIR, m.file)).resize({ width: 640, height: 640, fit: 'inside' }).jpeg({ quality: 90 }).toBuffer(),
      })),
  );
  const groups = manifest.images
    .filter((m) => m.file.startsWith('groups/'))
    .map((m) => ({
      file: m.file,
      body: readFileSync(path.join(FACES_DIR, m.file)),
      minFaces: m.faces,
      maxFaces: m.faces + (m.note?.includes('optional') ? 1 : 0),
    }));
  return { ones, groups };
}

// ---- the mix ------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so a run's sequence of requests can be repeated. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseMix(raw: string): Record<Operation, number> {
  const mix: Record<Operation, number> = { detect: 0, group: 0, verify: 0, findsimilar: 0 };
  for (const part of raw.split(',')) {
    const [name = '', weight = ''] = part.split('=').map((s) => s.trim());
    if (!(OPERATIONS as readonly string[]).includes(name) || !(Number(weight) >= 0))
      throw new Error(`BENCH_LOAD_MIX: "${part}" is not <${OPERATIONS.join('|')}>=<weight>`);
    mix[name as Operation] = Number(weight);
  }
  if (OPERATIONS.every((op) => mix[op] === 0)) throw new Error('BENCH_LOAD_MIX: all weights are 0');
  return mix;
}

function pickOperation(mix: Record<Operation, number>, r: number): Operation {
  const total = OPERATIONS.reduce((s, op) => s + mix[op], 0);
  let x = r * total;
  for (const op of OPERATIONS) {
    if (x < mix[op]) return op;
    x -= mix[op];
  }
  return 'detect';
}

/** A one-face photo's latest faceId and the replica that registered it. */
interface PoolEntry {
  faceId: string;
  replica: number;
}
type Pool = Map<string, PoolEntry>;

// ---- counting -----------------------------------------------------------------------------------

interface Counter {
  latencies: number[];
  refused: number;
  retryAfters: Set<number>;
  serverErrors: number;
  clientErrors: number;
  transportErrors: number;
  wrong: number;
  /** verify / find-similar whose faceIds were not all registered on the replica asked. */
  crossReplica: number;
  crossReplicaAccepted: number;
  /** "404 FaceNotFound" -> count: every non-2xx answer by status and Azure error code. */
  errorCodes: Map<string, number>;
}

const newCounter = (): Counter => ({
  latencies: [],
  refused: 0,
  retryAfters: new Set(),
  serverErrors: 0,
  clientErrors: 0,
  transportErrors: 0,
  wrong: 0,
  crossReplica: 0,
  crossReplicaAccepted: 0,
  errorCodes: new Map(),
});

interface OpResult {
  accepted: number;
  acceptedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  refused: number;
  refusedShare: number;
  retryAfterSeconds: number[];
  /** 5xx that were not a refusal with Retry-After. */
  serverErrors: number;
  /** 4xx other than 429. */
  clientErrors: number;
  transportErrors: number;
  /** 2xx answers that were not right (counted in accepted too). */
  wrong: number;
  crossReplica: number;
  crossReplicaAccepted: number;
  errorCodes: Record<string, number>;
}

interface LevelResult {
  connections: number;
  seconds: number;
  all: OpResult;
  ops: Record<Operation, OpResult>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarise(counters: readonly Counter[], seconds: number): OpResult {
  const latencies = counters.flatMap((c) => c.latencies).sort((a, b) => a - b);
  const sum = (f: (c: Counter) => number): number => counters.reduce((s, c) => s + f(c), 0);
  const refused = sum((c) => c.refused);
  const answered = latencies.length + refused + sum((c) => c.serverErrors + c.clientErrors);
  const errorCodes: Record<string, number> = {};
  for (const c of counters) for (const [k, v] of c.errorCodes) errorCodes[k] = (errorCodes[k] ?? 0) + v;
  return {
    accepted: latencies.length,
    acceptedPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? NaN,
    refused,
    refusedShare: answered ? refused / answered : 0,
    retryAfterSeconds: [...new Set(counters.flatMap((c) => [...c.retryAfters]))].sort((a, b) => a - b),
    serverErrors: sum((c) => c.serverErrors),
    clientErrors: sum((c) => c.clientErrors),
    transportErrors: sum((c) => c.transportErrors),
    wrong: sum((c) => c.wrong),
    crossReplica: sum((c) => c.crossReplica),
    crossReplicaAccepted: sum((c) => c.crossReplicaAccepted),
    errorCodes,
  };
}

// ---- requests -----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  retryAfter: number;
  json: unknown;
}

async function send(agent: Agent, url: string, body: Buffer | object): Promise<Answer> {
  const binary = Buffer.isBuffer(body);
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': binary ? 'application/octet-stream' : 'application/json' },
    body: binary ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON: counted by status only
  }
  return { status: res.statusCode, retryAfter: Number(res.headers['retry-after']), json };
}

interface DetectedFace {
  faceId?: string;
}

const facesOf = (json: unknown): DetectedFace[] | null => (Array.isArray(json) ? (json as DetectedFace[]) : null);

/** What one request is: where it goes, what it sends, and how to judge a 2xx answer. */
interface Plan {
  op: Operation;
  path: string;
  body: Buffer | object;
  cross: boolean;
  /** Right or wrong; may update the client's pool. */
  judge(json: unknown, replica: number): boolean;
}

interface Inputs {
  ones: OnePhoto[];
  groups: GroupPhoto[];
  /** person -> indexes into ones. */
  byPerson: Map<string, number[]>;
}

function planRequest(op: Operation, inputs: Inputs, pool: Pool, rand: () => number, replica: number): Plan | null {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const { ones, groups, byPerson } = inputs;
  const inPool = (i: number): PoolEntry | undefined => pool.get(ones[i]!.file);
  if (op === 'detect') {
    const photo = pick(ones);
    return {
      op,
      path: DETECT_PATH,
      body: photo.body,
      cross: false,
      judge: (json, r) => {
        const faces = facesOf(json);
        const faceId = faces?.length === 1 ? faces[0]!.faceId : undefined;
        if (typeof faceId !== 'string') return false;
        pool.set(photo.file, { faceId, replica: r });
        return true;
      },
    };
  }
  if (op === 'group') {
    const photo = pick(groups);
    return {
      op,
      path: DETECT_PATH,
      body: photo.body,
      cross: false,
      judge: (json) => {
        const n = facesOf(json)?.length ?? -1;
        return n >= photo.minFaces && n <= photo.maxFaces;
      },
    };
  }
  const people = [...byPerson.keys()].filter((p) => byPerson.get(p)!.some((i) => inPool(i)));
  const repeated = people.filter((p) => byPerson.get(p)!.filter((i) => inPool(i)).length >= 2);
  if (repeated.length === 0 || people.length < 2) return null;
  const twoOf = (person: string): [number, number] => {
    const photos = byPerson.get(person)!.filter((i) => inPool(i));
    const a = pick(photos);
    return [a, pick(photos.filter((i) => i !== a))];
  };
  const crossOf = (indexes: number[]): boolean => indexes.some((i) => inPool(i)!.replica !== replica);
  if (op === 'verify') {
    let pair: [number, number];
    const same = rand() < 0.5;
    if (same) pair = twoOf(pick(repeated));
    else {
      const p = pick(people);
      const q = pick(people.filter((x) => x !== p));
      pair = [pick(byPerson.get(p)!.filter((i) => inPool(i))), pick(byPerson.get(q)!.filter((i) => inPool(i)))];
    }
    return {
      op,
      path: '/face/v1.2/verify',
      body: { faceId1: inPool(pair[0])!.faceId, faceId2: inPool(pair[1])!.faceId },
      cross: crossOf(pair),
      judge: (json) => (json as { isIdentical?: unknown } | null)?.isIdentical === same,
    };
  }
  const person = pick(repeated);
  const [query, expected] = twoOf(person);
  const others = people.filter((p) => p !== person).map((p) => pick(byPerson.get(p)!.filter((i) => inPool(i))));
  const candidates = [expected, ...others];
  for (let i = candidates.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
  }
  const expectedId = inPool(expected)!.faceId;
  return {
    op,
    path: '/face/v1.2/findsimilars',
    body: {
      faceId: inPool(query)!.faceId,
      faceIds: candidates.map((i) => inPool(i)!.faceId),
      maxNumOfCandidatesReturned: candidates.length,
      mode: 'matchPerson',
    },
    cross: crossOf([query, ...candidates]),
    judge: (json) => Array.isArray(json) && (json[0] as { faceId?: unknown } | undefined)?.faceId === expectedId,
  };
}

function errorCode(json: unknown): string {
  const code = (json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : '?';
}

async function runLevel(
  bases: readonly string[],
  inputs: Inputs,
  globalPool: Pool,
  mix: Record<Operation, number>,
  seed: number,
  connections: number,
  seconds: number,
): Promise<LevelResult> {
  const agent = new Agent({ connections, pipelining: 1, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const counters = OPERATIONS.map(() => Array.from({ length: connections }, newCounter));
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async (k: number): Promise<void> => {
    const rand = prng(seed * 1_000_003 + k);
    const pool: Pool = new Map(globalPool);
    let replica = k % bases.length;
    while (performance.now() < deadline) {
      const r = replica;
      replica = (replica + 1) % bases.length;
      const op = pickOperation(mix, rand());
      const plan = planRequest(op, inputs, pool, rand, r);
      if (!plan) {
        // Not enough faceIds in the pool yet: let this client's detects fill it.
        await sleep(10);
        continue;
      }
      const c = counters[OPERATIONS.indexOf(op)]![k]!;
      if (plan.cross) c.crossReplica++;
      const t0 = performance.now();
      try {
        const res = await send(agent, `${bases[r]}${plan.path}`, plan.body);
        const ms = performance.now() - t0;
        if (res.status >= 200 && res.status < 300) {
          c.latencies.push(ms);
          if (plan.cross) c.crossReplicaAccepted++;
          if (!plan.judge(res.json, r)) c.wrong++;
          continue;
        }
        const key = `${res.status} ${errorCode(res.json)}`;
        c.errorCodes.set(key, (c.errorCodes.get(key) ?? 0) + 1);
        if ((res.status === 429 || res.status === 503) && Number.isFinite(res.retryAfter)) {
          c.refused++;
          c.retryAfters.add(res.retryAfter);
          await sleep(Math.min(res.retryAfter * 1000, Math.max(0, deadline - performance.now())));
        } else if (res.status >= 500) c.serverErrors++;
        else c.clientErrors++;
      } catch {
        c.transportErrors++;
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, k) => client(k)));
  const elapsed = (performance.now() - started) / 1000;
  await agent.close();
  const ops = Object.fromEntries(OPERATIONS.map((op, i) => [op, summarise(counters[i]!, elapsed)])) as Record<Operation, OpResult>;
  return { connections, seconds: elapsed, all: summarise(counters.flat(), elapsed), ops };
}

/** Detects every one-face photo once (photo i on replica i mod N): the faceId pool clients start from. */
async function fillPool(bases: readonly string[], ones: readonly OnePhoto[]): Promise<Pool> {
  const agent = new Agent({ connections: 2, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const pool: Pool = new Map();
  try {
    for (const [i, photo] of ones.entries()) {
      const replica = i % bases.length;
      const res = await send(agent, `${bases[replica]}${DETECT_PATH}`, photo.body);
      const faces = facesOf(res.json);
      const faceId = faces?.length === 1 ? faces[0]!.faceId : undefined;
      if (res.status !== 200 || typeof faceId !== 'string') {
        process.stderr.write(
          `pool: ${photo.file} on replica ${replica} answered ${res.status} with ${faces?.length ?? '?'} faces; left out\n`,
        );
        continue;
      }
      pool.set(photo.file, { faceId, replica });
    }
  } finally {
    await agent.close();
  }
  return pool;
}

// ---- processes ----------------------------------------------------------------------------------

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

/** Children, PostgreSQL's process group and temp folders: undone if this process ends without stopping them. */
const children = new Set<ChildProcess>();
const processGroups = new Set<number>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const pgid of processGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // a file still being written by a dying process: leave the rest
    }
  }
});
// Ctrl-C or a kill: exit through 'exit' so the servers, Redis and PostgreSQL go too.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited(child);
  clearTimeout(timer);
  children.delete(child);
}

interface Redis {
  url: string;
  child: ChildProcess;
  dir: string;
}

async function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(data.startsWith('+PONG')));
    socket.on('error', () => undefined);
  });
}

async function startRedis(): Promise<Redis> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0)
    throw new Error('redis-server is not on PATH (Debian: apt-get install redis-server); it is needed with --replicas > 1');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-load-redis-'));
  tempDirs.add(dir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  for (let i = 0; !(await redisPing(port)); i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (i > 100) throw new Error('redis-server did not answer PING in 10 s');
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, child, dir };
}

interface Replica {
  index: number;
  port: number;
  base: string;
  child: ChildProcess;
  dataDir: string;
}

async function startReplica(index: number, root: string, env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-load-'));
  tempDirs.add(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      FACEGRAPH_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  return { index, port, base: `http://127.0.0.1:${port}`, child, dataDir };
}

async function waitReady(replica: Replica): Promise<void> {
  for (let i = 0; ; i++) {
    if (replica.child.exitCode !== null) throw new Error(`replica ${replica.index} exited with ${replica.child.exitCode}`);
    const ok = await fetch(`${replica.base}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (i > 1200) throw new Error(`replica ${replica.index} not ready after 120 s`);
    await sleep(100);
  }
}

/** VmRSS and VmHWM (peak) of a process, in MB (Linux /proc). */
function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * The main thread's V8 heap in use and external (Buffer, ArrayBuffer) memory in MB, and the faceIds held, from the
 * replica's own /metrics. Beside VmRSS this tells a JavaScript leak (heap grows) from native memory
 * (onnxruntime arenas, sharp, malloc) that only RSS shows. Worker threads' heaps are not included.
 */
async function heapMb(base: string): Promise<{ heap: number; external: number; faces: number }> {
  const res = await request(`${base}/metrics`);
  const text = await res.body.text();
  const value = (name: string): number => Number(new RegExp(`^facegraph_${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    heap: value('nodejs_heap_size_used_bytes') / 2 ** 20,
    external: value('nodejs_external_memory_bytes') / 2 ** 20,
    // faceIds held in memory for their validity: the cache grows by design up to FACEGRAPH_FACE_CACHE_ENTRIES.
    faces: value('face_registry_faces'),
  };
}

// ---- report -------------------------------------------------------------------------------------

interface RssResult {
  replica: number;
  port: number;
  startMb: number;
  endMb: number;
  growthPct: number;
  peakMb: number;
}

interface Report {
  label: string;
  root: string;
  replicas: number;
  workers: number;
  cores: number;
  sharedStores: boolean;
  /** Whether the servers' config reads FACEGRAPH_REDIS_URL (a shared faceId registry). */
  redisRegistry: boolean;
  seed: number;
  mix: Record<Operation, number>;
  durationS: number;
  loadAverage: { start: number[]; end: number[] };
  date: string;
  results: LevelResult[];
  rss: RssResult[];
}

const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '–');

function tables(report: Report): string[] {
  const lines = [
    `| connections | operation | accepted/s | p50 ms | p99 ms | refused share | Retry-After s | 5xx (not refusals) | 4xx | transport errors | wrong | cross-replica (accepted) |`,
    `| ----------: | --------- | ---------: | -----: | -----: | ------------: | ------------- | -----------------: | --: | ---------------: | ----: | -----------------------: |`,
  ];
  for (const r of report.results) {
    for (const [name, o] of [...OPERATIONS.map((op) => [op, r.ops[op]] as const), ['all', r.all] as const]) {
      const cross = name === 'verify' || name === 'findsimilar' || name === 'all' ? `${o.crossReplica} (${o.crossReplicaAccepted})` : '–';
      lines.push(
        `| ${r.connections} | ${name} | ${fmt(o.acceptedPerSecond, 1)} | ${fmt(o.p50Ms)} | ${fmt(o.p99Ms)} | ${fmt(100 * o.refusedShare, 1)} % | ${o.retryAfterSeconds.join(', ') || '–'} | ${o.serverErrors} | ${o.clientErrors} | ${o.transportErrors} | ${o.wrong} | ${cross} |`,
      );
    }
  }
  lines.push(
    '',
    '| replica | RSS after warm-up MB | RSS at end MB | growth | peak (VmHWM) MB |',
    '| ------: | ---: | ---: | ---: | ---: |',
  );
  for (const m of report.rss)
    lines.push(`| ${m.replica} | ${fmt(m.startMb, 1)} | ${fmt(m.endMb, 1)} | ${fmt(m.growthPct, 1)} % | ${fmt(m.peakMb, 1)} |`);
  const codes: Record<string, number> = {};
  for (const r of report.results) for (const [k, v] of Object.entries(r.all.errorCodes)) codes[k] = (codes[k] ?? 0) + v;
  if (Object.keys(codes).length)
    lines.push(
      '',
      `Non-2xx answers by status and code (all levels): ${Object.entries(codes)
        .map(([k, v]) => `${k} × ${v}`)
        .join(', ')}`,
    );
  const wrong = report.results.reduce((s, r) => s + r.all.wrong, 0);
  lines.push('', `Answered wrongly: ${wrong}${wrong ? ' (should be 0: see the wrong column)' : ''}`);
  return lines;
}

function ratioLines(report: Report, baseline: Report): string[] {
  const out: string[] = [];
  if (baseline.replicas === report.replicas)
    out.push(`(the baseline ${baseline.label} also ran ${baseline.replicas} replica(s): the ratio compares two runs, not replica counts)`);
  for (const [name, pick] of [
    ['detect', (r: LevelResult) => r.ops.detect.acceptedPerSecond],
    ['all operations', (r: LevelResult) => r.all.acceptedPerSecond],
  ] as const) {
    const parts = report.results.flatMap((r) => {
      const b = baseline.results.find((x) => x.connections === r.connections);
      return b ? [`c=${r.connections} ${fmt(pick(r) / pick(b), 2)}×`] : [];
    });
    if (parts.length)
      out.push(
        `${report.replicas} replicas / ${baseline.replicas} replica${baseline.replicas === 1 ? '' : 's'} ${name} throughput: ${parts.join(', ')}`,
      );
  }
  const failed = (r: Report): number => r.results.reduce((sum, l) => sum + l.all.clientErrors + l.all.wrong, 0);
  if (failed(report) !== failed(baseline))
    out.push(
      `caution: not like for like: 4xx + wrong answers ${failed(report)} here, ${failed(baseline)} in the baseline; a request that fails fast` +
        ' (e.g. a faceId unknown to this replica) leaves its client more time for detects, which lifts detect throughput',
    );
  return out;
}

/** Accepted/s of the whole mix, and one-face detect p50/p99, against connections: a line per replica count. */
function plotPanels(reports: readonly Report[]): Panel[] {
  const sorted = [...reports].sort((a, b) => a.replicas - b.replicas);
  const name = (rep: Report): string =>
    `${rep.replicas} replica${rep.replicas === 1 ? '' : 's'} × ${rep.workers} worker${rep.workers === 1 ? '' : 's'} (${rep.label})`;
  const points = (rep: Report, f: (r: LevelResult) => number): Series['points'] =>
    rep.results.filter((r) => Number.isFinite(f(r))).map((r) => [r.connections, f(r)] as const);
  const connections = { title: 'connections (closed-loop clients)', scale: 'log' } as const;
  return [
    lineChart({
      title: 'Accepted requests/s (whole mix)',
      x: connections,
      y: { title: 'accepted/s' },
      series: sorted.map((rep) => ({ name: name(rep), points: points(rep, (r) => r.all.acceptedPerSecond) })),
      dots: true,
    }),
    lineChart({
      title: 'Latency of one-face detect (accepted answers)',
      x: connections,
      y: { title: 'ms', scale: 'log' },
      series: sorted.flatMap((rep) => [
        { name: name(rep), dash: 'p50', points: points(rep, (r) => r.ops.detect.p50Ms) },
        { name: name(rep), dash: 'p99', points: points(rep, (r) => r.ops.detect.p99Ms) },
      ]),
      dots: true,
    }),
  ];
}

// ---- main ---------------------------------------------------------------------------------------

interface RunOptions {
  root: string;
  label: string;
  replicas: number;
  workers: number;
  cores: number;
  seed: number;
  mix: Record<Operation, number>;
  sharedStores: boolean;
  redisRegistry: boolean;
  inputs: Inputs;
}

/** Starts the stores and replicas of one configuration, runs every level, stops them all. */
async function runConfig(o: RunOptions): Promise<Report> {
  const { label, replicas, workers, seed, mix, inputs } = o;
  process.stderr.write(
    `${label}: ${replicas} replica(s) × FACEGRAPH_WORKERS=${workers} on ${o.cores} cores (${replicas * workers} engine threads` +
      ` plus this bench's clients on the same cores: CPU-bound); load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}\n`,
  );
  if (o.sharedStores && !o.redisRegistry)
    process.stderr.write(
      `note: ${o.root}/src/platform/config.ts does not read FACEGRAPH_REDIS_URL: faceIds stay per replica, so cross-replica verify/find-similar will fail (counted as 4xx)\n`,
    );
  let redis: Redis | null = null;
  let postgres: TestPostgres | null = null;
  const servers: Replica[] = [];
  try {
    const env: Record<string, string> = { FACEGRAPH_WORKERS: String(workers) };
    if (o.sharedStores) {
      redis = await startRedis();
      postgres = await startTestPostgres();
      processGroups.add(postgres.pid);
      tempDirs.add(path.dirname(postgres.dataDir));
      env.FACEGRAPH_REDIS_URL = redis.url;
      env.FACEGRAPH_DATABASE_URL = postgres.url;
      process.stderr.write(`shared stores: Redis ${redis.url}, PostgreSQL ${postgres.url}\n`);
    }
    for (let i = 0; i < replicas; i++) servers.push(await startReplica(i, o.root, env));
    await Promise.all(servers.map(waitReady));
    const bases = servers.map((s) => s.base);

    const pool = await fillPool(bases, inputs.ones);
    process.stderr.write(`pool: ${pool.size} of ${inputs.ones.length} one-face photos have a faceId\n`);
    await runLevel(bases, inputs, pool, mix, seed, Math.min(8, Math.max(...LEVELS)), WARMUP_S);
    const rssStart = servers.map((s) => memoryMb(s.child.pid!));
    const loadStart = os.loadavg();

    const results: LevelResult[] = [];
    for (const c of LEVELS) {
      await runLevel(bases, inputs, pool, mix, seed + 7919, Math.min(c, 8), WARMUP_S);
      await sleep(500);
      const r = await runLevel(bases, inputs, pool, mix, seed, c, DURATION_S);
      results.push(r);
      const heaps = await Promise.all(bases.map(heapMb));
      process.stderr.write(
        `${label} c=${c}: ${OPERATIONS.map((op) => `${op} ${fmt(r.ops[op].acceptedPerSecond, 1)}/s p99 ${fmt(r.ops[op].p99Ms)} ms wrong ${r.ops[op].wrong} 4xx ${r.ops[op].clientErrors}`).join('; ')}; ` +
          // RSS after each level: repeating one level (BENCH_LOAD_LEVELS=64,64,64) shows growth at a steady load.
          `RSS ${servers.map((s) => `${fmt(memoryMb(s.child.pid!).rss)} MB`).join(' / ')}; ` +
          `heap used / external ${heaps.map((h) => `${fmt(h.heap)} / ${fmt(h.external)} MB`).join(' · ')}; ` +
          `faceIds held ${heaps.map((h) => fmt(h.faces)).join(' / ')}\n`,
      );
      // Let a backlog from this level drain before the next one.
      await sleep(2000);
    }
    const rssEnd = servers.map((s) => memoryMb(s.child.pid!));
    return {
      label,
      root: o.root,
      replicas,
      workers,
      cores: o.cores,
      sharedStores: o.sharedStores,
      redisRegistry: o.redisRegistry,
      seed,
      mix,
      durationS: DURATION_S,
      loadAverage: { start: loadStart, end: os.loadavg() },
      date: new Date().toISOString(),
      results,
      rss: servers.map((s, i) => ({
        replica: i,
        port: s.port,
        startMb: rssStart[i]!.rss,
        endMb: rssEnd[i]!.rss,
        growthPct: (100 * (rssEnd[i]!.rss - rssStart[i]!.rss)) / rssStart[i]!.rss,
        peakMb: rssEnd[i]!.peak,
      })),
    };
  } finally {
    await Promise.all(servers.map((s) => stopChild(s.child)));
    if (redis) await stopChild(redis.child);
    if (postgres) {
      await postgres.stop(); // deletes its folder
      processGroups.delete(postgres.pid);
      tempDirs.delete(path.dirname(postgres.dataDir));
    }
    for (const dir of [...servers.map((s) => s.dataDir), ...(redis ? [redis.dir] : [])]) {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    }
  }
}

function header(r: Report): string[] {
  return [
    `${r.label}: ${r.replicas} replica(s) × ${r.workers} worker(s), ${r.cores} cores (CPU-bound: replicas and clients share them), root ${r.root}`,
    `${r.durationS} s per level, mix ${OPERATIONS.map((op) => `${op} ${r.mix[op]}`).join(' / ')}, seed ${r.seed}, shared stores ${r.sharedStores ? 'Redis + PostgreSQL' : 'none'}` +
      `${r.sharedStores && !r.redisRegistry ? ' (this checkout has no Redis faceId registry: faceIds are per replica)' : ''}`,
    `load average at start ${r.loadAverage.start.map((x) => x.toFixed(2)).join(' ')}, at end ${r.loadAverage.end.map((x) => x.toFixed(2)).join(' ')}`,
  ];
}

function readReport(file: string): Report {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  if (!report.results[0]?.ops) throw new Error(`${file} is not a report of this bench (no per-operation results)`);
  return report;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      label: { type: 'string' },
      replicas: { type: 'string', default: '1' },
      workers: { type: 'string' },
      baseline: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'shared-stores': { type: 'boolean', default: false },
      replot: { type: 'string' },
    },
  });
  if (values.replot) {
    const saved = values.replot.split(',').map(readReport);
    const svg = `load-${values.label ?? saved.map((r) => r.label).join('-')}.svg`;
    process.stdout.write(`wrote ${await writePlot(path.join(OUT_DIR, svg), plotPanels(saved))}\n`);
    return;
  }
  const root = path.resolve(values.root ?? REPO_ROOT);
  const counts = values.replicas.split(',').map(Number);
  const cores = os.availableParallelism();
  const seed = Number(values.seed);
  if (!counts.every((n) => Number.isInteger(n) && n >= 1)) throw new Error('--replicas must be whole numbers ≥ 1, e.g. 2 or 1,2');
  if (values.workers !== undefined && !(Number.isInteger(Number(values.workers)) && Number(values.workers) >= 1))
    throw new Error('--workers must be a whole number ≥ 1');
  if (!Number.isInteger(seed)) throw new Error('--seed must be a whole number');
  const prefix = values.label ?? (values.root ? path.basename(root) : '');
  // One count keeps the label as given (or `<N>r`); several get `<label>-<N>r` each.
  const labelOf = (n: number): string =>
    counts.length === 1 && values.label !== undefined ? values.label : `${prefix ? `${prefix}-` : ''}${n}r`;
  const mix = parseMix(process.env.BENCH_LOAD_MIX ?? 'detect=40,group=10,verify=25,findsimilar=25');
  const given = values.baseline ? readReport(values.baseline) : null;
  const configFile = path.join(root, 'src/platform/config.ts');
  const redisRegistry = existsSync(configFile) && readFileSync(configFile, 'utf8').includes('FACEGRAPH_REDIS_URL');

  const { ones, groups } = await loadInputs();
  const byPerson = new Map<string, number[]>();
  ones.forEach((p, i) => byPerson.set(p.person, [...(byPerson.get(p.person) ?? []), i]));
  const inputs: Inputs = { ones, groups, byPerson };

  mkdirSync(OUT_DIR, { recursive: true });
  const reports: Report[] = [];
  for (const replicas of counts) {
    const report = await runConfig({
      root,
      label: labelOf(replicas),
      replicas,
      workers: values.workers === undefined ? Math.max(1, Math.floor(cores / replicas)) : Number(values.workers),
      cores,
      seed,
      mix,
      sharedStores: replicas > 1 || values['shared-stores'],
      redisRegistry,
      inputs,
    });
    reports.push(report);
    // The baseline: the one given, else this run's first configuration.
    const baseline = given ?? (reports[0] !== report ? reports[0]! : null);
    const lines = [...header(report), '', ...tables(report)];
    if (baseline) lines.push('', ...ratioLines(report, baseline));
    process.stdout.write(`${lines.join('\n')}\n\n`);
    writeFileSync(path.join(OUT_DIR, `load-${report.label}.json`), JSON.stringify(report, null, 2));
    process.stdout.write(`wrote bench/out/load-${report.label}.json\n\n`);
  }
  const svg = `load-${counts.length === 1 ? labelOf(counts[0]!) : `${prefix ? `${prefix}-` : ''}${counts.map((n) => `${n}r`).join('-')}`}.svg`;
  process.stdout.write(`wrote ${await writePlot(path.join(OUT_DIR, svg), plotPanels(given ? [given, ...reports] : reports))}\n`);
}

await main();
