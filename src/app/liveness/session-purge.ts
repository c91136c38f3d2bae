/**
 * Retention: on start, attempts interrupted by the last stop are marked Failed; then sessions
 * past their retention (with attempts and images) and old tombstones are purged on a timer.
 */
import type { Clock } from '../../ports/clock.js';
import type { LivenessStore } from '../../ports/liveness-store.js';
import type { Logger } from '../../platform/logger.js';

export interface SessionPurgeDeps {
  store: LivenessStore;
  clock: Clock;
  logger: Logger;
  purgeIntervalMs: number;
}

export class SessionPurge {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: SessionPurgeDeps) {}

  /** Marks attempts interrupted by a previous stop as Failed, purges, and starts the purge timer. */
  start(): void {
    const { store, clock, logger } = this.deps;
    const interrupted = store.failInterruptedAttempts(clock.now());
    if (interrupted > 0) logger.warn({ interrupted }, 'liveness: attempts interrupted by the last stop marked Failed');
    this.purgeExpired();
    this.timer = setInterval(() => {
      try {
        this.purgeExpired();
      } catch (err) {
        logger.error({ err }, 'liveness: purge failed');
      }
    }, this.deps.purgeIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Deletes sessions past their retention (with attempts and images) and old tombstones. */
  purgeExpired(): { sessions: number; tombstones: number } {
    const purged = this.deps.store.purge(this.deps.clock.now());
    if (purged.sessions > 0 || purged.tombstones > 0) this.deps.logger.info(purged, 'liveness: purged expired sessions');
    return purged;
  }
}
