/**
 * One LISTEN connection to PostgreSQL that stays up: a dedicated client (a pooled connection
 * cannot keep a LISTEN, the pool hands it to other queries), re-connected with a capped backoff
 * whenever it drops (a server restart, a network cut) until stop(). Notifications sent while it
 * was down are lost — PostgreSQL queues them only for connected listeners — so callers use them
 * as hints and keep reading the truth from the tables.
 */
import pg from 'pg';

export interface ListenerOptions {
  connectionString: string;
  channel: string;
  onNotification: (payload: string) => void;
  /** The connection failed or dropped; it is retried. */
  onError?: (err: Error) => void;
  /** The LISTEN is (again) in place: notifications from here on are delivered. */
  onListening?: () => void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

export class PostgresListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ListenerOptions) {}

  /** Resolves once the first LISTEN is in place; rejects (and stops) if the first connection fails. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      this.stopped = true;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.connectionString, connectionTimeoutMillis: 10_000 });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (err) => this.dropped(client, err));
    client.on('end', () => this.dropped(client, new Error('the LISTEN connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.options.channel && n.payload !== undefined) this.options.onNotification(n.payload);
    });
    try {
      await client.connect();
      // The channel is a fixed identifier of ours, not user input; LISTEN takes no parameters.
      await client.query(`LISTEN ${client.escapeIdentifier(this.options.channel)}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    this.options.onListening?.();
  }

  private dropped(client: pg.Client, err: Error): void {
    if (this.client !== client || this.stopped) return;
    this.client = null;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.options.onError?.(err);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch((err: Error) => {
        this.options.onError?.(err);
        this.scheduleRetry();
      });
    }, wait);
    this.retryTimer.unref();
  }
}
