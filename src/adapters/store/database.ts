/**
 * The embedded SQLite database (better-sqlite3, WAL) in the data directory. Opening it creates
 * the directory, proves it is writable, and brings the schema up to date (migrations.ts).
 */
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'facegraph.sqlite';

/** The data directory is missing and cannot be created, or is not writable. */
export class DataDirError extends Error {
  constructor(dir: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`FACEGRAPH_DATA_DIR "${dir}" is not a writable directory: ${reason}`);
    this.name = 'DataDirError';
  }
}

/** mkdir -p, then a real write (access(W_OK) alone is fooled by read-only mounts). */
function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    const probe = path.join(dir, `.write-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new DataDirError(dir, err);
  }
}

export interface OpenOptions {
  /**
   * NORMAL (the default) is durable against a crash of the process; FULL also against a power
   * cut or kernel crash: every commit fsyncs the WAL before it returns. Per connection: the
   * collection store opens its own connection with FULL (sqlite-collection-store.ts).
   */
  synchronous?: 'NORMAL' | 'FULL';
}

export function openDatabase(dataDir: string, options: OpenOptions = {}): Db {
  ensureWritableDir(dataDir);
  const file = path.join(dataDir, DATABASE_FILE);
  let db: Db;
  try {
    db = new Database(file);
  } catch (err) {
    throw new DataDirError(dataDir, err);
  }
  try {
    // auto_vacuum can only be chosen before the first table exists (and before WAL is on): it
    // lets purges give pages back to the filesystem (see LivenessStore.purge).
    if (db.pragma('user_version', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    // WAL makes NORMAL durable against application crashes; a power cut may lose the last commits.
    db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Deleted rows (session images are biometric data) are overwritten, not left in free pages.
    db.pragma('secure_delete = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
