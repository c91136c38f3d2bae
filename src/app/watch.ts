/**
 * A subscription's stream of states: the current state at once, then the state again each time
 * it has changed. It listens to the EventBus for notices on one topic and, on each, re-reads the
 * state from the store (notices carry no state: ports/event-bus.ts); a state equal to the last
 * one sent (by `version`) is not sent again, and notices arriving during a read are folded into
 * one more read. It ends after a final state (`isFinal`), or when the consumer stops it.
 *
 * The bus subscription is made before the first read, so a change committed between the two is
 * not lost: its notice triggers a re-read. A failed re-read (a store away) is sent as an error
 * item and the stream goes on: the next notice reads again.
 *
 * Written as an iterator object, not an async generator: `return()` must end a stream that is
 * waiting for its next notice at once (an async generator's return() waits until the pending
 * await settles, which may be never), so the bus listener and timer go with the subscription.
 */
import type { EventBus, EventTopic } from '../ports/event-bus.js';

/** One item of the stream: a state, or the error of a read that failed (the stream goes on). */
export type WatchItem<T> = { state: T } | { error: unknown };

export interface WatchOptions<T> {
  bus: EventBus;
  topic: EventTopic;
  /** Reads the current state from the store. */
  read: () => Promise<T>;
  /** Equal versions are equal states: not sent twice in a row. */
  version: (state: T) => string;
  /** The state can no longer change: it is sent, then the stream ends. */
  isFinal?: (state: T) => boolean;
  /**
   * Milliseconds until the state may change with no notice (it depends on the clock, e.g. a token
   * expiring), or null: the stream re-reads then.
   */
  recheckInMs?: (state: T) => number | null;
}

/** Re-checks are not scheduled further ahead than this (setTimeout's limit is ~24.8 days). */
const MAX_RECHECK_MS = 24 * 3600_000;
/** A clock-driven re-read happens this long after the moment, so the moment has surely passed. */
const RECHECK_MARGIN_MS = 50;

/**
 * Subscribes to the topic, reads the current state, and returns the stream starting with it.
 * Rejects, with nothing left subscribed, when the bus cannot subscribe or the first read fails
 * (e.g. the thing does not exist): the subscription then fails as a whole.
 */
export async function watch<T>(options: WatchOptions<T>): Promise<AsyncIterableIterator<WatchItem<T>> & { readonly active: boolean }> {
  const { bus, topic, read, version, isFinal, recheckInMs } = options;
  let dirty = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let ended = false;
  const markDirty = (): void => {
    dirty = true;
    const w = wake;
    wake = null;
    w?.();
  };
  const unsubscribe = await bus.subscribe(topic, markDirty);

  const stop = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    if (timer) clearTimeout(timer);
    timer = null;
    const w = wake;
    wake = null;
    w?.();
  };
  const schedule = (state: T): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    const ms = recheckInMs?.(state) ?? null;
    if (ms === null) return;
    timer = setTimeout(markDirty, Math.min(Math.max(0, ms) + RECHECK_MARGIN_MS, MAX_RECHECK_MS));
    timer.unref();
  };

  let first: T;
  try {
    first = await read();
  } catch (err) {
    stop();
    throw err;
  }
  let last = version(first);
  let pending: WatchItem<T> | null = { state: first };
  /** The final state has been read: it is sent, then the stream ends. */
  let finishing = isFinal?.(first) ?? false;
  if (!finishing) schedule(first);

  const done = (): IteratorResult<WatchItem<T>> => ({ done: true, value: undefined });

  const iterator = {
    get active(): boolean {
      return !ended;
    },
    async next(): Promise<IteratorResult<WatchItem<T>>> {
      if (pending) {
        const value = pending;
        pending = null;
        return { done: false, value };
      }
      if (finishing) stop();
      while (!ended) {
        if (!dirty) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        dirty = false;
        let state: T;
        try {
          state = await read();
        } catch (error) {
          if (ended) break;
          return { done: false, value: { error } };
        }
        if (ended) break;
        if (isFinal?.(state)) {
          finishing = true;
          if (timer) clearTimeout(timer);
          timer = null;
        } else {
          schedule(state);
        }
        const v = version(state);
        if (v === last) {
          if (finishing) break;
          continue;
        }
        last = v;
        return { done: false, value: { state } };
      }
      stop();
      return done();
    },
    return(): Promise<IteratorResult<WatchItem<T>>> {
      stop();
      pending = null;
      return Promise.resolve(done());
    },
    throw(err?: unknown): Promise<IteratorResult<WatchItem<T>>> {
      stop();
      pending = null;
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
