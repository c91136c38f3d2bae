/**
 * PostgreSQL schema migrations: the SQL files in migrations/postgres/, `NNN_name.sql`, applied
 * in order. Append new files; never edit one that has shipped. Table `facegraph_migrations`
 * records what was applied. All pending files run in one transaction under an advisory lock, so
 * replicas starting together apply each file once and a failure leaves the schema as it was.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Pool } from 'pg';

/** From src/adapters/store/ and from dist/adapters/store/ alike. */
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/postgres/', import.meta.url));

/** An arbitrary constant: the advisory lock key of schema changes. */
const MIGRATION_LOCK = 0x66616365; // "face"

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = POSTGRES_MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file);
      if (!match) throw new Error(`Migration file "${file}" is not named NNN_name.sql`);
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(path.join(dir, file), 'utf8') };
    });
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migrations in ${dir} must be numbered 1, 2, 3…: found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/** Brings the database up to date; returns the schema version. */
export async function migratePostgres(pool: Pool, migrations = readMigrations()): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS facegraph_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM facegraph_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > migrations.length) {
      throw new Error(`The database schema is version ${current}, newer than this build (${migrations.length}): refusing to touch it.`);
    }
    for (const m of migrations.slice(current)) {
      await client.query(m.sql);
      await client.query('INSERT INTO facegraph_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    await client.query('COMMIT');
    return migrations.length;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
