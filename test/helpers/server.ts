/** Starts the real facegraph app (real engine) on a free loopback port for e2e tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Clock } from '../../src/face/registry.js';
import { createLogger } from '../../src/logger.js';

export interface TestServer {
  app: App;
  url: string;
  /** POSTs a GraphQL document and returns the parsed JSON body and HTTP status. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> & { code?: string } }>;
}

/**
 * Without FACEGRAPH_DATA_DIR in env, the server gets a fresh temporary data directory, removed
 * on stop; with it, the directory is the caller's (e.g. to restart on the same data).
 */
export async function startTestServer(env: Record<string, string> = {}, clock?: Clock): Promise<TestServer> {
  const ownDataDir = env.FACEGRAPH_DATA_DIR ? null : mkdtempSync(path.join(os.tmpdir(), 'facegraph-data-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...(ownDataDir ? { FACEGRAPH_DATA_DIR: ownDataDir } : {}), ...env });
  const removeDataDir = () => {
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
  };
  let app: App;
  try {
    app = await startApp(config, createLogger(config.logLevel), { clock });
  } catch (err) {
    removeDataDir();
    throw err;
  }
  const url = app.server.url;
  return {
    app,
    url,
    async gql(query, variables, headers = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GqlResponse<never>;
      return { ...body, status: res.status };
    },
    stop: () => app.stop().finally(removeDataDir),
  };
}

/** A clock tests can move forward, for TTL expiry. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
