/**
 * Named leases for singleton loops (reconciler, monitors): with several `aloft server`
 * replicas on PostgreSQL, only the holder of an unexpired lease runs the loop.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from './types.js';

/** Takes or renews the lease; true when `holder` holds it until now + ttlMs. */
export async function acquireLease(db: Kysely<DB>, name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
  const expires = now + ttlMs;
  await db
    .insertInto('leases')
    .values({ name, holder, expires_at: expires })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ holder, expires_at: expires }).where(sql<boolean>`leases.holder = ${holder} or leases.expires_at < ${now}`),
    )
    .execute();
  const row = await db.selectFrom('leases').select(['holder']).where('name', '=', name).executeTakeFirst();
  return row?.holder === holder;
}

export async function releaseLease(db: Kysely<DB>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
