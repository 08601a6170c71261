/**
 * Idle, expiry and budget monitors. Idle: no activity (gateway requests, open streams, agent
 * heartbeats — all written to `last_activity_at`) for the idle timeout → stop or destroy
 * per `lifecycle.on_idle`. Expiry: past `expires_at` (ttl) → destroy. Budget: once this
 * month's spending reaches the global budget or an owner's, that scope's running
 * deployments are stopped, each with a `budget` event saying which budget.
 */
import { listDeployments } from '../store/deployments.js';
import { appendEvent } from '../store/events.js';
import type { Spec } from '../spec/schema.js';
import type { EngineContext } from './context.js';
import type { Engine } from './engine.js';
import { lifecycleOf } from './workload.js';
import { formatDurationShort } from '../spec/duration.js';
import { budgetsFor, reachedBudget } from '../catalog/budget.js';
import { spentThisMonth } from './cost.js';

export async function monitorOnce(ctx: EngineContext, engine: Engine, isActive: (deploymentId: string) => boolean = () => false): Promise<string[]> {
  const now = ctx.now();
  const acted: string[] = await budgetOnce(ctx, engine, now);
  for (const dep of await listDeployments(ctx.store.db)) {
    if (acted.includes(dep.name)) continue;
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

/** Statuses in which a deployment runs (or is about to) and a budget stop applies. */
const STOPPABLE = ['booting', 'ready', 'starting'];

/** Stops the running deployments of every budget that spending has reached; returns their names. */
export async function budgetOnce(ctx: EngineContext, engine: Engine, now = ctx.now()): Promise<string[]> {
  const config = ctx.budgets ? { budgets: ctx.budgets } : undefined;
  if (!config || (config.budgets.monthly_usd === undefined && Object.keys(config.budgets.per_user ?? {}).length === 0)) return [];
  const running = (await listDeployments(ctx.store.db)).filter((d) => STOPPABLE.includes(d.status) && d.desired_state === 'running');
  if (running.length === 0) return [];
  const spent = await spentThisMonth(ctx.store.db, now);
  const acted: string[] = [];
  for (const dep of running) {
    if (budgetsFor(config, dep.owner).length === 0) continue;
    const hit = reachedBudget(config, dep.owner, { globalUsd: spent.globalUsd, userUsd: spent.byUser.get(dep.owner) ?? 0 });
    if (!hit) continue;
    await appendEvent(ctx.store.db, {
      deploymentId: dep.id,
      at: now,
      type: 'budget',
      message: hit.message,
      data: { budget: hit.label, monthly_usd: hit.monthlyUsd, spent_usd: hit.spentUsd },
    });
    await engine.requestStop(dep.name, hit.message);
    ctx.log.warn({ deployment: dep.name, budget: hit.label, spentUsd: hit.spentUsd }, 'budget reached: stopping');
    acted.push(dep.name);
  }
  return acted;
}
