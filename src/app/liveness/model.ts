/** What the GraphQL layer receives for liveness types (codegen mappers). */
import type { FaceRectangle, Level } from '../../domain/types.js';
import type { AttemptRecord, SessionRecord } from '../../ports/liveness-store.js';
import type { SessionStatus } from '../../domain/liveness/types.js';

export type { AttemptRecord };

export interface SessionView {
  record: SessionRecord;
  attempts: AttemptRecord[];
  status: SessionStatus;
  attemptsLeft: number;
  /** The bearer token in the create payload only; "" on every later read (as Azure). */
  authToken: string;
  /** Liveness-with-verify: the reference face (from the local record, or from the upstream). */
  verifyReference: { faceRectangle: FaceRectangle; qualityForRecognition: Level | null } | null;
}

/** A Relay connection page. */
export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

export type SessionConnection = Page<SessionView>;
