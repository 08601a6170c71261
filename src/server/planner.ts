/**
 * Binds the engine's `plan` to the catalog's optimizer, over the providers this server
 * has configured (local always; clouds with credentials). A provider instance that can
 * create only in some regions (Exoscale: one zone per instance) is offered only there,
 * so the first offer is one the provider can take. A plan that comes out empty is bad
 * input: its one-line reason says which constraint emptied it.
 */
import type { Offer, PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';
import type { Provider } from '../providers/types.js';
import { PlanError, planSpec } from '../catalog/plan.js';
import { loadOffers } from '../catalog/load.js';
import { localOffers } from '../catalog/local-offers.js';
import { EngineError } from '../engine/engine.js';

/** Region limits of the configured providers that declare them (Provider.regions). */
export function regionLimits(providers: Map<string, Provider>): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [name, p] of providers) if (p.regions && p.regions.length > 0) out.set(name, p.regions);
  return out;
}

/** The catalog's offers (and this host's), less those a configured provider cannot take. */
function offersWithin(spec: Spec, limits: Map<string, readonly string[]>): Offer[] | undefined {
  if (limits.size === 0) return undefined;
  const wantLocal = !spec.placement?.providers || spec.placement.providers.includes('local');
  const all = wantLocal ? [...localOffers(), ...loadOffers().filter((o) => o.provider !== 'local')] : loadOffers();
  return all.filter((o) => {
    const only = limits.get(o.provider);
    return !only || only.includes(o.region);
  });
}

export async function planOffers(spec: Spec, configured: Set<string>, limits: Map<string, readonly string[]> = new Map()): Promise<PlannedOffer[]> {
  try {
    const plan = planSpec(spec, { providers: [...configured], offers: offersWithin(spec, limits) });
    if (plan.offers.length === 0) throw new EngineError('no_offer', 400, `no offer fits ${spec.name}`);
    return plan.offers;
  } catch (err) {
    if (err instanceof PlanError) throw new EngineError('no_offer', 400, err.message);
    throw err;
  }
}
