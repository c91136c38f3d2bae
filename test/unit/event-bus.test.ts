/**
 * The in-process EventBus (the contract of test/contracts/event-bus.ts), topic encoding, and
 * watch(): the stream a subscription sends (current state first, a re-read per notice,
 * duplicates dropped, notices during a read folded into one more read, a final state ends it,
 * return() ends a waiting stream at once and leaves no listener, a failed re-read is an item and
 * the stream goes on).
 */
import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../src/adapters/store/memory-event-bus.js';
import { parseTopicKey, topicKey, type EventTopic } from '../../src/ports/event-bus.js';
import { watch, type WatchItem } from '../../src/app/watch.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventBusContract } from '../contracts/event-bus.js';

eventBusContract('memory (EventEmitter)', () => {
  const bus = new MemoryEventBus(createLogger('silent'));
  return Promise.resolve({ bus, destroy: () => bus.close() });
});

describe('topic keys', () => {
  const topics: EventTopic[] = [
    { kind: 'livenessSession', sessionId: '2fd2976d-ab4e-4e20-b206-26953a16adfa' },
    { kind: 'livenessSession', sessionId: 'a:b/c d%é' },
    { kind: 'training', collectionKind: 'largeFaceList', collectionId: 'my-list_1' },
    { kind: 'training', collectionKind: 'personGroup', collectionId: 'g:1' },
  ];

  it('encode ids so that no separator leaks, and decode back to the same topic', () => {
    expect(topicKey(topics[0]!)).toBe('liveness:2fd2976d-ab4e-4e20-b206-26953a16adfa');
    expect(topicKey(topics[2]!)).toBe('training:largeFaceList:my-list_1');
    expect(topicKey(topics[3]!)).toBe('training:personGroup:g%3A1');
    for (const topic of topics) {
      expect(topicKey(topic).split(':')).toHaveLength(topic.kind === 'livenessSession' ? 2 : 3);
      expect(parseTopicKey(topicKey(topic))).toEqual(topic);
    }
    expect(new Set(topics.map(topicKey)).size).toBe(topics.length);
  });

  it('reject keys they did not make', () => {
    for (const key of [
      '',
      'liveness',
      'liveness:a:b',
      'training:faceLists:x',
      'training:personGroup',
      'other:x',
      'liveness:%E0%A4%A',
      'liveness:a b',
    ]) {
      expect(parseTopicKey(key), key).toBeNull();
    }
  });
});

const TOPIC: EventTopic = { kind: 'livenessSession', sessionId: 's' };

/** A store holding one value, counting reads; `fail` makes the next read throw. */
function store<T>(initial: T) {
  const s = {
    value: initial,
    reads: 0,
    fail: null as Error | null,
    read: (): Promise<T> => {
      s.reads++;
      if (s.fail) {
        const err = s.fail;
        s.fail = null;
        return Promise.reject(err);
      }
      return Promise.resolve(s.value);
    },
  };
  return s;
}

const stateOf = <T>(item: IteratorResult<WatchItem<T>>): T => {
  expect(item.done).toBe(false);
  const value = item.value as WatchItem<T>;
  if ('error' in value) throw new Error(`unexpected error item: ${String(value.error)}`);
  return value.state;
};

describe('watch', () => {
  it('sends the current state first, then the state after each notice that changed it, never a duplicate', async () => {
    const bus = new MemoryEventBus();
    const s = store('NotStarted');
    const stream = await watch({ bus, topic: TOPIC, read: s.read, version: (v) => v });
    expect(stateOf(await stream.next())).toBe('NotStarted');

    // A notice that changed nothing, then a change: only the change is sent.
    await bus.publish(TOPIC, 'noise');
    const next = stream.next();
    // The noise's re-read happens while next() waits; then the change arrives.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    s.value = 'Running';
    await bus.publish(TOPIC, 'Running');
    expect(stateOf(await next)).toBe('Running');
    expect(s.reads).toBe(3);
    await stream.return!();
    expect(bus.listenerCount).toBe(0);
  });

  it('folds notices that arrive before the consumer asks into one re-read', async () => {
    const bus = new MemoryEventBus();
    const s = store(1);
    const stream = await watch({ bus, topic: TOPIC, read: s.read, version: String });
    expect(stateOf(await stream.next())).toBe(1);
    s.value = 3;
    for (let i = 0; i < 5; i++) await bus.publish(TOPIC, 'x');
    // All five are delivered before the consumer asks again (delivery is on the next macrotask).
    await new Promise((r) => setImmediate(r));
    expect(stateOf(await stream.next())).toBe(3);
    expect(s.reads).toBe(2);
    await stream.return!();
  });

  it('sends a final state, then ends and unsubscribes', async () => {
    const bus = new MemoryEventBus();
    const s = store('Running');
    const stream = await watch({ bus, topic: TOPIC, read: s.read, version: (v) => v, isFinal: (v) => v === 'Succeeded' });
    expect(stateOf(await stream.next())).toBe('Running');
    s.value = 'Succeeded';
    await bus.publish(TOPIC, 'Succeeded');
    expect(stateOf(await stream.next())).toBe('Succeeded');
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(bus.listenerCount).toBe(0);
  });

  it('a state final from the start is sent once, then the stream ends', async () => {
    const bus = new MemoryEventBus();
    const stream = await watch({ bus, topic: TOPIC, read: () => Promise.resolve('Canceled'), version: (v) => v, isFinal: () => true });
    expect(stateOf(await stream.next())).toBe('Canceled');
    expect((await stream.next()).done).toBe(true);
    expect(bus.listenerCount).toBe(0);
  });

  it('return() ends a stream that is waiting for a notice at once, and removes its listener', async () => {
    const bus = new MemoryEventBus();
    const stream = await watch({ bus, topic: TOPIC, read: () => Promise.resolve('x'), version: (v) => v });
    await stream.next();
    const waiting = stream.next();
    expect(bus.listenerCount).toBe(1);
    await stream.return!();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(bus.listenerCount).toBe(0);
  });

  it('a failed re-read is an error item and the stream goes on', async () => {
    const bus = new MemoryEventBus();
    const s = store('a');
    const stream = await watch({ bus, topic: TOPIC, read: s.read, version: (v) => v });
    await stream.next();
    const away = new Error('store away');
    s.fail = away;
    await bus.publish(TOPIC, 'x');
    const failed = await stream.next();
    expect(failed).toEqual({ done: false, value: { error: away } });
    s.value = 'b';
    await bus.publish(TOPIC, 'x');
    expect(stateOf(await stream.next())).toBe('b');
    await stream.return!();
  });

  it('a failing first read rejects the watch and leaves nothing subscribed', async () => {
    const bus = new MemoryEventBus();
    await expect(watch({ bus, topic: TOPIC, read: () => Promise.reject(new Error('not found')), version: String })).rejects.toThrow(
      'not found',
    );
    expect(bus.listenerCount).toBe(0);
  });

  it('re-reads with no notice when the state says it changes with the clock (recheckInMs)', async () => {
    const bus = new MemoryEventBus();
    const s = store('Running');
    const stream = await watch({
      bus,
      topic: TOPIC,
      read: s.read,
      version: (v) => v,
      // "The token expires now": the state is read again after the margin, with no notice.
      recheckInMs: (v) => (v === 'Running' ? 0 : null),
      isFinal: (v) => v === 'Failed',
    });
    expect(stateOf(await stream.next())).toBe('Running');
    s.value = 'Failed';
    expect(stateOf(await stream.next())).toBe('Failed');
    expect((await stream.next()).done).toBe(true);
    expect(bus.listenerCount).toBe(0);
  });
});
