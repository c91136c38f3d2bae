/**
 * Retention: attempts interrupted by a stopped process are marked Failed, and sessions past
 * their retention (with attempts and images) and old tombstones are purged — on start, then on
 * a timer. The timer also fails interrupted attempts because, with replicas sharing one
 * database, the process that left them may never start again (the store only fails those of a
 * process that is gone: LivenessStore.failInterruptedAttempts).
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
  /** The tick in progress: a slow database must not stack ticks up. */
  private running: Promise<void> | null = null;

  constructor(private readonly deps: SessionPurgeDeps) {}

  /** Marks interrupted attempts Failed, purges, and starts the timer. A failing store fails start-up. */
  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'liveness: purge failed'))
        .finally(() => (this.running = null));
    }, this.deps.purgeIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Deletes sessions past their retention (with attempts and images) and old tombstones. */
  async purgeExpired(): Promise<{ sessions: number; tombstones: number }> {
    const purged = await this.deps.store.purge(this.deps.clock.now());
    if (purged.sessions > 0 || purged.tombstones > 0) this.deps.logger.info(purged, 'liveness: purged expired sessions');
    return purged;
  }

  private async sweep(): Promise<void> {
    const interrupted = await this.deps.store.failInterruptedAttempts(this.deps.clock.now());
    if (interrupted > 0) this.deps.logger.warn({ interrupted }, 'liveness: attempts interrupted by a stopped process marked Failed');
    await this.purgeExpired();
  }
}
