/** Per-request GraphQL context: shared services plus this request's DataLoaders. */
import type { AppServices } from '../../app/services.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { FaceSelection } from './selection.js';

export interface GraphQLContext extends AppServices {
  requestId: string;
  /** Whose budgets this request spends (ApiKeyChecker.subjectFor); undefined on the landing page. */
  budgetSubject: string | undefined;
  loaders: Loaders;
  /** Union of what the whole operation selects under Face; computed on first use. */
  faceSelection?: FaceSelection;
}

export function createContext(services: AppServices, requestId: string, budgetSubject?: string): GraphQLContext {
  return { ...services, requestId, budgetSubject, loaders: createLoaders(services, budgetSubject) };
}
