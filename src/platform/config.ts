/**
 * Environment -> one typed, validated Config. A bad value stops start-up with a message that
 * names the variable and the accepted range.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The Azure provider's upstream: Azure AI Face v1.2 or anything that speaks its REST contract. */
export interface AzureConfig {
  /** e.g. https://<resource>.cognitiveservices.azure.com (no /face/v1.2 suffix). */
  endpoint: string;
  apiVersion: string;
  /** Ocp-Apim-Subscription-Key; or tokenCommand, whose stdout is a Microsoft Entra bearer token. */
  key: string | null;
  tokenCommand: string | null;
  /** Keep-alive connections to the upstream (undici Pool). */
  connections: number;
  connectTimeoutMs: number;
  /** Time allowed for the response headers, then again for the body. */
  requestTimeoutMs: number;
  /** Retries of idempotent compute calls (detect, verify, find-similar, group) on 429/503. */
  maxRetries: number;
  retryBaseMs: number;
  /** A Retry-After longer than this is not waited for: the caller gets UPSTREAM_RATE_LIMITED. */
  maxRetryAfterMs: number;
}

export interface Config {
  host: string;
  port: number;
  production: boolean;
  logLevel: string;
  workers: number;
  /** Hard cap on images waiting for an engine worker. */
  maxQueue: number;
  /** Images whose estimated wait for an engine worker is over this are refused (OVERLOADED); 0: no latency bound. */
  maxQueueWaitMs: number;
  /** An engine job running longer than this fails (ENGINE_UNAVAILABLE) and its worker is replaced. */
  engineJobTimeoutMs: number;
  /** node:http's requestTimeout (whole request received) and headersTimeout: slow uploads are cut off. */
  http: { requestTimeoutMs: number; headersTimeoutMs: number };
  maxPixels: number;
  image: { minBytes: number; maxBytes: number };
  fetch: { timeoutMs: number; maxRedirects: number; allowPrivateHosts: string[] };
  registry: { maxEntries: number; maxBytes: number };
  limits: { maxDepth: number; maxAliases: number; maxTokens: number };
  shutdownGraceMs: number;
  /** FACEGRAPH_METRICS: serve GET /metrics (Prometheus text), on by default. */
  metrics: boolean;
  /** FACEGRAPH_DEMO: serve the demo page at /demo; on by default except in production (NODE_ENV=production). */
  demo: boolean;
  /** FACEGRAPH_API_KEYS: empty means the service is open. Never logged. */
  apiKeys: string[];
  /**
   * FACEGRAPH_API_KEYS_FILE: more keys, one a line (blank lines and `#` comments skipped), read on
   * start and again on SIGHUP. Set, keys are required even if the file is emptied. Never logged.
   */
  apiKeysFile: { path: string; keys: string[] } | null;
  /**
   * FACEGRAPH_RATE_LIMIT_RPS: requests per second per API key (or client address);
   * FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S: image megapixels per second per key. 0: no limit.
   */
  rateLimit: { requestsPerSecond: number; megapixelsPerSecond: number };
  /** FACE_PROVIDER: the embedded engine (default) or an Azure AI Face endpoint. */
  provider: 'embedded' | 'azure';
  azure: AzureConfig | null;
  /** Where persistent state lives (the SQLite database), unless databaseUrl is set; created on start. */
  dataDir: string;
  /**
   * FACEGRAPH_DATABASE_URL: collections and liveness sessions live in this PostgreSQL database
   * (postgres://…) instead of the data directory's SQLite file. Never logged (it may hold a password).
   */
  databaseUrl: string | null;
  /**
   * FACEGRAPH_REDIS_URL (redis:// or rediss://): faceIds live in Redis, shared by every replica
   * that uses the same URL and prefix, and the per-key rate limits are the replicas' common
   * budget. Null: both stay in this process (the default). The URL is never logged.
   */
  redis: RedisConfig | null;
  /**
   * OTEL_TRACES_EXPORTER=otlp: the spans of platform/tracing.ts are exported over OTLP/HTTP
   * (platform/telemetry.ts). Null: tracing is off (the default) and no SDK is loaded.
   */
  tracing: TracingConfig | null;
  liveness: {
    /** Sessions (attempts, images, audit) are kept this long after creation, then purged. */
    retentionSeconds: number;
    /** How often expired sessions are purged (also once on start). */
    purgeIntervalMs: number;
    /** Attempt uploads processed at once, server-wide (beyond: 503 OVERLOADED + Retry-After). */
    maxConcurrentAttempts: number;
    /**
     * FACEGRAPH_LIVENESS_LIGHT (on by default): every challenge starts with a light sequence the
     * capture page flashes and the decision checks the face reflected. Off: motion rules only,
     * which a screen replaying a video of the person passes (docs/liveness.md).
     */
    lightChallenge: boolean;
  };
}

