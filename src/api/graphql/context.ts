/** Per-request GraphQL context: shared services plus this request's DataLoaders. */
import type { AppServices } from '../../app/services.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { FaceSelection } from './selection.js';

export interface GraphQLContext extends AppServices {
  requestId: string;
  loaders: Loaders;
  /** Union of what the whole operation selects under Face; computed on first use. */
  faceSelection?: FaceSelection;
}

export function createContext(services: AppServices, requestId: string): GraphQLContext {
  return { ...services, requestId, loaders: createLoaders(services) };
}
