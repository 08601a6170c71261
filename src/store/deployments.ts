/** Deployment queries. A name resolves to its live deployment, else the newest one. */
import type { Kysely, Transaction } from 'kysely';
import type { DB, Deployment, DeploymentUpdate, NewDeployment } from './types.js';

export async function insertDeployment(db: Kysely<DB>, row: NewDeployment): Promise<void> {
  await db.insertInto('deployments').values(row).execute();
}

export async function getDeployment(db: Kysely<DB>, id: string): Promise<Deployment | undefined> {
  return db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Name and status of the deployments with these ids, destroyed ones included (a leaked
 * machine's deployment is often gone; its name still tells the user what it was).
 */
export async function deploymentNames(db: Kysely<DB>, ids: readonly string[]): Promise<Array<Pick<Deployment, 'id' | 'name' | 'status'>>> {
  if (ids.length === 0) return [];
  return db.selectFrom('deployments').select(['id', 'name', 'status']).where('id', 'in', [...ids]).execute();
}

/** The live deployment with this name, or else the most recent one that had it. */
export async function getDeploymentByName(db: Kysely<DB>, name: string): Promise<Deployment | undefined> {
  const rows = await db
    .selectFrom('deployments')
    .selectAll()
    .where('name', '=', name)
    .orderBy('created_at', 'desc')
    .limit(20)
    .execute();
  return rows.find((r) => r.status !== 'destroyed' && r.status !== 'failed') ?? rows[0];
}

export async function findLiveByName(db: Kysely<DB>, name: string): Promise<Deployment | undefined> {
  return db
    .selectFrom('deployments')
    .selectAll()
    .where('name', '=', name)
    .where('status', 'not in', ['destroyed', 'failed'])
    .executeTakeFirst();
}

export async function listDeployments(db: Kysely<DB>, opts: { includeDestroyed?: boolean } = {}): Promise<Deployment[]> {
  let q = db.selectFrom('deployments').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc');
  if (!opts.includeDestroyed) q = q.where('status', '!=', 'destroyed');
  return q.execute();
}

/**
 * Moves last_activity_at forward to `at` (never back: batches from the gateway and agent
 * heartbeats arrive out of order). The idle monitor reads it.
 */
export async function advanceActivity(db: Kysely<DB> | Transaction<DB>, id: string, at: number): Promise<void> {
  await db
    .updateTable('deployments')
    .set({ last_activity_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_activity_at', 'is', null), eb('last_activity_at', '<', at)]))
    .execute();
}

export async function updateDeployment(db: Kysely<DB>, id: string, patch: DeploymentUpdate): Promise<void> {
  await db.updateTable('deployments').set(patch).where('id', '=', id).execute();
}


/**
 * Deployments that may have cost something since `since`: the live ones, and those that
 * ended (destroyed, failed) at or after it. Cost reports and budgets read these.
 */
export async function listBillable(db: Kysely<DB>, since: number): Promise<Deployment[]> {
  return db
    .selectFrom('deployments')
    .selectAll()
    .where((eb) => eb.or([eb('status', 'not in', ['destroyed', 'failed']), eb('updated_at', '>=', since)]))
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

/** Only the named columns of the deployments to list (the API's list view reads a subset). */
export async function listDeploymentColumns<C extends keyof Deployment & string>(
  db: Kysely<DB>,
  columns: readonly C[],
  opts: { includeDestroyed?: boolean } = {},
): Promise<Array<Pick<Deployment, C>>> {
  let q = db.selectFrom('deployments').select(columns as readonly C[] as never).orderBy('created_at', 'asc').orderBy('id', 'asc');
  if (!opts.includeDestroyed) q = q.where('status', '!=', 'destroyed');
  return (await q.execute()) as unknown as Array<Pick<Deployment, C>>;
}
