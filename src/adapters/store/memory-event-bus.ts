/**
 * The EventBus of one process (no FACEGRAPH_REDIS_URL): notices reach the subscribers of this
 * process only. Delivery is asynchronous (the next macrotask), so a publisher never runs
 * subscriber code inside its own transaction or call stack; a throwing listener is logged and
 * the others still get the notice.
 */
import { EventEmitter } from 'node:events';
import { topicKey, type EventBus, type EventListener, type EventNotice, type EventTopic } from '../../ports/event-bus.js';
import type { Logger } from '../../platform/logger.js';

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter();
  private closed = false;

  constructor(private readonly logger?: Logger) {
    // One listener per open subscription: the count is bounded by the transport's limits, not here.
    this.emitter.setMaxListeners(0);
  }

  publish(topic: EventTopic, hint: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    const notice: EventNotice = { topic, hint };
    const key = topicKey(topic);
    setImmediate(() => this.emitter.emit(key, notice));
    return Promise.resolve();
  }

  subscribe(topic: EventTopic, listener: EventListener): Promise<() => void> {
    if (this.closed) return Promise.reject(new Error('the event bus is closed'));
    const key = topicKey(topic);
    const safe = (notice: EventNotice): void => {
      try {
        listener(notice);
      } catch (err) {
        this.logger?.error({ err, topic: key }, 'an event listener failed');
      }
    };
    this.emitter.on(key, safe);
    let done = false;
    return Promise.resolve(() => {
      if (done) return;
      done = true;
      this.emitter.off(key, safe);
    });
  }

  /** Subscriptions open now (all topics): for tests and leak checks. */
  get listenerCount(): number {
    return this.emitter.eventNames().reduce((n, name) => n + this.emitter.listenerCount(name), 0);
  }

  close(): Promise<void> {
    this.closed = true;
    this.emitter.removeAllListeners();
    return Promise.resolve();
  }
}
