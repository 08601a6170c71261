import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * Cost inputs of a deployment: its disk size and the disk's price, so accrued cost can
 * bill the disk of a stopped machine (price_per_hour already includes the disk while it
 * runs). Nullable: rows from before this migration have neither and bill compute only.
 */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema.alterTable('deployments').addColumn('disk_gb', sql.raw(real)).execute();
  await db.schema.alterTable('deployments').addColumn('disk_usd_per_gb_month', sql.raw(real)).execute();
}
