/**
 * `destroy` on Hetzner: delete the server, wait (bounded) for it to go, then delete
 * what was made only for its deployment — volumes not labelled aloft-keep=true, SSH
 * keys, and last the firewall, which carries `aloft-server=<id>` and so lets a second
 * `destroy` (after a crash, or after the bounded wait ran out) find the deployment
 * again once the server is gone. Snapshots are kept on purpose.
 */
import { NotFoundError, TransientError } from '../errors.js';
import { TAG_DEPLOYMENT, TAG_MANAGED, type MachineRef } from '../types.js';
import type { HetznerClient } from './client.js';
import { LABEL_KEEP, LABEL_SERVER } from './labels.js';
import type { HAction, HFirewall, HServer, HSshKey, HVolume } from './wire.js';

export interface DestroyContext {
  client: HetznerClient;
  /** How long `destroy` waits for the server to be gone before it says "try again". */
  destroyWaitMs: number;
}

const gone = (err: unknown) => err instanceof NotFoundError;

async function ignoreGone(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!gone(err)) throw err;
  }
}

async function waitGone(ctx: DestroyContext, id: string, deadline: number): Promise<void> {
  let interval = 250;
  while (Date.now() < deadline) {
    try {
      await ctx.client.get<{ server: HServer }>(`/servers/${id}`);
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(interval, Math.max(0, deadline - Date.now()))));
    interval = Math.min(interval * 1.5, 3000);
  }
  throw new TransientError(`hetzner: server ${id} is still being deleted; call destroy again`, { providerCode: 'still_deleting' });
}

async function cleanupDeployment(ctx: DestroyContext, deployment: string, serverId: string): Promise<void> {
  const selector = `${TAG_MANAGED}=true,${TAG_DEPLOYMENT}=${deployment}`;
  const others = (await ctx.client.listAll<HServer>('/servers', 'servers', { label_selector: selector })).filter(
    (s) => String(s.id) !== serverId && s.status !== 'deleting',
  );
  // Another server of the same deployment still uses these resources.
  if (others.length > 0) return;
  const volumes = await ctx.client.listAll<HVolume>('/volumes', 'volumes', { label_selector: `${selector},${LABEL_KEEP}!=true` });
  for (const v of volumes) {
    if (v.server !== null && String(v.server) !== serverId) continue;
    await ignoreGone(ctx.client.del(`/volumes/${v.id}`));
  }
  const keys = await ctx.client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { label_selector: selector });
  for (const k of keys) await ignoreGone(ctx.client.del(`/ssh_keys/${k.id}`));
  const firewalls = await ctx.client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: selector });
  for (const f of firewalls) await ignoreGone(ctx.client.del(`/firewalls/${f.id}`));
}

export async function destroyServer(ctx: DestroyContext, ref: MachineRef): Promise<void> {
  const deadline = Date.now() + ctx.destroyWaitMs;
  let deployment: string | undefined;
  let server: HServer | undefined;
  try {
    server = (await ctx.client.get<{ server: HServer }>(`/servers/${ref.id}`)).server;
  } catch (err) {
    if (!gone(err)) throw err;
  }
  if (server) {
    deployment = server.labels?.[TAG_DEPLOYMENT];
    if (server.status !== 'deleting') {
      try {
        const res = await ctx.client.del<{ action: HAction }>(`/servers/${ref.id}`);
        if (res?.action) await ctx.client.waitAction(res.action, { timeoutMs: Math.max(0, deadline - Date.now()) });
      } catch (err) {
        if (!gone(err)) throw err;
      }
    }
    await waitGone(ctx, ref.id, deadline);
  } else {
    // Already gone: the firewall's marker names the deployment whose leftovers to remove.
    const [fw] = await ctx.client.listAll<HFirewall>('/firewalls', 'firewalls', {
      label_selector: `${TAG_MANAGED}=true,${LABEL_SERVER}=${ref.id}`,
    });
    deployment = fw?.labels?.[TAG_DEPLOYMENT];
  }
  if (server && server.labels?.[TAG_MANAGED] !== 'true') return; // not Aloft's: delete the server only
  if (deployment) await cleanupDeployment(ctx, deployment, ref.id);
}
