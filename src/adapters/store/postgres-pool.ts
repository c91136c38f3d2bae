/**
 * The node-postgres Pool of the PostgreSQL stores (collections, liveness), opened once per
 * process and shared by both: one set of connections, one set of settings, one migration run.
 */
import pg, { type Pool, type PoolClient, type QueryResultRow } from 'pg';
import { migratePostgres } from './postgres-migrations.js';

export interface PostgresPoolOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** An idle pooled connection failed (e.g. the server restarted); the pool replaces it. */
  onError?: (err: Error) => void;
}

/** bigint (epoch ms, counts, seq) as a JS number: every value stored is far below 2^53. Per pool, not global. */
const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

/** Connects, applies pending migrations (migrations/postgres/*.sql) and answers the pool; the caller ends it. */
export async function openPostgresPool(url: string, options: PostgresPoolOptions = {}): Promise<Pool> {
  // A server that does not answer fails start-up (and a request) after 10 s instead of hanging.
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    types,
    // An acknowledged write must survive a crash of the server: a session or server set to
    // synchronous_commit = off is raised to on before the pool hands the connection out (a
    // failure here fails that checkout); on, local, remote_write and remote_apply are kept.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- pg-pool (>= 3.14) awaits this promise; @types/pg says void
    onConnect: async (client: pg.ClientBase) => {
      await client.query("SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'");
    },
  });
  // Without a listener an idle connection's error would crash the process; the next query
  // gets a new connection (or its own error).
  pool.on('error', (err) => options.onError?.(err));
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

/** A query inside a transaction: its rows. */
export type TxQuery = <R extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[]) => Promise<R[]>;

/** Runs `fn` in a READ COMMITTED transaction on one pooled connection: COMMIT if it returns, ROLLBACK if it throws. */
export async function inTransaction<T>(pool: Pool, fn: (q: TxQuery) => Promise<T>): Promise<T> {
  const client: PoolClient = await pool.connect();
  let broken: Error | undefined;
  // The server may end the connection between two of the transaction's queries (a crash, a
  // restart): pg then emits 'error' on the checked-out client, which has no listener of the
  // pool's while checked out, and an unheard 'error' event would crash the process. Heard here,
  // it fails the next query (so the transaction) and drops the connection.
  const onError = (err: Error): void => void (broken = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(async <R extends QueryResultRow>(sql: string, params: unknown[]) => (await client.query<R>(sql, params)).rows);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.off('error', onError);
    // A connection whose ROLLBACK failed, or that failed, is dropped, not reused.
    client.release(broken);
  }
}
