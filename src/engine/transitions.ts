/**
 * The deployment state machine. Every status change goes through `transition`, which
 * checks the edge, writes the new status and exactly one event, in one transaction.
 *
 *   queued → provisioning → booting → ready ⇄ stopping → stopped → starting → ready
 *   any live state → destroying → destroyed;  any step → failed (with a reason)
 */
import type { Kysely } from 'kysely';
import type { DB, Deployment, DeploymentStatus, DeploymentUpdate } from '../store/types.js';
import { appendEvent } from '../store/events.js';

const EDGES: Record<DeploymentStatus, DeploymentStatus[]> = {
  queued: ['provisioning', 'destroying', 'failed'],
  provisioning: ['booting', 'destroying', 'failed'],
  booting: ['ready', 'stopping', 'destroying', 'failed'],
  ready: ['stopping', 'starting', 'destroying', 'failed'],
  stopping: ['stopped', 'destroying', 'failed'],
  stopped: ['starting', 'destroying', 'failed'],
  starting: ['booting', 'ready', 'stopping', 'destroying', 'failed'],
  destroying: ['destroyed', 'failed'],
  destroyed: [],
  failed: ['destroying'],
};

export const LIVE_STATUSES: DeploymentStatus[] = ['queued', 'provisioning', 'booting', 'ready', 'stopping', 'stopped', 'starting', 'destroying'];

export class IllegalTransitionError extends Error {}

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return from === to || EDGES[from].includes(to);
}

/**
 * Moves a deployment to `to` (no-op event-free if already there). Returns the updated row.
 * The `from` guard makes concurrent writers safe: only one wins an edge.
 */
export async function transition(
  db: Kysely<DB>,
  dep: Deployment,
  to: DeploymentStatus,
  opts: { reason?: string | null; patch?: DeploymentUpdate; at?: number; data?: unknown } = {},
): Promise<Deployment> {
  const at = opts.at ?? Date.now();
  if (dep.status === to) {
    if (opts.patch && Object.keys(opts.patch).length) {
      await db.updateTable('deployments').set({ ...opts.patch, updated_at: at }).where('id', '=', dep.id).execute();
    }
    return { ...dep, ...(opts.patch as Partial<Deployment>) };
  }
  if (!canTransition(dep.status, to)) throw new IllegalTransitionError(`illegal transition ${dep.status} → ${to} for ${dep.name}`);
  return db.transaction().execute(async (tx) => {
    const r = await tx
      .updateTable('deployments')
      .set({ ...opts.patch, status: to, status_reason: opts.reason ?? null, updated_at: at })
      .where('id', '=', dep.id)
      .where('status', '=', dep.status)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      const now = await tx.selectFrom('deployments').select('status').where('id', '=', dep.id).executeTakeFirst();
      throw new IllegalTransitionError(`${dep.name} moved to ${now?.status} meanwhile; ${dep.status} → ${to} not applied`);
    }
    await appendEvent(tx, { deploymentId: dep.id, at, type: 'status', fromStatus: dep.status, toStatus: to, message: opts.reason ?? null, data: opts.data });
    return { ...dep, ...(opts.patch as Partial<Deployment>), status: to, status_reason: opts.reason ?? null, updated_at: at };
  });
}
