/**
 * AWS offers for the catalog: the instance types Aloft proposes, with their GPUs, vCPUs,
 * memory and on-demand Linux prices (USD per hour, us-east-1 list prices, which us-east-2 and
 * us-west-2 share for these types). Spot prices move hourly, so none is claimed here
 * (`spotPricePerHour: null`); the optimizer treats spot as "available, price unknown" and
 * the user's max_hourly_usd still applies to the on-demand ceiling.
 *
 * Taken from the public EC2 on-demand pricing page; re-check with `aws pricing get-products`
 * when refreshing (CATALOG_TAKEN_AT says when this table was last checked).
 */
import type { Offer } from '../../catalog/types.js';

export const CATALOG_TAKEN_AT = '2025-06-01';
export const AWS_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'] as const;
/** gp3, USD per GB-month. */
export const GP3_PRICE_PER_GB_MONTH = 0.08;

type Row = [type: string, vcpus: number, memoryGb: number, usdPerHour: number, gpu?: [name: string, count: number, vramGb: number]];

const X86: Row[] = [
  ['t3.small', 2, 2, 0.0208],
  ['t3.medium', 2, 4, 0.0416],
  ['t3.large', 2, 8, 0.0832],
  ['t3.xlarge', 4, 16, 0.1664],
  ['m7i.large', 2, 8, 0.1008],
  ['m7i.xlarge', 4, 16, 0.2016],
  ['m7i.2xlarge', 8, 32, 0.4032],
  ['c7i.xlarge', 4, 8, 0.1785],
  ['r7i.large', 2, 16, 0.1323],
  ['g4dn.xlarge', 4, 16, 0.526, ['T4', 1, 16]],
  ['g4dn.2xlarge', 8, 32, 0.752, ['T4', 1, 16]],
  ['g4dn.12xlarge', 48, 192, 3.912, ['T4', 4, 16]],
  ['g5.xlarge', 4, 16, 1.006, ['A10G', 1, 24]],
  ['g5.2xlarge', 8, 32, 1.212, ['A10G', 1, 24]],
  ['g5.4xlarge', 16, 64, 1.624, ['A10G', 1, 24]],
  ['g5.12xlarge', 48, 192, 5.672, ['A10G', 4, 24]],
  ['g6.xlarge', 4, 16, 0.8048, ['L4', 1, 24]],
  ['g6.2xlarge', 8, 32, 0.9776, ['L4', 1, 24]],
  ['g6.4xlarge', 16, 64, 1.3232, ['L4', 1, 24]],
  ['g6.12xlarge', 48, 192, 4.6016, ['L4', 4, 24]],
  ['g6e.xlarge', 4, 32, 1.861, ['L40S', 1, 48]],
  ['g6e.2xlarge', 8, 64, 2.24208, ['L40S', 1, 48]],
  ['p3.2xlarge', 8, 61, 3.06, ['V100', 1, 16]],
  ['p4d.24xlarge', 96, 1152, 32.7726, ['A100', 8, 40]],
];
const ARM: Row[] = [
  ['t4g.medium', 2, 4, 0.0336],
  ['t4g.large', 2, 8, 0.0672],
  ['m7g.large', 2, 8, 0.0816],
  ['m7g.xlarge', 4, 16, 0.1632],
  ['g5g.xlarge', 4, 8, 0.42, ['T4G', 1, 16]],
];

function toOffers(rows: Row[], arch: Offer['arch'], region: string): Offer[] {
  return rows.map(([instanceType, vcpus, memoryGb, pricePerHour, gpu]) => ({
    provider: 'aws',
    region,
    instanceType,
    gpu: gpu ? { name: gpu[0], count: gpu[1], vramGb: gpu[2] } : null,
    vcpus,
    memoryGb,
    arch,
    pricePerHour,
    spotPricePerHour: null,
    diskPricePerGbMonth: GP3_PRICE_PER_GB_MONTH,
  }));
}

/** Every AWS offer, optionally only in some regions. */
export function awsOffers(filter: { regions?: string[] } = {}): Offer[] {
  const regions = filter.regions ?? [...AWS_REGIONS];
  return regions.filter((r) => (AWS_REGIONS as readonly string[]).includes(r)).flatMap((r) => [...toOffers(X86, 'x86_64', r), ...toOffers(ARM, 'arm64', r)]);
}
