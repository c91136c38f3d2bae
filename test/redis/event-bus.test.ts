/**
 * The EventBus contract on Redis pub/sub (a real redis-server, project `redis`), and what only a
 * shared bus has: a notice published by one process's bus reaches another's on the same prefix
 * (never one on another prefix); one SUBSCRIBE per channel however many local listeners, and
 * UNSUBSCRIBE when the last leaves; after the subscriber connection is lost and re-made, every
 * listener is told to re-read (RESYNC) and notices flow again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { closeRedis, openRedis } from '../../src/adapters/store/redis-client.js';
import { RedisEventBus } from '../../src/adapters/store/redis-event-bus.js';
import { RESYNC, type EventTopic } from '../../src/ports/event-bus.js';
import { createLogger } from '../../src/platform/logger.js';
import { eventBusContract, Recorder } from '../contracts/event-bus.js';
import { testClient, testRedisUrl, uniquePrefix } from '../helpers/redis.js';

const url = testRedisUrl();
const logger = createLogger('silent');
const open = (): Promise<Redis> => openRedis({ url, prefix: 'unused:', commandTimeoutMs: 1000 }, logger);

/** A process's bus: its own publisher and subscriber connections, on `prefix`. */
async function processBus(prefix: string): Promise<{ bus: RedisEventBus; publisher: Redis; subscriber: Redis; close(): Promise<void> }> {
  const publisher = await open();
  const subscriber = await open();
  const bus = new RedisEventBus(publisher, subscriber, { prefix, logger });
  return {
    bus,
    publisher,
    subscriber,
    async close() {
      await bus.close();
      await closeRedis(publisher);
    },
  };
}

const topic: EventTopic = { kind: 'training', collectionKind: 'largeFaceList', collectionId: 'list-1' };

describe.skipIf(!url)('Redis pub/sub event bus', () => {
  eventBusContract('redis', async () => {
    const p = await processBus(uniquePrefix());
    return { bus: p.bus, destroy: () => p.close() };
  });

  const opened: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    for (const p of opened) await p.close();
  });
  const track = <T extends { close(): Promise<void> }>(p: T): T => (opened.push(p), p);

  it("reaches the other replicas' subscribers on the same prefix, and no one on another prefix", async () => {
    const prefix = uniquePrefix();
    const a = track(await processBus(prefix));
    const b = track(await processBus(prefix));
    const elsewhere = track(await processBus(uniquePrefix()));
    const onA = new Recorder();
    const onOther = new Recorder();
    await a.bus.subscribe(topic, onA.listener);
    await elsewhere.bus.subscribe(topic, onOther.listener);
    await b.bus.publish(topic, 'running');
    await b.bus.publish(topic, 'succeeded');
    expect((await onA.count(2)).map((n) => n.hint)).toEqual(['running', 'succeeded']);
    expect((await onA.count(2))[0]!.topic).toEqual(topic);
    // A notice on the other prefix, published after B's, arrives; B's never did.
    await elsewhere.bus.publish(topic, 'own');
    expect((await onOther.count(1)).map((n) => n.hint)).toEqual(['own']);
  });

  it('holds one SUBSCRIBE per channel for all its local listeners, and UNSUBSCRIBEs with the last', async () => {
    const prefix = uniquePrefix();
    const p = track(await processBus(prefix));
    const admin = testClient(url);
    const channel = `${prefix}events:training:largeFaceList:list-1`;
    const subscribers = async (): Promise<number> => {
      const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number];
      return Number(count);
    };
    const offs = await Promise.all([1, 2, 3].map(() => p.bus.subscribe(topic, () => undefined)));
    expect(p.bus.channelCount).toBe(1);
    expect(await subscribers()).toBe(1);
    offs[0]!();
    offs[1]!();
    expect(await subscribers()).toBe(1);
    offs[2]!();
    expect(p.bus.channelCount).toBe(0);
    // The UNSUBSCRIBE is in flight on the subscriber connection: a round trip on it (a new SUBSCRIBE) orders after it.
    await p.bus.subscribe({ kind: 'livenessSession', sessionId: 'probe' }, () => undefined);
    expect(await subscribers()).toBe(0);
    admin.disconnect();
  });

  it('after its subscriber connection is killed: RESYNC to every listener, then notices flow again', async () => {
    const prefix = uniquePrefix();
    const p = track(await processBus(prefix));
    const id = Number(await p.subscriber.client('ID'));
    const listener = new Recorder();
    await p.bus.subscribe(topic, listener.listener);
    const admin = testClient(url);
    await admin.client('KILL', 'ID', String(id));
    const [resync] = await listener.count(1);
    expect(resync).toEqual({ topic, hint: RESYNC });
    // ioredis re-subscribed before 'ready'; a SUBSCRIBE answered on the same connection orders after it.
    await p.bus.subscribe({ kind: 'livenessSession', sessionId: 'probe' }, () => undefined);
    await p.bus.publish(topic, 'succeeded');
    expect((await listener.count(2)).map((n) => n.hint)).toEqual([RESYNC, 'succeeded']);
    admin.disconnect();
  });
});
