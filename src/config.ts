/**
 * Environment -> one typed, validated Config. A bad value stops start-up with a message that
 * names the variable and the accepted range.
 */
import os from 'node:os';
import path from 'node:path';

export interface Config {
  host: string;
  port: number;
  production: boolean;
  logLevel: string;
  workers: number;
  maxQueue: number;
  maxPixels: number;
  image: { minBytes: number; maxBytes: number };
  fetch: { timeoutMs: number; maxRedirects: number; allowPrivateHosts: string[] };
  registry: { maxEntries: number; maxBytes: number };
  limits: { maxDepth: number; maxAliases: number; maxTokens: number };
  shutdownGraceMs: number;
  /** Where persistent state lives (the liveness SQLite database); created on start. */
  dataDir: string;
  liveness: {
    /** Sessions (attempts, images, audit) are kept this long after creation, then purged. */
    retentionSeconds: number;
    /** How often expired sessions are purged (also once on start). */
    purgeIntervalMs: number;
    /** Attempt uploads processed at once, server-wide (beyond: 503 OVERLOADED + Retry-After). */
    maxConcurrentAttempts: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export function loadConfig(env: Env = process.env): Config {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4000, 0, 65535),
    production: env.NODE_ENV === 'production',
    logLevel,
    workers: int(env, 'FACEGRAPH_WORKERS', Math.max(1, cores), 1, 64),
    maxQueue: int(env, 'FACEGRAPH_MAX_QUEUE', 64, 0, 100_000),
    maxPixels: int(env, 'FACEGRAPH_MAX_PIXELS', 36_000_000, 1_000, 268_000_000),
    image: { minBytes: 1024, maxBytes: 6 * 1024 * 1024 },
    fetch: {
      timeoutMs: int(env, 'FACEGRAPH_URL_TIMEOUT_MS', 10_000, 100, 120_000),
      maxRedirects: int(env, 'FACEGRAPH_URL_MAX_REDIRECTS', 3, 0, 10),
      allowPrivateHosts: list(env, 'FACEGRAPH_URL_ALLOW_PRIVATE'),
    },
    registry: {
      maxEntries: int(env, 'FACEGRAPH_FACE_CACHE_ENTRIES', 100_000, 1, 100_000_000),
      maxBytes: int(env, 'FACEGRAPH_FACE_CACHE_MB', 256, 1, 1_000_000) * 1024 * 1024,
    },
    limits: {
      maxDepth: int(env, 'FACEGRAPH_MAX_DEPTH', 10, 2, 100),
      maxAliases: int(env, 'FACEGRAPH_MAX_ALIASES', 30, 1, 1000),
      maxTokens: int(env, 'FACEGRAPH_MAX_TOKENS', 2000, 100, 100_000),
    },
    shutdownGraceMs: int(env, 'FACEGRAPH_SHUTDOWN_GRACE_MS', 25_000, 0, 600_000),
    dataDir: path.resolve(env.FACEGRAPH_DATA_DIR || './data'),
    liveness: {
      retentionSeconds: int(env, 'FACEGRAPH_LIVENESS_RETENTION_HOURS', 48, 1, 8760) * 3600,
      purgeIntervalMs: int(env, 'FACEGRAPH_LIVENESS_PURGE_INTERVAL_S', 300, 1, 86_400) * 1000,
      maxConcurrentAttempts: int(env, 'FACEGRAPH_LIVENESS_MAX_CONCURRENT_ATTEMPTS', 4, 1, 1000),
    },
  };
}
