/**
 * Cost arithmetic: estimates before a deployment runs, and accrued cost from its
 * event timeline afterwards. Pure functions; the store and the engine feed them.
 *
 * A month is 730 hours (8760 / 12), as the clouds' own calculators use. Disks are
 * billed while the machine runs and while it is stopped, prorated per hour.
 */
import type { Offer } from './types.js';

export const HOURS_PER_MONTH = 730;
const HOUR_MS = 3_600_000;

export interface EstimateInput {
  /** Hours the machine runs. */
  hours: number;
  diskGb?: number;
  /** Hours it sits stopped (disk still billed). */
  stoppedHours?: number;
  egressGb?: number;
  /** Use the spot price (when the offer has one). */
  spot?: boolean;
}

export interface CostEstimate {
  computeUsd: number;
  diskUsd: number;
  egressUsd: number;
  totalUsd: number;
  /** Compute + disk per running hour. */
  hourlyUsd: number;
}

const cents6 = (n: number) => Math.round(n * 1e6) / 1e6;

export function estimateCost(offer: Offer, input: EstimateInput): CostEstimate {
  const { hours, diskGb = 0, stoppedHours = 0, egressGb = 0 } = input;
  for (const [k, v] of Object.entries({ hours, diskGb, stoppedHours, egressGb })) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a number ≥ 0, got ${v}`);
  }
  const rate = input.spot && offer.spotPricePerHour != null ? offer.spotPricePerHour : offer.pricePerHour;
  const diskPerHour = (diskGb * (offer.diskPricePerGbMonth ?? 0)) / HOURS_PER_MONTH;
  const computeUsd = rate * hours;
  const diskUsd = diskPerHour * (hours + stoppedHours);
  const egressUsd = egressGb * (offer.egressPricePerGb ?? 0);
  return {
    computeUsd: cents6(computeUsd),
    diskUsd: cents6(diskUsd),
    egressUsd: cents6(egressUsd),
    totalUsd: cents6(computeUsd + diskUsd + egressUsd),
    hourlyUsd: cents6(rate + diskPerHour),
  };
}

/** Statuses in which a machine exists and is billed for compute. `destroying` too: the cloud bills until it is gone. */
export const RUNNING_STATUSES = new Set(['provisioning', 'booting', 'ready', 'starting', 'stopping', 'destroying']);
/** Statuses in which only the disk is billed. */
export const STOPPED_STATUSES = new Set(['stopped']);
/** After these nothing is billed, whatever comes later. */
export const FINAL_STATUSES = new Set(['destroyed', 'failed', 'expired', 'cancelled']);

export interface TimelineEvent {
  /** Epoch ms. */
  at: number;
  toStatus: string;
}

export interface Rate {
  hourlyUsd: number;
  diskGb: number;
  diskUsdPerGbMonth: number;
}

export interface Accrued {
  runningHours: number;
  stoppedHours: number;
  computeUsd: number;
  diskUsd: number;
  totalUsd: number;
}

/**
 * Cost accrued between `since` (default: the beginning) and `now`, from the status
 * transitions of one deployment. Events need not be sorted; a final status ends billing.
 */
export function accruedCost(timeline: TimelineEvent[], rate: Rate, now: number, since = -Infinity): Accrued {
  const ev = [...timeline].sort((a, b) => a.at - b.at);
  let runningMs = 0;
  let stoppedMs = 0;
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    if (FINAL_STATUSES.has(e.toStatus)) break;
    const end = Math.min(i + 1 < ev.length ? ev[i + 1]!.at : now, now);
    const start = Math.max(e.at, since);
    const ms = end - start;
    if (ms <= 0) continue;
    if (RUNNING_STATUSES.has(e.toStatus)) runningMs += ms;
    else if (STOPPED_STATUSES.has(e.toStatus)) stoppedMs += ms;
  }
  const runningHours = runningMs / HOUR_MS;
  const stoppedHours = stoppedMs / HOUR_MS;
  const computeUsd = runningHours * rate.hourlyUsd;
  const diskUsd = ((runningHours + stoppedHours) * rate.diskGb * rate.diskUsdPerGbMonth) / HOURS_PER_MONTH;
  return {
    runningHours: cents6(runningHours),
    stoppedHours: cents6(stoppedHours),
    computeUsd: cents6(computeUsd),
    diskUsd: cents6(diskUsd),
    totalUsd: cents6(computeUsd + diskUsd),
  };
}
