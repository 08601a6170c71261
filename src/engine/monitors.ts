/**
 * Idle and expiry monitors. Idle: no activity (gateway requests, open streams, agent
 * heartbeats — all written to `last_activity_at`) for the idle timeout → stop or destroy
 * per `lifecycle.on_idle`. Expiry: past `expires_at` (ttl) → destroy.
 */
import { listDeployments } from '../store/deployments.js';
import { appendEvent } from '../store/events.js';
import type { Spec } from '../spec/schema.js';
import type { EngineContext } from './context.js';
import type { Engine } from './engine.js';
import { lifecycleOf } from './workload.js';
import { formatDurationShort } from '../spec/duration.js';

export async function monitorOnce(ctx: EngineContext, engine: Engine, isActive: (deploymentId: string) => boolean = () => false): Promise<string[]> {
  const now = ctx.now();
  const acted: string[] = [];
  for (const dep of await listDeployments(ctx.store.db)) {
    const live = !['destroying', 'destroyed', 'failed'].includes(dep.status);
    if (live && dep.expires_at !== null && dep.expires_at <= now && dep.desired_state !== 'deleted') {
      await appendEvent(ctx.store.db, { deploymentId: dep.id, at: now, type: 'note', message: 'ttl reached: destroying' });
      await engine.requestDestroy(dep.name, 'expired (ttl reached)');
      acted.push(dep.name);
      continue;
    }
    if (dep.status !== 'ready' || dep.desired_state !== 'running') continue;
    const policy = lifecycleOf(JSON.parse(dep.spec_json) as Spec);
    if (policy.idleTimeoutMs === null || isActive(dep.id)) continue;
    const last = Math.max(dep.last_activity_at ?? 0, dep.ready_at ?? 0);
    if (now - last < policy.idleTimeoutMs) continue;
    const reason = `idle for ${formatDurationShort(now - last)} (idle_timeout ${formatDurationShort(policy.idleTimeoutMs)})`;
    if (policy.onIdle === 'destroy') await engine.requestDestroy(dep.name, reason);
    else await engine.requestStop(dep.name, reason);
    acted.push(dep.name);
  }
  return acted;
}
