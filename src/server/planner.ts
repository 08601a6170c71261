/**
 * Binds the engine's `plan` to the catalog's optimizer, over the providers this server
 * has configured (local always; clouds with credentials). A plan that comes out empty
 * is bad input: its one-line reason says which constraint emptied it.
 */
import type { PlannedOffer } from '../catalog/types.js';
import type { Spec } from '../spec/schema.js';
import { PlanError, planSpec } from '../catalog/plan.js';
import { EngineError } from '../engine/engine.js';

export async function planOffers(spec: Spec, configured: Set<string>): Promise<PlannedOffer[]> {
  try {
    const plan = planSpec(spec, { providers: [...configured] });
    if (plan.offers.length === 0) throw new EngineError('no_offer', 400, `no offer fits ${spec.name}`);
    return plan.offers;
  } catch (err) {
    if (err instanceof PlanError) throw new EngineError('no_offer', 400, err.message);
    throw err;
  }
}
