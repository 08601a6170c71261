/**
 * The durable job queue. A job is claimed with a lease (locked_by, locked_until); a
 * worker that dies loses its lease and the job is claimed again, resuming from its
 * recorded steps. Jobs of one deployment run one at a time, oldest first. Failures are
 * retried with exponential backoff and jitter until max_attempts, then the job is dead.
 * On PostgreSQL the claim uses FOR UPDATE SKIP LOCKED so replicas never take the same job.
 */
import { sql, type Kysely } from 'kysely';
import type { DB, JobRow } from '../store/types.js';
import type { Dialect } from '../store/db.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';

export interface EnqueueInput {
  kind: string;
  deploymentId?: string | null;
  payload?: unknown;
  runAt?: number;
  maxAttempts?: number;
}

export interface Job extends JobRow {
  payload: unknown;
}

export async function enqueue(db: Kysely<DB>, input: EnqueueInput, now = Date.now()): Promise<number> {
  const row = await db
    .insertInto('jobs')
    .values({
      kind: input.kind,
      deployment_id: input.deploymentId ?? null,
      payload_json: JSON.stringify(input.payload ?? {}),
      status: 'pending',
      attempts: 0,
      max_attempts: input.maxAttempts ?? 5,
      run_at: input.runAt ?? now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** Claims the next runnable job for `workerId`, or returns null. */
export async function claim(db: Kysely<DB>, dialect: Dialect, workerId: string, leaseMs: number, now = Date.now()): Promise<Job | null> {
  const pick = db
    .selectFrom('jobs as j')
    .select('j.id')
    .where((eb) =>
      eb.or([
        eb.and([eb('j.status', '=', 'pending'), eb('j.run_at', '<=', now)]),
        eb.and([eb('j.status', '=', 'running'), eb('j.locked_until', '<', now)]),
      ]),
    )
    // One job per deployment at a time, in order: an older unfinished job blocks newer ones.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('jobs as o')
            .select('o.id')
            .whereRef('o.deployment_id', '=', 'j.deployment_id')
            .whereRef('o.id', '<', 'j.id')
            .where('o.status', 'in', ['pending', 'running']),
        ),
      ),
    )
    .orderBy('j.run_at', 'asc')
    .orderBy('j.id', 'asc')
    .limit(1)
    .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());

  const row = await db
    .updateTable('jobs')
    .set({
      status: 'running',
      locked_by: workerId,
      locked_until: now + leaseMs,
      attempts: sql<number>`attempts + 1`,
      updated_at: now,
    })
    .where('id', '=', (eb) => eb.selectFrom(pick.as('p')).select('p.id'))
    .returningAll()
    .executeTakeFirst();
  if (!row) return null;
  return { ...row, id: Number(row.id), payload: JSON.parse(row.payload_json) };
}

/** Extends the lease of a running job; false when the lease was lost to another worker. */
export async function heartbeat(db: Kysely<DB>, job: Job, workerId: string, leaseMs: number, now = Date.now()): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ locked_until: now + leaseMs, updated_at: now })
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function complete(db: Kysely<DB>, job: Job, now = Date.now()): Promise<void> {
  await db.updateTable('jobs').set({ status: 'done', locked_by: null, locked_until: null, updated_at: now }).where('id', '=', job.id).execute();
}

export interface FailOptions extends BackoffOptions {
  /** false: no retry will help (bad input, auth) — the job is dead at once. */
  retryable?: boolean;
  /** A provider's Retry-After, when it gave one: the next try is no sooner. */
  retryAfterMs?: number;
}

/** Records a failure; returns 'retry' (rescheduled) or 'dead'. */
export async function fail(db: Kysely<DB>, job: Job, error: string, opts: FailOptions = {}, now = Date.now()): Promise<'retry' | 'dead'> {
  const dead = opts.retryable === false || job.attempts >= job.max_attempts;
  if (dead) {
    await db
      .updateTable('jobs')
      .set({ status: 'dead', last_error: error, locked_by: null, locked_until: null, updated_at: now })
      .where('id', '=', job.id)
      .execute();
    return 'dead';
  }
  const delay = Math.max(backoffDelay(job.attempts, opts), opts.retryAfterMs ?? 0);
  await db
    .updateTable('jobs')
    .set({ status: 'pending', last_error: error, locked_by: null, locked_until: null, run_at: now + delay, updated_at: now })
    .where('id', '=', job.id)
    .execute();
  return 'retry';
}

/** Gives a claimed job back without counting the attempt (graceful shutdown). */
export async function release(db: Kysely<DB>, job: Job, now = Date.now()): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'pending', attempts: Math.max(0, job.attempts - 1), locked_by: null, locked_until: null, run_at: now, updated_at: now })
    .where('id', '=', job.id)
    .execute();
}

export async function getJob(db: Kysely<DB>, id: number): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function pendingJobs(db: Kysely<DB>, deploymentId: string): Promise<JobRow[]> {
  return db.selectFrom('jobs').selectAll().where('deployment_id', '=', deploymentId).where('status', 'in', ['pending', 'running']).orderBy('id').execute();
}

/** Ends the unfinished jobs of a deployment (superseded by a newer wish, e.g. `down`). */
export async function cancelJobs(db: Kysely<DB>, deploymentId: string, kinds: string[], now = Date.now()): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'dead', last_error: 'cancelled', locked_by: null, locked_until: null, updated_at: now })
    .where('deployment_id', '=', deploymentId)
    .where('kind', 'in', kinds)
    .where('status', '=', 'pending')
    .execute();
}
