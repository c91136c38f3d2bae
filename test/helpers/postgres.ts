/**
 * PostgreSQL for tests: the server the `postgres` vitest project's globalSetup started
 * (test/setup/postgres.ts, from npm's binaries), and a fresh database per test on it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's maintenance database URL (postgres://…/postgres). */
    databaseUrl: string;
  }
}

/** The server's URL; fails (never skips) when the suite runs outside the `postgres` project. */
export function testServerUrl(): string {
  const url = inject('databaseUrl');
  if (!url) throw new Error('No test PostgreSQL: run this file in the vitest project "postgres" (its globalSetup starts the server).');
  return url;
}

export interface TestDatabase {
  url: string;
  /** Drops it, ending whatever connections are left. */
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs `fn` with a client on `url`. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
