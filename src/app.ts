/** Wires config, provider, registry and the HTTP server together (used by main and tests). */
import type { Config } from './config.js';
import { EmbeddedProvider } from './engine/provider.js';
import { FaceRegistry, type Clock } from './face/registry.js';
import type { AppServices } from './graphql/context.js';
import { startServer, type RunningServer } from './http/server.js';
import type { Logger } from './logger.js';

export interface App {
  server: RunningServer;
  services: AppServices;
  provider: EmbeddedProvider;
  stop(): Promise<void>;
}

export async function startApp(config: Config, logger: Logger, options: { clock?: Clock } = {}): Promise<App> {
  const provider = new EmbeddedProvider({ workers: config.workers, maxQueue: config.maxQueue, maxPixels: config.maxPixels });
  const registry = new FaceRegistry({ ...config.registry, clock: options.clock });
  const services: AppServices = { provider, registry, config, logger };
  const server = await startServer(services);
  // Serve /healthz right away; /readyz turns green once the models are loaded.
  await provider.start();
  return {
    server,
    services,
    provider,
    async stop() {
      await server.stop();
      await provider.close();
    },
  };
}
