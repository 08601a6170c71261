/**
 * The engine's side of cost: what a deployment row must record for its cost to be
 * computed later (price, disk size, disk price), and accrued cost over the store —
 * the deployments and their status events fed to the catalog's pure functions.
 *
 * `price_per_hour` is the planned offer's `hourlyUsd`, which includes the disk while the
 * machine runs; the compute part is that minus the disk's hourly share, and the disk
 * alone is billed while the deployment is stopped.
 */
import type { Kysely } from 'kysely';
import type { PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';
import { DEFAULT_DISK_GB, specInput } from '../catalog/plan.js';
import { HOURS_PER_MONTH } from '../catalog/cost.js';
import { costReport, type CostDeployment, type CostGroupBy, type CostReport } from '../catalog/cost-report.js';
import { monthStart } from '../catalog/budget.js';
import { listBillable } from '../store/deployments.js';
import { listStatusEvents } from '../store/events.js';
import type { DB, Deployment } from '../store/types.js';

/** The disk size the planner priced for this spec (the spec's disk, the model's need, or 30 GB). */
export function plannedDiskGb(spec: Spec): number {
  try {
    const input = specInput(spec);
    return input.diskGb ?? input.req.diskGb ?? DEFAULT_DISK_GB;
  } catch {
    return DEFAULT_DISK_GB;
  }
}

/** The cost columns of a deployment planned on `offer`. */
export function costColumns(offer: PlannedOffer, spec: Spec): Pick<Deployment, 'price_per_hour' | 'disk_gb' | 'disk_usd_per_gb_month'> {
  return { price_per_hour: offer.hourlyUsd, disk_gb: plannedDiskGb(spec), disk_usd_per_gb_month: offer.diskPricePerGbMonth ?? null };
}

/** A deployment row as the cost report sees it: compute per running hour, disk apart. */
export function costDeploymentOf(d: Deployment): CostDeployment {
  const diskGb = d.disk_gb ?? 0;
  const diskUsdPerGbMonth = d.disk_usd_per_gb_month ?? 0;
  const diskPerHour = (diskGb * diskUsdPerGbMonth) / HOURS_PER_MONTH;
  const compute = Math.max(0, (d.price_per_hour ?? 0) - diskPerHour);
  return {
    id: d.id,
    name: d.name,
    owner: d.owner,
    provider: d.provider ?? '(none)',
    hourlyUsd: Math.round(compute * 1e9) / 1e9,
    diskGb,
    diskUsdPerGbMonth,
  };
}

/** Accrued cost since `since`, grouped, over every deployment that may have cost something. */
export async function loadCostReport(db: Kysely<DB>, opts: { since: number; by: CostGroupBy; now: number }): Promise<CostReport> {
  const deployments = (await listBillable(db, opts.since)).filter((d) => d.created_at <= opts.now);
  const events = new Map<string, Array<{ at: number; toStatus: string }>>();
  for (const e of await listStatusEvents(db, deployments.map((d) => d.id))) {
    if (!e.to_status) continue;
    let list = events.get(e.deployment_id);
    if (!list) events.set(e.deployment_id, (list = []));
    list.push({ at: e.at, toStatus: e.to_status });
  }
  return costReport(deployments.map(costDeploymentOf), events, opts);
}

export interface MonthSpending {
  globalUsd: number;
  byUser: Map<string, number>;
}

/** What was spent this calendar month (UTC), in all and per owner. */
export async function spentThisMonth(db: Kysely<DB>, now: number): Promise<MonthSpending> {
  const report = await loadCostReport(db, { since: monthStart(now), by: 'user', now });
  return { globalUsd: report.total.totalUsd, byUser: new Map(report.rows.map((r) => [r.key, r.totalUsd])) };
}
