/** Gateway keys: only a SHA-256 hash and a short public prefix are stored. */
import type { Kysely } from 'kysely';
import type { ApiKeyRow, DB } from './types.js';

export async function insertKey(db: Kysely<DB>, row: ApiKeyRow): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findKeyByPrefix(db: Kysely<DB>, prefix: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

export async function listKeys(db: Kysely<DB>): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at', 'asc').execute();
}

export async function revokeKey(db: Kysely<DB>, prefix: string, at: number): Promise<boolean> {
  const r = await db.updateTable('api_keys').set({ revoked_at: at }).where('prefix', '=', prefix).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function touchKey(db: Kysely<DB>, id: string, at: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}