export interface RedisConfig {
  url: string;
  /** FACEGRAPH_REDIS_PREFIX: every key facegraph writes starts with it (replicas share one, tests isolate by it). */
  prefix: string;
  /** FACEGRAPH_REDIS_TIMEOUT_MS: a command unanswered this long fails (STORE_UNAVAILABLE) instead of waiting. */
  commandTimeoutMs: number;
}

/** The standard OTEL_TRACES_SAMPLER values facegraph builds (the SDK's own list, minus the remote ones). */
export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

export interface TracingConfig {
  /** OTEL_SERVICE_NAME, "facegraph" by default: the resource's service.name. */
  serviceName: string;
  /** OTEL_TRACES_SAMPLER (default parentbased_always_on) and, for the ratio ones, OTEL_TRACES_SAMPLER_ARG (0–1, default 1). */
  sampler: TracesSampler;
  samplerRatio: number;
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

function databaseUrl(env: Env): string | null {
  const raw = env.FACEGRAPH_DATABASE_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('FACEGRAPH_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`FACEGRAPH_DATABASE_URL must be a postgres:// or postgresql:// URL, got the scheme "${url.protocol}"`);
  }
  return raw;
}

function redisConfig(env: Env): RedisConfig | null {
  const raw = env.FACEGRAPH_REDIS_URL?.trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value may hold a password: never echoed.
    throw new ConfigError('FACEGRAPH_REDIS_URL must be a redis:// or rediss:// URL such as redis://127.0.0.1:6379/0');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(`FACEGRAPH_REDIS_URL must be a redis:// or rediss:// URL, got the scheme "${url.protocol}"`);
  }
  if (!url.hostname) throw new ConfigError('FACEGRAPH_REDIS_URL must name a host, e.g. redis://127.0.0.1:6379');
  const prefix = env.FACEGRAPH_REDIS_PREFIX ?? 'facegraph:';
  if (prefix === '' || prefix.length > 100 || !/^[\x21-\x7e]+$/.test(prefix)) {
    throw new ConfigError(`FACEGRAPH_REDIS_PREFIX must be 1–100 printable ASCII characters without spaces, got "${prefix}"`);
  }
  return { url: raw, prefix, commandTimeoutMs: int(env, 'FACEGRAPH_REDIS_TIMEOUT_MS', 2000, 50, 60_000) };
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function apiKeysFile(env: Env): Config['apiKeysFile'] {
  const file = (env.FACEGRAPH_API_KEYS_FILE ?? '').trim();
  return file ? { path: path.resolve(file), keys: readApiKeysFile(path.resolve(file)) } : null;
}

/** The keys of a FACEGRAPH_API_KEYS_FILE: one a line, blank lines and `#` comments skipped. */
export function readApiKeysFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`FACEGRAPH_API_KEYS_FILE: cannot read ${file}: ${(err as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function azureConfig(env: Env): AzureConfig {
  const endpoint = (env.AZURE_FACE_ENDPOINT ?? '').trim().replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(
      `AZURE_FACE_ENDPOINT must be an http(s) URL such as https://<resource>.cognitiveservices.azure.com when FACE_PROVIDER=azure, got "${endpoint}"`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`AZURE_FACE_ENDPOINT must use http or https, got "${url.protocol}"`);
  if (/\/face\/v[0-9]/.test(url.pathname))
    throw new ConfigError('AZURE_FACE_ENDPOINT is the resource URL without /face/<version>; set AZURE_FACE_API_VERSION for the version');
  const key = env.AZURE_FACE_KEY?.trim() || null;
  const tokenCommand = env.AZURE_FACE_TOKEN_COMMAND?.trim() || null;
  if (!key === !tokenCommand) throw new ConfigError('FACE_PROVIDER=azure needs exactly one of AZURE_FACE_KEY or AZURE_FACE_TOKEN_COMMAND');
  const apiVersion = env.AZURE_FACE_API_VERSION?.trim() || 'v1.2';
  if (!/^v[0-9][0-9a-z.-]*$/.test(apiVersion)) throw new ConfigError(`AZURE_FACE_API_VERSION must look like v1.2, got "${apiVersion}"`);
  return {
    endpoint,
    apiVersion,
    key,
    tokenCommand,
    connections: int(env, 'AZURE_FACE_CONNECTIONS', 16, 1, 1024),
    connectTimeoutMs: int(env, 'AZURE_FACE_CONNECT_TIMEOUT_MS', 5_000, 100, 120_000),
    requestTimeoutMs: int(env, 'AZURE_FACE_TIMEOUT_MS', 30_000, 100, 600_000),
    maxRetries: int(env, 'AZURE_FACE_MAX_RETRIES', 3, 0, 10),
    retryBaseMs: int(env, 'AZURE_FACE_RETRY_BASE_MS', 500, 1, 60_000),
    maxRetryAfterMs: int(env, 'AZURE_FACE_MAX_RETRY_AFTER_S', 30, 0, 3600) * 1000,
  };
}

