/** What the GraphQL layer receives for liveness types (codegen mappers). */
import type { AttemptRecord, SessionRecord } from '../store/liveness-store.js';
import type { SessionStatus } from './types.js';

export type { AttemptRecord };

export interface SessionView {
  record: SessionRecord;
  attempts: AttemptRecord[];
  status: SessionStatus;
  attemptsLeft: number;
  /** The bearer token in the create payload only; "" on every later read (as Azure). */
  authToken: string;
}

export interface SessionConnection {
  edges: Array<{ cursor: string; node: SessionView }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}
