/**
 * Exoscale instance types → offers. The API tells family, size, vCPUs, memory (bytes),
 * GPU count, availability (`authorized`) and zones, but not the GPU model or the price:
 * the GPU model comes from the family (Exoscale's product pages), the price from the
 * catalog data file (data/catalog/exoscale.json), passed in by the caller.
 */
import type { GpuInfo, Offer } from '../../catalog/types.js';
import type { OfferRef } from '../types.js';
import { PROVIDER_NAME, instanceTypeName } from './machine.js';
import type { ExoInstanceType } from './wire.js';

/** GPU model and VRAM (GB) per Exoscale GPU family. */
export const GPU_FAMILIES: Record<string, { name: string; vramGb: number }> = {
  gpu: { name: 'P100', vramGb: 16 },
  gpu2: { name: 'V100', vramGb: 16 },
  gpu3: { name: 'A40', vramGb: 48 },
  gpu3080ti: { name: 'RTX3080TI', vramGb: 12 },
  gpua5000: { name: 'A5000', vramGb: 24 },
  gpua30: { name: 'A30', vramGb: 24 },
  gpurtx6000pro: { name: 'RTXPRO6000', vramGb: 96 },
  gpub300: { name: 'B300', vramGb: 288 },
};

export function gpuOf(t: ExoInstanceType): GpuInfo | null {
  const fam = GPU_FAMILIES[t.family];
  const count = t.gpus ?? 0;
  if (!fam || count <= 0) return null;
  return { name: fam.name, count, vramGb: fam.vramGb };
}

const GIB = 1024 ** 3;

/** Whether this account can launch the type in this zone (GPU types need Exoscale's authorisation). */
export function usableIn(t: ExoInstanceType, zone: string): boolean {
  if (t.authorized === false) return false;
  return !t.zones || t.zones.length === 0 || t.zones.includes(zone);
}

export function toOfferRef(t: ExoInstanceType, zone: string): OfferRef {
  return { provider: PROVIDER_NAME, region: zone, instanceType: instanceTypeName(t) ?? t.id, gpu: gpuOf(t) };
}

/**
 * Full offers for the types that have a price. `priceFor` returns USD per hour for a
 * type name in a zone (from the catalog data), or undefined; unpriced types are listed
 * so the caller can report them rather than invent a price.
 */
export function offersFromInstanceTypes(
  types: ExoInstanceType[],
  zone: string,
  priceFor: (typeName: string, zone: string) => number | undefined,
): { offers: Offer[]; unpriced: string[] } {
  const offers: Offer[] = [];
  const unpriced: string[] = [];
  for (const t of types) {
    if (!usableIn(t, zone)) continue;
    const name = instanceTypeName(t) ?? t.id;
    const price = priceFor(name, zone);
    if (price === undefined || !Number.isFinite(price)) {
      unpriced.push(name);
      continue;
    }
    offers.push({
      provider: PROVIDER_NAME,
      region: zone,
      instanceType: name,
      gpu: gpuOf(t),
      vcpus: t.cpus,
      memoryGb: Math.round((t.memory / GIB) * 100) / 100,
      // Exoscale runs x86_64 only.
      arch: 'x86_64',
      pricePerHour: price,
      spotPricePerHour: null,
    });
  }
  return { offers, unpriced };
}
