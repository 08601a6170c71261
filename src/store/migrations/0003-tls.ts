import type { Kysely } from 'kysely';
import type { Dialect } from '../db.js';

/**
 * The public certificate the control plane issued to a cloud deployment's key proxy
 * (PEM). The health probe and the gateway trust exactly this certificate. Nullable: local
 * deployments and rows from before this migration have none. The key is never stored.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('tls_cert', 'text').execute();
}
