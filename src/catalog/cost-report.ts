/**
 * `aloft cost`: accrued cost per deployment, provider or user over a window, from the
 * event timelines. Pure: the CLI/API passes the deployments and their events.
 */
import { accruedCost, type TimelineEvent } from './cost.js';

export interface CostDeployment {
  id: string;
  name?: string;
  owner?: string;
  provider: string;
  /** Compute USD per running hour (the offer's price when it was planned). */
  hourlyUsd: number;
  diskGb: number;
  diskUsdPerGbMonth: number;
}

export type CostGroupBy = 'deployment' | 'provider' | 'user';

export interface CostRow {
  key: string;
  deployments: number;
  runningHours: number;
  stoppedHours: number;
  computeUsd: number;
  diskUsd: number;
  totalUsd: number;
}

export interface CostReport {
  since: number;
  now: number;
  by: CostGroupBy;
  rows: CostRow[];
  total: CostRow;
}

const r6 = (n: number) => Math.round(n * 1e6) / 1e6;

/** "30d", "12h", "90m", "2w" → milliseconds. */
export function parseSince(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|h|d|w)$/.exec(text.trim());
  if (!m) throw new RangeError(`since "${text}": expected a duration like 30d, 12h or 2w`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

function keyOf(d: CostDeployment, by: CostGroupBy): string {
  if (by === 'provider') return d.provider;
  if (by === 'user') return d.owner ?? '(none)';
  return d.name ? `${d.name} (${d.id})` : d.id;
}

export function costReport(
  deployments: CostDeployment[],
  eventsByDeployment: Map<string, TimelineEvent[]> | Record<string, TimelineEvent[]>,
  opts: { since: number; by: CostGroupBy; now: number },
): CostReport {
  const events = (id: string) =>
    (eventsByDeployment instanceof Map ? eventsByDeployment.get(id) : eventsByDeployment[id]) ?? [];
  const rows = new Map<string, CostRow>();
  const zero = (key: string): CostRow => ({ key, deployments: 0, runningHours: 0, stoppedHours: 0, computeUsd: 0, diskUsd: 0, totalUsd: 0 });
  const total = zero('total');
  for (const d of deployments) {
    const a = accruedCost(events(d.id), { hourlyUsd: d.hourlyUsd, diskGb: d.diskGb, diskUsdPerGbMonth: d.diskUsdPerGbMonth }, opts.now, opts.since);
    const key = keyOf(d, opts.by);
    const row = rows.get(key) ?? zero(key);
    rows.set(key, row);
    for (const r of [row, total]) {
      r.deployments++;
      r.runningHours = r6(r.runningHours + a.runningHours);
      r.stoppedHours = r6(r.stoppedHours + a.stoppedHours);
      r.computeUsd = r6(r.computeUsd + a.computeUsd);
      r.diskUsd = r6(r.diskUsd + a.diskUsd);
      r.totalUsd = r6(r.totalUsd + a.totalUsd);
    }
  }
  const sorted = [...rows.values()].sort((a, b) => b.totalUsd - a.totalUsd || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { since: opts.since, now: opts.now, by: opts.by, rows: sorted, total };
}
