/**
 * Binds the engine's `plan` to the catalog's optimizer. The local provider's single
 * offer (this host, price 0) is used when the spec allows local placement.
 */
import type { PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';

export async function planOffers(spec: Spec, configured: Set<string>): Promise<PlannedOffer[]> {
  const wanted = spec.placement?.providers;
  const out: PlannedOffer[] = [];
  if ((!wanted || wanted.includes('local')) && configured.has('local')) {
    out.push({ provider: 'local', region: 'local', instanceType: 'local', gpu: null, vcpus: 0, memoryGb: 0, arch: 'x86_64', pricePerHour: 0, spot: false, hourlyUsd: 0, monthlyUsd: 0 });
  }
  return out;
}
