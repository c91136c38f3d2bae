/**
 * The EventBus across replicas (FACEGRAPH_REDIS_URL): Redis pub/sub. A notice is PUBLISHed on
 * `<prefix>events:<topic>` (ports/event-bus.ts topicKey) on the process's shared client; a second
 * connection of this process is SUBSCRIBEd to the channels its own subscribers wait on (one
 * SUBSCRIBE per channel, however many local subscribers share it; UNSUBSCRIBE when the last one
 * leaves). Pub/sub channels ignore Redis's database number, so the key prefix scopes them.
 *
 * A notice published by this process comes back to it through Redis like any other: there is
 * one delivery path. While the subscriber connection is down, notices are lost (Redis pub/sub
 * keeps nothing); when it is back, ioredis re-subscribes and every local listener gets a RESYNC
 * notice, so subscribers re-read the state they may have missed.
 *
 * The payload is JSON `{ "hint": "<status>" }`: the topic is the channel, the state is re-read
 * from the store by the subscriber.
 */
import { FaceError } from '../../domain/errors.js';
import { RESYNC, topicKey, type EventBus, type EventListener, type EventNotice, type EventTopic } from '../../ports/event-bus.js';
import type { Logger } from '../../platform/logger.js';
import type { Redis } from './redis-client.js';

export interface RedisEventBusOptions {
  /** FACEGRAPH_REDIS_PREFIX: channels are `<prefix>events:<topic>`. */
  prefix: string;
  logger: Logger;
}

/** Seconds a client is told to wait when a subscription cannot be made (the client reconnects every ≤ 2 s). */
const RETRY_AFTER_SECONDS = 2;

/** The longest hint sent (a status word; anything longer is cut). */
const MAX_HINT = 64;

export class RedisEventBus implements EventBus {
  /** Local listeners per channel, with the topic the channel stands for. */
  private readonly channels = new Map<string, { topic: EventTopic; listeners: Set<EventListener> }>();
  /** SUBSCRIBE commands in flight per channel: a second local subscriber waits for the same one. */
  private readonly subscribing = new Map<string, Promise<unknown>>();
  private readonly prefix: string;
  private readonly logger: Logger;
  private down = false;
  private closed = false;

  /**
   * `publisher`: the process's shared client (PUBLISH only). `subscriber`: a connection of this
   * bus alone, closed by close().
   */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    options: RedisEventBusOptions,
  ) {
    this.prefix = `${options.prefix}events:`;
    this.logger = options.logger;
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    subscriber.on('close', () => {
      this.down = true;
    });
    subscriber.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      // Notices sent while the connection was down are lost: every listener re-reads.
      for (const { topic, listeners } of this.channels.values()) this.notify(listeners, { topic, hint: RESYNC });
    });
  }

  async publish(topic: EventTopic, hint: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.publisher.publish(this.channel(topic), JSON.stringify({ hint: hint.slice(0, MAX_HINT) }));
    } catch (err) {
      // The change is stored; only its notice is lost (subscribers elsewhere see it on their next notice or RESYNC).
      this.logger.warn({ err: (err as Error).message, topic: topicKey(topic) }, 'an event notice could not be published to Redis');
    }
  }

  async subscribe(topic: EventTopic, listener: EventListener): Promise<() => void> {
    if (this.closed) throw new Error('the event bus is closed');
    const channel = this.channel(topic);
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { topic, listeners: new Set() };
      this.channels.set(channel, entry);
      const subscribed = this.subscriber.subscribe(channel);
      this.subscribing.set(channel, subscribed);
      void subscribed
        .finally(() => {
          if (this.subscribing.get(channel) === subscribed) this.subscribing.delete(channel);
        })
        .catch(() => undefined);
    }
    const wrapped: EventListener = (notice) => listener(notice);
    entry.listeners.add(wrapped);
    const unsubscribe = (): void => {
      const current = this.channels.get(channel);
      if (!current?.listeners.delete(wrapped) || current.listeners.size > 0) return;
      this.channels.delete(channel);
      if (!this.closed) {
        this.subscriber.unsubscribe(channel).catch((err: Error) =>
          // The connection is down: it re-subscribes only to what is still subscribed, so nothing leaks.
          this.logger.debug({ err: err.message, channel }, 'UNSUBSCRIBE failed'),
        );
      }
    };
    try {
      await this.subscribing.get(channel);
    } catch (err) {
      unsubscribe();
      throw unavailable(err);
    }
    return unsubscribe;
  }

  /** Channels this process is subscribed to now: for tests and leak checks. */
  get channelCount(): number {
    return this.channels.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    if (this.subscriber.status === 'ready') await this.subscriber.quit().catch(() => this.subscriber.disconnect());
    else this.subscriber.disconnect();
  }

  private channel(topic: EventTopic): string {
    return this.prefix + topicKey(topic);
  }

  private deliver(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    let hint = '';
    try {
      const parsed = JSON.parse(message) as { hint?: unknown };
      if (typeof parsed.hint === 'string') hint = parsed.hint.slice(0, MAX_HINT);
    } catch {
      // A foreign message on our channel: still a reason to re-read, never a reason to fail.
    }
    this.notify(entry.listeners, { topic: entry.topic, hint });
  }

  private notify(listeners: Set<EventListener>, notice: EventNotice): void {
    for (const listener of [...listeners]) {
      try {
        listener(notice);
      } catch (err) {
        this.logger.error({ err, topic: topicKey(notice.topic) }, 'an event listener failed');
      }
    }
  }
}

function unavailable(cause: unknown): FaceError {
  const err = new FaceError('STORE_UNAVAILABLE', `The event store is unavailable; retry after ${RETRY_AFTER_SECONDS} s.`, {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });
  // The cause (host names, Redis's message) is for logs, never for the client: not in details.
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false });
  return err;
}
