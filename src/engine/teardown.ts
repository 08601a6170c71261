/**
 * Removes every machine of a deployment and marks a row destroyed only once the
 * provider confirms it is gone (describe → NotFound or terminated). Returns whether
 * everything is gone; a provider that is still deleting is asked again next time.
 */
import { NotFoundError, isProviderError } from '../providers/errors.js';
import { liveMachines, updateMachine } from '../store/machines.js';
import type { Deployment } from '../store/types.js';
import { canLeftovers } from '../providers/types.js';
import type { EngineContext } from './context.js';
import { providerFor } from './context.js';

export async function teardown(ctx: EngineContext, dep: Deployment): Promise<boolean> {
  let allGone = true;
  for (const row of await liveMachines(ctx.store.db, dep.id)) {
    const provider = providerFor(ctx, row.provider);
    let providerId = row.provider_id;
    if (!providerId) {
      // Intent written, create's answer lost (crash): find it by tag before giving up on it.
      const found = await provider.list({ deploymentId: dep.id });
      providerId = found[0]?.id ?? null;
      if (!providerId) {
        await updateMachine(ctx.store.db, row.id, { state: 'destroyed', destroyed_at: ctx.now(), updated_at: ctx.now() });
        continue;
      }
    }
    const ref = { provider: row.provider, id: providerId, region: row.region };
    await provider.destroy(ref);
    if (await isGone(provider, ref)) {
      await updateMachine(ctx.store.db, row.id, { state: 'destroyed', destroyed_at: ctx.now(), updated_at: ctx.now() });
    } else {
      allGone = false;
    }
  }
  return allGone;
}

async function isGone(provider: { describe: (r: never) => Promise<{ state: string }> }, ref: unknown): Promise<boolean> {
  try {
    const m = await provider.describe(ref as never);
    return m.state === 'terminated';
  } catch (err) {
    if (err instanceof NotFoundError || (isProviderError(err) && err.code === 'not_found')) return true;
    throw err;
  }
}

/**
 * After every machine is gone: asks each provider the deployment used (that can tell) to
 * remove what is left of it by tag (firewalls, security groups, volumes, keys), and
 * returns what remains. Empty means the deployment is fully removed from the clouds.
 */
export async function removeLeftovers(ctx: EngineContext, dep: Deployment): Promise<Array<{ provider: string; kind: string; id: string }>> {
  // Each provider the deployment touched, with the regions its machine rows name.
  const regions = new Map<string, Set<string>>();
  const touch = (provider: string, region: string | null) => {
    const set = regions.get(provider) ?? new Set<string>();
    if (region) set.add(region);
    regions.set(provider, set);
  };
  for (const m of await allMachines(ctx, dep.id)) touch(m.provider, m.region);
  if (dep.provider) touch(dep.provider, dep.region);
  const left: Array<{ provider: string; kind: string; id: string }> = [];
  for (const [name, inRegions] of regions) {
    const provider = ctx.providers.get(name);
    if (!provider || !canLeftovers(provider)) continue;
    for (const l of await provider.removeLeftovers(dep.id, { regions: [...inRegions] })) left.push({ provider: name, kind: l.kind, id: l.id });
  }
  return left;
}

async function allMachines(ctx: EngineContext, deploymentId: string): Promise<Array<{ provider: string; region: string }>> {
  return ctx.store.db.selectFrom('machines').select(['provider', 'region']).where('deployment_id', '=', deploymentId).execute();
}
