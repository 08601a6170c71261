/**
 * What a deployment still holds in Hetzner, found by label, and removing it without
 * waiting. This is the contract's LeftoversCapable (added on the aws branch), written
 * structurally so this folder does not depend on that branch: the engine or the
 * reconciler calls `removeLeftovers` until it returns [] — it works even when the
 * machine record is long gone. Snapshots and volumes labelled aloft-keep=true are not
 * leftovers.
 */
import { NotFoundError } from '../errors.js';
import type { HetznerClient } from './client.js';
import { LABEL_KEEP, deploymentSelector } from './labels.js';
import type { HFirewall, HServer, HSshKey, HVolume } from './wire.js';

export interface HetznerLeftover {
  kind: 'machine' | 'firewall' | 'volume' | 'address' | 'other';
  id: string;
  region?: string;
  state?: string;
}

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

export async function leftovers(client: HetznerClient, deploymentId: string): Promise<HetznerLeftover[]> {
  const sel = deploymentSelector(deploymentId);
  const [servers, firewalls, volumes, keys] = await Promise.all([
    client.listAll<HServer>('/servers', 'servers', { label_selector: sel }),
    client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: sel }),
    client.listAll<HVolume>('/volumes', 'volumes', { label_selector: `${sel},${LABEL_KEEP}!=true` }),
    client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { label_selector: sel }),
  ]);
  return [
    ...servers.map((s) => ({ kind: 'machine' as const, id: String(s.id), region: s.location?.name, state: s.status })),
    ...firewalls.map((f) => ({ kind: 'firewall' as const, id: String(f.id), state: f.applied_to.length > 0 ? 'applied' : 'unused' })),
    ...volumes.map((v) => ({ kind: 'volume' as const, id: String(v.id), region: v.location?.name, state: v.server === null ? v.status : 'attached' })),
    ...keys.map((k) => ({ kind: 'other' as const, id: `ssh_key/${k.id}` })),
  ];
}

/** One pass of removal: servers first; the rest only once no server of the deployment is left. */
export async function removeLeftovers(client: HetznerClient, deploymentId: string): Promise<HetznerLeftover[]> {
  const sel = deploymentSelector(deploymentId);
  const servers = await client.listAll<HServer>('/servers', 'servers', { label_selector: sel });
  for (const s of servers) if (s.status !== 'deleting') await ignoreGone(client.del(`/servers/${s.id}`));
  if (servers.length === 0) {
    const volumes = await client.listAll<HVolume>('/volumes', 'volumes', { label_selector: `${sel},${LABEL_KEEP}!=true` });
    for (const v of volumes) if (v.server === null) await ignoreGone(client.del(`/volumes/${v.id}`));
    const keys = await client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { label_selector: sel });
    for (const k of keys) await ignoreGone(client.del(`/ssh_keys/${k.id}`));
    const firewalls = await client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: sel });
    for (const f of firewalls) if (f.applied_to.length === 0) await ignoreGone(client.del(`/firewalls/${f.id}`));
  }
  return leftovers(client, deploymentId);
}
