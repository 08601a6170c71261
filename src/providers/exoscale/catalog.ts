/**
 * Exoscale instance types → offer references. The API tells family, size, vCPUs, memory,
 * GPU count, availability (`authorized`) and zones, but not the GPU model or the price:
 * the GPU model comes from the family (catalog/gpu-families.ts), prices from the catalog
 * (data/catalog/exoscale.json, refreshed by catalog/refresh/exoscale.ts).
 */
import { EXOSCALE_GPU_FAMILIES } from '../../catalog/gpu-families.js';
import type { GpuInfo } from '../../catalog/types.js';
import type { OfferRef } from '../types.js';
import { PROVIDER_NAME, instanceTypeName } from './machine.js';
import type { ExoInstanceType } from './wire.js';

export function gpuOf(t: ExoInstanceType): GpuInfo | null {
  const fam = EXOSCALE_GPU_FAMILIES[t.family];
  const count = t.gpus ?? 0;
  if (!fam || count <= 0) return null;
  return { name: fam.name, count, vramGb: fam.vramGb };
}

/** Whether this account can launch the type in this zone (GPU types need Exoscale's authorisation). */
export function usableIn(t: ExoInstanceType, zone: string): boolean {
  if (t.authorized === false) return false;
  return !t.zones || t.zones.length === 0 || t.zones.includes(zone);
}

export function toOfferRef(t: ExoInstanceType, zone: string): OfferRef {
  return { provider: PROVIDER_NAME, region: zone, instanceType: instanceTypeName(t) ?? t.id, gpu: gpuOf(t) };
}
