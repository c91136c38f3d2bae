/**
 * livenessSessionUpdated: a session's state now, then again each time it changes (an attempt
 * reserved, decided, failed or released, the client's first fetch, the token's expiry, a
 * delete), until nothing can change it any more. Changes are learnt from the EventBus (the
 * notices of attempt-intake.ts, service.ts and sessions-lifecycle.ts, from any replica on the
 * same Redis); each notice re-reads the session through LivenessSessions, as a query would.
 */
import { FaceError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EventBus } from '../../ports/event-bus.js';
import { watch, type WatchItem } from '../watch.js';
import type { SessionView } from './model.js';
import type { LivenessSessions } from './sessions.js';

export interface SessionUpdatesDeps {
  bus: EventBus;
  sessions: LivenessSessions;
  clock: Clock;
}

export const sessionNotFound = (id: string): FaceError =>
  new FaceError('SESSION_NOT_FOUND', `Liveness session ${id} was not found: it never existed, was deleted or has expired.`);

/**
 * Nothing can change the session any more: no attempt is being analysed, and no attempt can be
 * made (none left, or the token has expired).
 */
export function isSettled(view: SessionView, now: number): boolean {
  if (view.attempts.some((a) => a.status === 'Running')) return false;
  return view.attemptsLeft === 0 || now >= view.record.tokenExpiresAt;
}

/** What a subscriber can see change: the status, the attempts' outcomes, the client's fetch. */
function version(view: SessionView | null): string {
  if (!view) return 'gone';
  return JSON.stringify([
    view.status,
    view.attemptsLeft,
    view.record.startedAt,
    view.record.deviceCorrelationId,
    view.attempts.map((a) => [a.attemptId, a.status, a.decision, a.finishedAt, a.sessionImageId]),
  ]);
}

/**
 * The stream: a SessionView per change, then `null` once if the session is deleted or purged
 * (the stream ends there). SESSION_NOT_FOUND, before any item, for an unknown id.
 */
export async function watchSession(deps: SessionUpdatesDeps, id: string): Promise<AsyncIterableIterator<WatchItem<SessionView | null>>> {
  let first = true;
  const read = async (): Promise<SessionView | null> => {
    const view = await deps.sessions.get(id);
    if (first && !view) throw sessionNotFound(id);
    first = false;
    return view;
  };
  return watch<SessionView | null>({
    bus: deps.bus,
    topic: { kind: 'livenessSession', sessionId: id },
    read,
    version,
    isFinal: (view) => view === null || isSettled(view, deps.clock.now()),
    // The token's expiry changes the status with no notice (Running -> Failed, NotStarted -> Canceled).
    recheckInMs: (view) => {
      const left = view ? view.record.tokenExpiresAt - deps.clock.now() : -1;
      return left >= 0 ? left : null;
    },
  });
}
