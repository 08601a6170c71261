/**
 * Machine rows. The intent (row + idempotency key) is written before the provider is
 * called; the provider id is filled in after. A row is marked destroyed only once the
 * provider confirmed the machine is gone.
 */
import type { Kysely } from 'kysely';
import type { DB, MachineRow } from './types.js';

export async function insertMachineIntent(
  db: Kysely<DB>,
  row: Omit<MachineRow, 'provider_id' | 'state' | 'endpoint' | 'details_json' | 'updated_at' | 'destroyed_at'>,
): Promise<MachineRow> {
  const existing = await getMachineByKey(db, row.idempotency_key);
  if (existing) return existing;
  const full: MachineRow = { ...row, provider_id: null, state: 'intent', endpoint: null, details_json: null, updated_at: row.created_at, destroyed_at: null };
  await db.insertInto('machines').values(full).execute();
  return full;
}

export async function getMachineByKey(db: Kysely<DB>, key: string): Promise<MachineRow | undefined> {
  return db.selectFrom('machines').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
}

/** Machines of a deployment not yet confirmed gone (intent or created). */
export async function liveMachines(db: Kysely<DB>, deploymentId: string): Promise<MachineRow[]> {
  return db
    .selectFrom('machines')
    .selectAll()
    .where('deployment_id', '=', deploymentId)
    .where('state', '!=', 'destroyed')
    .orderBy('created_at', 'asc')
    .execute();
}

export async function allLiveMachines(db: Kysely<DB>): Promise<MachineRow[]> {
  return db.selectFrom('machines').selectAll().where('state', '!=', 'destroyed').execute();
}

export async function updateMachine(db: Kysely<DB>, id: string, patch: Partial<Omit<MachineRow, 'id'>>): Promise<void> {
  await db.updateTable('machines').set(patch).where('id', '=', id).execute();
}
