/**
 * The EventBus contract (src/ports/event-bus.ts), run against every adapter:
 * test/unit/event-bus.test.ts (in-process, project `embedded`) and test/redis/event-bus.test.ts
 * (Redis pub/sub, project `redis`). A notice reaches the subscribers of its topic only, with its
 * topic and hint; subscribers of one topic each get it; an unsubscribed listener gets nothing
 * more; a throwing listener does not stop the others; ids that look alike stay apart.
 *
 * "Gets nothing" is shown without waiting for time to pass: a second notice, published after
 * the first, is awaited on a listener that must see both in order (delivery on one bus keeps
 * publish order), and the other listener's log is checked then.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectionKind } from '../../src/domain/collections.js';
import type { EventBus, EventNotice, EventTopic } from '../../src/ports/event-bus.js';

export interface EventBusHarness {
  bus: EventBus;
  destroy(): Promise<void>;
}

/** How long a test waits for an expected notice before failing instead of hanging. */
const HANG_GUARD_MS = 20_000;

/** A listener recording its notices, with a way to await the n-th. */
export class Recorder {
  readonly notices: EventNotice[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];

  readonly listener = (notice: EventNotice): void => {
    this.notices.push(notice);
    this.waiters = this.waiters.filter((w) => {
      if (this.notices.length < w.n) return true;
      w.resolve();
      return false;
    });
  };

  /** Resolves once `n` notices have arrived (a hang guard fails the test otherwise). */
  async count(n: number): Promise<EventNotice[]> {
    if (this.notices.length < n) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.waiters.push({ n, resolve })),
        new Promise<never>((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`notice ${n} did not arrive within ${HANG_GUARD_MS} ms (hang guard)`)), HANG_GUARD_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    }
    return this.notices;
  }
}

const session = (sessionId: string): EventTopic => ({ kind: 'livenessSession', sessionId });
const training = (collectionId: string, collectionKind: CollectionKind = 'largePersonGroup'): EventTopic => ({
  kind: 'training',
  collectionKind,
  collectionId,
});

export function eventBusContract(name: string, make: () => Promise<EventBusHarness>): void {
  describe(`EventBus contract: ${name}`, () => {
    let h: EventBusHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.destroy();
    });

    it('delivers a notice to the subscribers of its topic, with its topic and hint', async () => {
      const a = new Recorder();
      const b = new Recorder();
      await h.bus.subscribe(session('s-1'), a.listener);
      await h.bus.subscribe(session('s-1'), b.listener);
      await h.bus.publish(session('s-1'), 'Running');
      expect(await a.count(1)).toEqual([{ topic: session('s-1'), hint: 'Running' }]);
      expect(await b.count(1)).toEqual([{ topic: session('s-1'), hint: 'Running' }]);
    });

    it("keeps topics apart: another session's, a training's, and ids that look alike", async () => {
      const mine = new Recorder();
      const others = new Recorder();
      await h.bus.subscribe(training('g:1'), mine.listener);
      for (const topic of [session('g:1'), training('g'), training('g%3A1'), training('g:1', 'personGroup')]) {
        await h.bus.subscribe(topic, others.listener);
      }
      await h.bus.publish(session('g:1'), 'x');
      await h.bus.publish(training('g'), 'x');
      await h.bus.publish(training('g%3A1'), 'x');
      await h.bus.publish(training('g:1', 'personGroup'), 'x');
      await h.bus.publish(training('g:1'), 'succeeded');
      expect(await mine.count(1)).toEqual([{ topic: training('g:1'), hint: 'succeeded' }]);
      // The four others were published first, on the same bus: they have all arrived by now.
      expect(await others.count(4)).toHaveLength(4);
      expect(mine.notices).toHaveLength(1);
    });

    it('an unsubscribed listener gets nothing more; the other subscriber of the topic still does', async () => {
      const stays = new Recorder();
      const leaves = new Recorder();
      await h.bus.subscribe(session('s-2'), stays.listener);
      const unsubscribe = await h.bus.subscribe(session('s-2'), leaves.listener);
      await h.bus.publish(session('s-2'), 'one');
      await leaves.count(1);
      await stays.count(1);
      unsubscribe();
      unsubscribe(); // twice is harmless
      await h.bus.publish(session('s-2'), 'two');
      expect((await stays.count(2)).map((n) => n.hint)).toEqual(['one', 'two']);
      expect(leaves.notices.map((n) => n.hint)).toEqual(['one']);
    });

    it('the last subscriber leaving and a new one coming: the new one gets what follows', async () => {
      const first = new Recorder();
      const unsubscribe = await h.bus.subscribe(session('s-3'), first.listener);
      unsubscribe();
      const second = new Recorder();
      await h.bus.subscribe(session('s-3'), second.listener);
      await h.bus.publish(session('s-3'), 'after');
      expect((await second.count(1)).map((n) => n.hint)).toEqual(['after']);
      expect(first.notices).toEqual([]);
    });

    it('a throwing listener does not keep the notice from the others', async () => {
      const after = new Recorder();
      await h.bus.subscribe(session('s-4'), () => {
        throw new Error('listener bug');
      });
      await h.bus.subscribe(session('s-4'), after.listener);
      await h.bus.publish(session('s-4'), 'Succeeded');
      expect((await after.count(1)).map((n) => n.hint)).toEqual(['Succeeded']);
    });

    it('refuses subscriptions once closed', async () => {
      await h.bus.close();
      await expect(h.bus.subscribe(session('s-5'), () => undefined)).rejects.toThrow();
      // Publishing after close is a no-op, not an error.
      await expect(h.bus.publish(session('s-5'), 'x')).resolves.toBeUndefined();
    });
  });
}
