/**
 * Opens the store: SQLite (better-sqlite3, WAL) in the data directory by default, or
 * PostgreSQL when a postgres:// URL is given (ALOFT_DATABASE_URL). Migrations run on open.
 */
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DB } from './types.js';
import { migrations } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<DB>;
  dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres://… or a SQLite file path (or ':memory:'). */
  url: string;
  /** PostgreSQL only: a schema to create and use (tests isolate themselves this way). */
  schema?: string;
  /** Skip migrations (read-only tools). */
  migrate?: boolean;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openStore(opts: OpenOptions): Promise<Store> {
  const dialect: Dialect = isPostgresUrl(opts.url) ? 'postgres' : 'sqlite';
  const db = dialect === 'postgres' ? await openPostgres(opts.url, opts.schema) : openSqlite(opts.url);
  const store: Store = { db, dialect, close: () => db.destroy() };
  if (opts.migrate !== false) await migrateToLatest(store, dialect === 'postgres' ? (opts.schema ?? 'public') : undefined);
  return store;
}

function openSqlite(path: string): Kysely<DB> {
  // Loaded lazily so commands that never touch the store don't pay for the native module.
  const Database = requireSqlite();
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return new Kysely<DB>({ dialect: new SqliteDialect({ database }) });
}

async function openPostgres(url: string, schema?: string): Promise<Kysely<DB>> {
  const pg = await import('pg');
  const { Pool, types } = pg.default;
  // bigint (int8) columns hold epoch milliseconds: safe as JS numbers.
  const typeParser = (oid: number, format?: unknown) =>
    oid === 20 ? (v: string) => Number(v) : (types.getTypeParser as (o: number, f?: unknown) => unknown)(oid, format);
  if (schema) {
    const admin = new Pool({ connectionString: url, max: 1 });
    await admin.query(`create schema if not exists "${schema.replace(/"/g, '')}"`);
    await admin.end();
  }
  const pool = new Pool({
    connectionString: url,
    max: 10,
    types: { getTypeParser: typeParser } as never,
    ...(schema ? { options: `-c search_path="${schema.replace(/"/g, '')}"` } : {}),
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * `schema` (PostgreSQL): where the migration tables live. Named explicitly because Kysely
 * otherwise finds a migration table of the same name in ANY schema and skips creating ours.
 */
export async function migrateToLatest(store: Store, schema?: string): Promise<void> {
  const provider = {
    async getMigrations(): Promise<Record<string, Migration>> {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) out[name] = { up: (db) => m.up(db, store.dialect) };
      return out;
    },
  };
  const migrator = new Migrator({ db: store.db, provider, migrationTableName: 'aloft_migrations', migrationLockTableName: 'aloft_migrations_lock', ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** Drops a test schema (PostgreSQL) — used by test helpers only. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: url, max: 1 });
  try {
    await pool.query(`drop schema if exists "${schema.replace(/"/g, '')}" cascade`);
  } finally {
    await pool.end();
  }
}

import { createRequire } from 'node:module';
function requireSqlite(): typeof import('better-sqlite3') {
  return createRequire(import.meta.url)('better-sqlite3');
}

export { sql };
