/** Recorded job steps: a resumed job reads a done step's result instead of redoing it. */
import type { Kysely } from 'kysely';
import type { DB, StepRow } from './types.js';

export async function getStep(db: Kysely<DB>, jobId: number, name: string): Promise<StepRow | undefined> {
  return db.selectFrom('steps').selectAll().where('job_id', '=', jobId).where('name', '=', name).executeTakeFirst();
}

export async function startStep(db: Kysely<DB>, jobId: number, name: string, deploymentId: string | null, at: number): Promise<void> {
  const existing = await getStep(db, jobId, name);
  if (existing) {
    await db.updateTable('steps').set({ status: 'running', started_at: at }).where('job_id', '=', jobId).where('name', '=', name).execute();
    return;
  }
  await db.insertInto('steps').values({ job_id: jobId, name, deployment_id: deploymentId, status: 'running', started_at: at, finished_at: null, data_json: null }).execute();
}

export async function finishStep(db: Kysely<DB>, jobId: number, name: string, at: number, data: unknown): Promise<void> {
  await db
    .updateTable('steps')
    .set({ status: 'done', finished_at: at, data_json: data === undefined ? null : JSON.stringify(data) })
    .where('job_id', '=', jobId)
    .where('name', '=', name)
    .execute();
}

export async function listSteps(db: Kysely<DB>, deploymentId: string): Promise<StepRow[]> {
  return db.selectFrom('steps').selectAll().where('deployment_id', '=', deploymentId).orderBy('started_at', 'asc').execute();
}
