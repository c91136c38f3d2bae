/** Per-request GraphQL context: shared services plus this request's DataLoaders. */
import type { Config } from '../../platform/config.js';
import type { ApiKeyChecker } from '../../app/api-keys.js';
import type { FaceProvider } from '../../ports/face-provider.js';
import type { FaceRegistry } from '../../adapters/store/memory-face-registry.js';
import type { LivenessService } from '../../app/liveness/service.js';
import type { LivenessSessions } from '../../app/liveness/sessions.js';
import type { Logger } from '../../platform/logger.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { FaceSelection } from './selection.js';

export interface AppServices {
  provider: FaceProvider;
  registry: FaceRegistry;
  /** The embedded engine's liveness service (client API, attempts, session images, local index). */
  liveness: LivenessService;
  /** Liveness sessions as GraphQL sees them: the embedded engine's, or an upstream's. */
  livenessSessions: LivenessSessions;
  config: Config;
  logger: Logger;
  /** FACEGRAPH_API_KEYS; disabled (everything allowed) when none are configured. */
  apiKeys: ApiKeyChecker;
}

export interface GraphQLContext extends AppServices {
  requestId: string;
  loaders: Loaders;
  /** Union of what the whole operation selects under Face; computed on first use. */
  faceSelection?: FaceSelection;
}

export function createContext(services: AppServices, requestId: string): GraphQLContext {
  return { ...services, requestId, loaders: createLoaders(services) };
}