function httpTimeouts(env: Env): Config['http'] {
  const requestTimeoutMs = int(env, 'FACEGRAPH_REQUEST_TIMEOUT_MS', 120_000, 1000, 3_600_000);
  const headersTimeoutMs = int(env, 'FACEGRAPH_HEADERS_TIMEOUT_MS', Math.min(20_000, requestTimeoutMs), 1000, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `FACEGRAPH_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be over FACEGRAPH_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return { requestTimeoutMs, headersTimeoutMs };
}

/**
 * The standard switch: OTEL_TRACES_EXPORTER=otlp turns tracing on; unset, empty or none leaves it
 * off, and so does OTEL_SDK_DISABLED=true. The exporter itself reads OTEL_EXPORTER_OTLP_ENDPOINT,
 * _TRACES_ENDPOINT, _HEADERS, _TIMEOUT… from the process environment; only its protocol is
 * checked here, as it always sends JSON. Enum values are case-insensitive, as the spec asks.
 */
function tracingConfig(env: Env): TracingConfig | null {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return null;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === '' || exporter === 'none') return null;
  if (exporter !== 'otlp') {
    throw new ConfigError(`OTEL_TRACES_EXPORTER must be otlp or none (unset: none, tracing off), got "${env.OTEL_TRACES_EXPORTER}"`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = (env[name] ?? '').trim().toLowerCase();
    if (protocol !== '' && protocol !== 'http/json') {
      throw new ConfigError(
        `${name} must be http/json or unset: facegraph exports OTLP over HTTP as JSON (an OpenTelemetry Collector accepts it on port 4318), got "${env[name]}"`,
      );
    }
  }
  const rawSampler = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const sampler = TRACES_SAMPLERS.find((s) => s === rawSampler);
  if (!sampler) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${TRACES_SAMPLERS.join(', ')}; got "${env.OTEL_TRACES_SAMPLER}"`);
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || 'facegraph',
    sampler,
    samplerRatio: sampler.endsWith('traceidratio') ? decimal(env, 'OTEL_TRACES_SAMPLER_ARG', 1, 0, 1) : 1,
  };
}

export function loadConfig(env: Env = process.env): Config {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}"`);
  }
  const metrics = env.FACEGRAPH_METRICS?.trim() || 'on';
  if (metrics !== 'on' && metrics !== 'off') throw new ConfigError(`FACEGRAPH_METRICS must be on or off, got "${metrics}"`);
  const production = env.NODE_ENV === 'production';
  const demo = env.FACEGRAPH_DEMO?.trim() || (production ? 'off' : 'on');
  if (demo !== 'on' && demo !== 'off') throw new ConfigError(`FACEGRAPH_DEMO must be on or off, got "${demo}"`);
  const light = env.FACEGRAPH_LIVENESS_LIGHT?.trim() || 'on';
  if (light !== 'on' && light !== 'off') throw new ConfigError(`FACEGRAPH_LIVENESS_LIGHT must be on or off, got "${light}"`);
  const provider = env.FACE_PROVIDER?.trim() || 'embedded';
  if (provider !== 'embedded' && provider !== 'azure') throw new ConfigError(`FACE_PROVIDER must be embedded or azure, got "${provider}"`);
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env, 'PORT', 4000, 0, 65535),
    production,
    logLevel,
    workers: int(env, 'FACEGRAPH_WORKERS', Math.max(1, cores), 1, 64),
    maxQueue: int(env, 'FACEGRAPH_MAX_QUEUE', 64, 0, 100_000),
    maxQueueWaitMs: int(env, 'FACEGRAPH_MAX_QUEUE_WAIT_MS', 750, 0, 600_000),
    engineJobTimeoutMs: int(env, 'FACEGRAPH_ENGINE_JOB_TIMEOUT_MS', 30_000, 100, 3_600_000),
    http: httpTimeouts(env),
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
    metrics: metrics === 'on',
    demo: demo === 'on',
    apiKeys: list(env, 'FACEGRAPH_API_KEYS'),
    apiKeysFile: apiKeysFile(env),
    rateLimit: {
      requestsPerSecond: int(env, 'FACEGRAPH_RATE_LIMIT_RPS', 0, 0, 1_000_000),
      megapixelsPerSecond: decimal(env, 'FACEGRAPH_RATE_LIMIT_MPIXELS_PER_S', 0, 0, 1_000_000),
    },
    provider,
    azure: provider === 'azure' ? azureConfig(env) : null,
    dataDir: path.resolve(env.FACEGRAPH_DATA_DIR || './data'),
    databaseUrl: databaseUrl(env),
    redis: redisConfig(env),
    tracing: tracingConfig(env),
    liveness: {
      retentionSeconds: int(env, 'FACEGRAPH_LIVENESS_RETENTION_HOURS', 48, 1, 8760) * 3600,
      purgeIntervalMs: int(env, 'FACEGRAPH_LIVENESS_PURGE_INTERVAL_S', 300, 1, 86_400) * 1000,
      maxConcurrentAttempts: int(env, 'FACEGRAPH_LIVENESS_MAX_CONCURRENT_ATTEMPTS', 4, 1, 1000),
      lightChallenge: light === 'on',
    },
  };
}
