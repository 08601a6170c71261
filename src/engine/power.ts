/**
 * Stop, start and destroy jobs. Stop keeps the disk (fast resume) where the provider can
 * stop; otherwise the machine is removed and a start provisions afresh.
 */
import type { Job } from '../queue/queue.js';
import { PermanentJobError } from '../queue/worker.js';
import { liveMachines } from '../store/machines.js';
import { updateDeployment } from '../store/deployments.js';
import { canStartStop } from '../providers/types.js';
import type { Spec } from '../spec/schema.js';
import type { EngineContext } from './context.js';
import { providerFor } from './context.js';
import { mustGet, oneLine } from './provision.js';
import { removeLeftovers, teardown } from './teardown.js';
import { transition } from './transitions.js';
import { waitReady } from './wait-ready.js';

export async function stopJob(ctx: EngineContext, job: Job): Promise<void> {
  let dep = await mustGet(ctx, job.deployment_id!);
  if (dep.desired_state !== 'stopped') return;
  if (!['ready', 'booting', 'starting', 'stopping'].includes(dep.status)) return;
  const reason = (job.payload as { reason?: string }).reason;
  dep = await transition(ctx.store.db, dep, 'stopping', { at: ctx.now(), reason });
  for (const row of await liveMachines(ctx.store.db, dep.id)) {
    if (!row.provider_id) continue;
    const provider = providerFor(ctx, row.provider);
    if (canStartStop(provider)) await provider.stop({ provider: row.provider, id: row.provider_id, region: row.region });
    else await teardown(ctx, dep);
  }
  await transition(ctx.store.db, dep, 'stopped', { at: ctx.now(), reason });
}

export async function startJob(ctx: EngineContext, job: Job, signal: AbortSignal): Promise<void> {
  let dep = await mustGet(ctx, job.deployment_id!);
  if (dep.desired_state !== 'running') return;
  if (!['stopped', 'starting', 'ready'].includes(dep.status)) return;
  const spec = JSON.parse(dep.spec_json) as Spec;
  const reason = (job.payload as { reason?: string }).reason;
  dep = await transition(ctx.store.db, dep, 'starting', { at: ctx.now(), reason });
  const row = (await liveMachines(ctx.store.db, dep.id)).find((m) => m.provider_id);
  if (!row) throw new PermanentJobError(`${dep.name} has no machine to start`);
  const provider = providerFor(ctx, row.provider);
  if (!canStartStop(provider)) throw new PermanentJobError(`provider ${row.provider} cannot start a stopped machine`);
  const ref = { provider: row.provider, id: row.provider_id!, region: row.region };
  try {
    const startedAt = ctx.now();
    await provider.start(ref);
    const endpoint = await waitReady(ctx, dep, { providerId: row.provider_id!, endpoint: row.endpoint }, spec, signal, startedAt);
    dep = await mustGet(ctx, dep.id);
    if (dep.desired_state !== 'running') return;
    const now = ctx.now();
    await transition(ctx.store.db, dep, 'ready', { at: now, patch: { endpoint, ready_at: now, last_activity_at: now } });
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof PermanentJobError || job.attempts >= job.max_attempts) {
      const fresh = await mustGet(ctx, dep.id);
      await provider.stop(ref).catch(() => {});
      if (fresh.status !== 'failed') await transition(ctx.store.db, fresh, 'failed', { at: ctx.now(), reason: oneLine(err) });
      throw new PermanentJobError(oneLine(err));
    }
    throw err;
  }
}

export async function destroyJob(ctx: EngineContext, job: Job): Promise<void> {
  let dep = await mustGet(ctx, job.deployment_id!);
  if (dep.status === 'destroyed') return;
  const reason = (job.payload as { reason?: string }).reason;
  dep = await transition(ctx.store.db, dep, 'destroying', { at: ctx.now(), reason });
  if (!(await teardown(ctx, dep))) {
    // The provider is still deleting; the retry asks again (never drop a row early).
    throw Object.assign(new Error(`${dep.name}: waiting for the provider to finish deleting`), { retryAfterMs: ctx.pollMs * 4 });
  }
  // The machines are gone; firewalls, security groups, volumes and keys may linger (a
  // crash between steps, a cloud that deletes slowly). Destroyed means none is left.
  const left = await removeLeftovers(ctx, dep);
  if (left.length > 0) {
    const what = left.slice(0, 3).map((l) => `${l.provider} ${l.kind} ${l.id}`).join(', ');
    throw Object.assign(new Error(`${dep.name}: waiting for the provider to remove ${what}${left.length > 3 ? ` and ${left.length - 3} more` : ''}`), { retryAfterMs: ctx.pollMs * 4 });
  }
  const now = ctx.now();
  await transition(ctx.store.db, dep, 'destroyed', { at: now, reason, patch: { destroyed_at: now, endpoint: null } });
  await updateDeployment(ctx.store.db, dep.id, { upstream_secret: null, agent_token_hash: null, tls_cert: null });
}
