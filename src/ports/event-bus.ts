/**
 * Change notices between the use cases that change state and the subscribers waiting for it
 * (GraphQL subscriptions), within one process (the memory adapter) or across every replica that
 * shares one Redis (the Redis pub/sub adapter).
 *
 * A notice carries only which thing changed (its topic) and a short hint (a status), never the
 * state itself: a subscriber re-reads the current state from the store, so replicas never
 * diverge, a lost or reordered notice costs at most a late update, and nothing the store holds
 * (tokens, embeddings, audit fields) travels over the bus. Delivery is at most once: a notice
 * published while a replica's subscriber connection is down is lost (the adapter then tells its
 * listeners to re-read when it is back: `hint` RESYNC).
 */
import { COLLECTION_KINDS, type CollectionKind } from '../domain/collections.js';

/** What a notice is about: one liveness session, or one collection's training. */
export type EventTopic =
  { kind: 'livenessSession'; sessionId: string } | { kind: 'training'; collectionKind: CollectionKind; collectionId: string };

/** A hint for logs and tests only; subscribers re-read the state whatever it says. */
export interface EventNotice {
  topic: EventTopic;
  /** E.g. a status (`Running`, `succeeded`), `deleted`, or RESYNC after a reconnect. */
  hint: string;
}

/** The hint an adapter gives its listeners when notices may have been lost (a reconnect). */
export const RESYNC = 'RESYNC';

export type EventListener = (notice: EventNotice) => void;

export interface EventBus {
  /**
   * Sends a notice to every subscriber of `topic` (in every replica on the same Redis). Never
   * throws: a notice that cannot be sent is logged and dropped (the change itself is stored).
   */
  publish(topic: EventTopic, hint: string): Promise<void>;
  /**
   * Calls `listener` for each notice on `topic` from the moment it resolves (for Redis: once the
   * server has confirmed the subscription), until the returned function is called. Rejects when
   * the bus cannot subscribe now (Redis unreachable).
   */
  subscribe(topic: EventTopic, listener: EventListener): Promise<() => void>;
  /** Stops delivering; pending subscriptions end. */
  close(): Promise<void>;
}

/** Encodes a topic as a channel name: `liveness:<id>` or `training:<kind>:<id>` (ids URI-encoded). */
export function topicKey(topic: EventTopic): string {
  if (topic.kind === 'livenessSession') return `liveness:${encodeURIComponent(topic.sessionId)}`;
  return `training:${topic.collectionKind}:${encodeURIComponent(topic.collectionId)}`;
}

/** The topic of a channel name made by topicKey; null for anything else. */
export function parseTopicKey(key: string): EventTopic | null {
  const decode = (s: string): string | null => {
    try {
      const decoded = decodeURIComponent(s);
      return encodeURIComponent(decoded) === s ? decoded : null;
    } catch {
      return null;
    }
  };
  const parts = key.split(':');
  if (parts.length === 2 && parts[0] === 'liveness') {
    const sessionId = decode(parts[1]!);
    return sessionId === null ? null : { kind: 'livenessSession', sessionId };
  }
  if (parts.length === 3 && parts[0] === 'training' && (COLLECTION_KINDS as readonly string[]).includes(parts[1]!)) {
    const collectionId = decode(parts[2]!);
    return collectionId === null ? null : { kind: 'training', collectionKind: parts[1] as CollectionKind, collectionId };
  }
  return null;
}

/** A bus that drops every notice: for use cases built without one (unit tests, tools). */
export const noEvents: EventBus = {
  publish: () => Promise.resolve(),
  subscribe: () => Promise.resolve(() => undefined),
  close: () => Promise.resolve(),
};
