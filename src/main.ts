/** Entry point: `npm start`. Reads the environment, starts the server, stops gracefully. */
import { startApp } from './wiring.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { DataDirError } from './adapters/store/database.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`facegraph: invalid configuration: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let app;
  try {
    app = await startApp(config, logger);
  } catch (err) {
    if (err instanceof DataDirError) {
      process.stderr.write(`facegraph: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  logger.info(
    {
      url: app.server.url,
      provider: config.provider,
      ...(config.provider === 'embedded' ? { workers: config.workers } : { endpoint: config.azure?.endpoint }),
      models: app.provider.capabilities.engineModels,
      // Which store, never the URL (it may hold a password).
      collectionStore: config.databaseUrl ? 'postgres' : 'sqlite',
      faceIds: config.redis ? `redis (prefix ${config.redis.prefix})` : 'memory',
    },
    'facegraph ready',
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    app.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Key rotation without restart: FACEGRAPH_API_KEYS_FILE is read again (never the keys logged).
  // Without a keys file SIGHUP keeps its default action (the process ends), as before.
  if (config.apiKeysFile)
    process.on('SIGHUP', () => {
      try {
        const keys = app.reloadApiKeys();
        logger.info({ keys }, 'API keys reloaded');
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err) }, 'API keys not reloaded: the previous keys stay');
      }
    });
  // A bug in one request must not take the service down; log it loudly instead.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
}

void main();
