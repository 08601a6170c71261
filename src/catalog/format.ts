/** Text for people: offer tables and a summary of what a plan excluded (used by offers, plan and up). */
import { formatTable } from '../cli/output.js';
import type { ExcludedOffer, Offer, Plan, PlannedOffer } from './types.js';

const money = (n: number | null | undefined) =>
  n === null || n === undefined ? '-' : n === 0 ? '$0' : n < 10 ? `$${n.toFixed(4).replace(/0{1,2}$/, '')}` : `$${n.toFixed(2)}`;
const gpuText = (o: Offer) => (o.gpu ? `${o.gpu.count}×${o.gpu.name}` : '-');
const vramText = (o: Offer) => (o.gpu ? `${o.gpu.vramGb}GB` : '-');

export function offersTable(offers: Offer[]): string {
  return formatTable(offers, {
    provider: (o) => o.provider,
    region: (o) => o.region,
    type: (o) => o.instanceType,
    gpu: gpuText,
    vram: vramText,
    vcpus: (o) => o.vcpus,
    mem: (o) => `${o.memoryGb}GB`,
    arch: (o) => o.arch,
    '$/h': (o) => money(o.pricePerHour),
    'spot $/h': (o) => money(o.spotPricePerHour),
  });
}

export function plannedTable(offers: PlannedOffer[]): string {
  return formatTable(
    offers.map((o, i) => ({ ...o, rank: i + 1 })),
    {
      '#': (o) => o.rank,
      provider: (o) => o.provider,
      region: (o) => o.region,
      type: (o) => o.instanceType,
      gpu: gpuText,
      vram: vramText,
      vcpus: (o) => o.vcpus,
      mem: (o) => `${o.memoryGb}GB`,
      price: (o) => (o.spot ? 'spot' : 'on-demand'),
      '$/h': (o) => money(o.hourlyUsd),
      '$/month': (o) => `$${o.monthlyUsd.toFixed(2)}`,
    },
  );
}

/** "resources.gpu: 412 (e.g. aws g4dn.xlarge us-east-1: GPU T4, L4:1 required)" lines, most first. */
export function excludedSummary(excluded: ExcludedOffer[]): string {
  const by = new Map<string, ExcludedOffer[]>();
  for (const e of excluded) {
    const k = e.constraint ?? 'other';
    by.set(k, [...(by.get(k) ?? []), e]);
  }
  return [...by.entries()]
    .sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))
    .map(([k, list]) => {
      const e = list[0]!;
      return `  ${k}: ${list.length} (e.g. ${e.offer.provider} ${e.offer.instanceType} ${e.offer.region}: ${e.reason})\n`;
    })
    .join('');
}

/** The plan for people: ranked offers (up to `limit`), the estimate, and what was excluded. */
export function planText(plan: Plan, limit = 10): string {
  const shown = plan.offers.slice(0, limit);
  let s = plannedTable(shown);
  if (plan.offers.length > shown.length) s += `… and ${plan.offers.length - shown.length} more (--json lists all)\n`;
  const best = plan.offers[0];
  if (best) {
    s += `\nCheapest: ${best.provider} ${best.instanceType} in ${best.region}, ${money(best.hourlyUsd)}/h, about $${best.monthlyUsd.toFixed(2)}/month running all the time`;
    s += ` (includes ${plan.diskGb ?? 0} GB disk)\n`;
  }
  if (plan.vramNeedGb !== undefined) s += `Model needs about ${plan.vramNeedGb} GB of VRAM.\n`;
  for (const w of plan.warnings ?? []) s += `warning: ${w}\n`;
  if (plan.excluded.length) s += `\nExcluded ${plan.excluded.length} offers:\n${excludedSummary(plan.excluded)}`;
  return s;
}

/** One line for `aloft up` before it asks to confirm. */
export function chosenOfferLine(o: PlannedOffer): string {
  return `${o.provider} ${o.instanceType} (${gpuText(o) === '-' ? `${o.vcpus} vCPU, ${o.memoryGb} GB` : `${gpuText(o)} ${vramText(o)}`}) in ${o.region}, ${o.spot ? 'spot ' : ''}${money(o.hourlyUsd)}/h (about $${o.monthlyUsd.toFixed(2)}/month)`;
}
