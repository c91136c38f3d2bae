/**
 * A throwaway Redis for tests: the system's `redis-server` (Debian: `apt-get install
 * redis-server`; no npm package ships the binary) on a loopback port, in a temp folder, with no
 * persistence (`--save "" --appendonly no`): a restart loses every key, which is what the
 * restart test wants. `stop()` shuts it down and deletes the folder. Start another on the same
 * `port` to "restart" it (clients keep their URL).
 *
 * By hand: `npm run test:redis` starts one, prints its URL and stops it on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM (no save: no persistence configured), then the temp folder is deleted. */
  stop(): Promise<void>;
}

/** The redis-server on PATH, or null. */
export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const bin = found.stdout.trim();
  return found.status === 0 && bin ? bin : null;
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

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));

/** PING over a raw socket until +PONG, the process exits, or 10 s pass. */
async function waitReady(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited while starting:\n${log()}`);
    const pong = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (d: Buffer) => done(d.toString().startsWith('+PONG')));
      socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    });
    if (pong) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING in 10 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startTestRedis(options: { port?: number; binary?: string } = {}): Promise<TestRedis> {
  const binary = options.binary ?? findRedisServer();
  if (!binary) throw new Error('redis-server is not on PATH (Debian/Ubuntu: sudo apt-get install redis-server)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'facegraph-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port ? 20 : 3); attempt++) {
    const port = options.port ?? (await freePort());
    const lines: string[] = [];
    const child = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onLine = (d: Buffer): void => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        lines.push(line);
        if (lines.length > 100) lines.shift();
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    const killOnExit = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    try {
      await waitReady(port, child, () => lines.join('\n'));
    } catch (err) {
      lastError = err;
      killOnExit();
      await exited(child);
      process.removeListener('exit', killOnExit);
      // The port was taken meanwhile (or, on a restart, not yet released): try again.
      if (lines.some((l) => l.includes('Address already in use'))) {
        if (options.port) await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    let done = false;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      async stop() {
        if (done) return;
        done = true;
        child.kill('SIGTERM');
        const timer = setTimeout(killOnExit, 10_000);
        await exited(child);
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

// `tsx tools/test-redis.ts`: start one, print its URL, stop on Ctrl-C / SIGTERM.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const server = await startTestRedis();
  console.log(`Redis ${server.url} (pid ${server.pid}); Ctrl-C stops it`);
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
