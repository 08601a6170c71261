/**
 * The Hetzner Cloud provider: servers with labels, a firewall per deployment, SSH keys,
 * volumes, power on/off, snapshots (images of type snapshot) and live offers.
 *
 * Calls return promptly: power on/off return once Hetzner accepted the action (the
 * engine polls `describe`); only short actions (firewall rules, volume attach) are
 * waited for, with a bound. Hetzner has no console-output API, so no `logs`.
 */
import { NotFoundError, ProviderError } from '../errors.js';
import {
  TAG_DEPLOYMENT,
  TAG_MANAGED,
  type CheckResult,
  type FirewallCapable,
  type FirewallRule,
  type ListFilter,
  type Machine,
  type MachineRef,
  type OffersCapable,
  type Provider,
  type Snapshot,
  type SnapshotsCapable,
  type StartStopCapable,
  type VolumesCapable,
} from '../types.js';
import { fetchHetznerOffers } from './catalog.js';
import { createHetznerClient, type HetznerClient } from './client.js';
import { createServer } from './create.js';
import { destroyServer } from './destroy.js';
import { LABEL_SERVER, deploymentSelector, toLabels } from './labels.js';
import { leftovers, removeLeftovers, type HetznerLeftover } from './leftovers.js';
import { toMachine } from './machine.js';
import { createVolumeOps } from './volumes.js';
import type { HAction, HFirewall, HImage, HServer } from './wire.js';

export type HetznerProvider = Provider &
  StartStopCapable &
  FirewallCapable &
  VolumesCapable &
  SnapshotsCapable &
  OffersCapable & {
    /** LeftoversCapable (see leftovers.ts): what the deployment still holds, found by label. */
    leftovers(deploymentId: string): Promise<HetznerLeftover[]>;
    /** Removes what it can now, without waiting; call until it returns []. */
    removeLeftovers(deploymentId: string): Promise<HetznerLeftover[]>;
  };

export interface HetznerProviderOptions {
  token: string;
  /** Replaces https://api.hetzner.cloud/v1 (HCLOUD_ENDPOINT). */
  endpoint?: string;
  fetch?: typeof globalThis.fetch;
  /** Per-HTTP-call timeout (default 30 s). */
  timeoutMs?: number;
  /** Bound on waiting for short actions: firewall rules, volume attach/detach (default 20 s). */
  actionWaitMs?: number;
  /** Bound on waiting for a server to be deleted inside `destroy` (default 60 s). */
  destroyWaitMs?: number;
  /** OS image for new servers (default ubuntu-24.04). */
  image?: string;
  /** EUR→USD rate for offers (default catalog.HETZNER_EUR_USD). */
  eurToUsd?: number;
}

export { createHetznerClient } from './client.js';
export { fetchHetznerOffers } from './catalog.js';

export function createHetznerProvider(opts: HetznerProviderOptions): HetznerProvider {
  const client: HetznerClient = createHetznerClient(opts);
  const actionWaitMs = opts.actionWaitMs ?? 20_000;
  const ctx = { client, image: opts.image ?? 'ubuntu-24.04', actionWaitMs, destroyWaitMs: opts.destroyWaitMs ?? 60_000 };
  const getServer = async (ref: MachineRef) => (await client.get<{ server: HServer }>(`/servers/${ref.id}`)).server;
  const power = async (ref: MachineRef, what: 'poweron' | 'poweroff') => {
    await client.post<{ action: HAction }>(`/servers/${ref.id}/actions/${what}`);
  };

  const provider: HetznerProvider = {
    name: 'hetzner',

    async check(): Promise<CheckResult> {
      try {
        const body = await client.get<{ meta?: { pagination?: { total_entries: number | null } } }>('/servers', { per_page: 1 });
        const rate = client.rateLimit();
        const quota: Record<string, number> = {};
        const servers = body?.meta?.pagination?.total_entries;
        if (typeof servers === 'number') quota.servers = servers;
        if (rate.limit !== undefined) quota.rateLimitPerHour = rate.limit;
        if (rate.remaining !== undefined) quota.rateLimitRemaining = rate.remaining;
        return { ok: true, message: `HCLOUD_TOKEN accepted by ${client.endpoint}`, quota };
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        const why = err.code === 'auth' ? 'HCLOUD_TOKEN rejected' : `cannot reach ${client.endpoint}`;
        return { ok: false, message: `${why}: ${err.providerCode ?? err.code}` };
      }
    },

    create: (req, createOpts) => createServer(ctx, req, createOpts),

    async describe(ref): Promise<Machine> {
      return toMachine(await getServer(ref));
    },

    async list(filter?: ListFilter): Promise<Machine[]> {
      const servers = await client.listAll<HServer>('/servers', 'servers', { label_selector: deploymentSelector(filter?.deploymentId) });
      return servers.map(toMachine).filter((m) => m.state !== 'terminated');
    },

    destroy: (ref) => destroyServer(ctx, ref),

    start: (ref) => power(ref, 'poweron'),
    stop: (ref) => power(ref, 'poweroff'),

    async setFirewall(ref: MachineRef, rules: FirewallRule[]): Promise<void> {
      const server = await getServer(ref);
      const wire = rules.map((r) => ({ direction: 'in' as const, protocol: r.protocol, port: String(r.port), source_ips: r.cidrs }));
      const attached = new Set((server.public_net.firewalls ?? []).map((f) => f.id));
      const ours = (await client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: `${TAG_MANAGED}=true` })).filter(
        (f) => attached.has(f.id) || f.labels?.[LABEL_SERVER] === String(server.id),
      );
      const actions: HAction[] = [];
      if (ours.length === 0) {
        const deployment = server.labels[TAG_DEPLOYMENT];
        const labels = toLabels({ [TAG_MANAGED]: 'true', ...(deployment ? { [TAG_DEPLOYMENT]: deployment } : {}), [LABEL_SERVER]: String(server.id) });
        const made = await client.post<{ firewall: HFirewall; actions?: HAction[] }>('/firewalls', {
          name: `${server.name}-fw`,
          labels,
          rules: wire,
          apply_to: [{ type: 'server', server: { id: server.id } }],
        });
        actions.push(...(made.actions ?? []));
      } else {
        for (const f of ours) {
          const res = await client.post<{ actions: HAction[] }>(`/firewalls/${f.id}/actions/set_rules`, { rules: wire });
          actions.push(...(res.actions ?? []));
        }
      }
      for (const a of actions) await client.waitAction(a, { timeoutMs: actionWaitMs });
    },

    ...createVolumeOps(client, actionWaitMs),

    async createSnapshot(sourceId: string, tags: Record<string, string>): Promise<Snapshot> {
      const labels = toLabels({ ...tags, [TAG_MANAGED]: 'true' });
      const res = await client.post<{ image: HImage; action: HAction }>(`/servers/${sourceId}/actions/create_image`, {
        type: 'snapshot',
        description: `aloft snapshot of server ${sourceId}`,
        labels,
      });
      return toSnapshot(res.image, sourceId);
    },

    async listSnapshots(filter?: ListFilter): Promise<Snapshot[]> {
      const images = await client.listAll<HImage>('/images', 'images', {
        type: ['snapshot'],
        label_selector: deploymentSelector(filter?.deploymentId),
      });
      return images.map((i) => toSnapshot(i));
    },

    async deleteSnapshot(id: string): Promise<void> {
      try {
        await client.del(`/images/${id}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },

    leftovers: (deploymentId) => leftovers(client, deploymentId),
    removeLeftovers: (deploymentId) => removeLeftovers(client, deploymentId),

    async liveOffers(filter) {
      const offers = await fetchHetznerOffers(client, { eurToUsd: opts.eurToUsd, region: filter?.region });
      return offers.map((o) => ({ provider: o.provider, region: o.region, instanceType: o.instanceType, gpu: null }));
    },
  };
  return provider;
}

function toSnapshot(i: HImage, sourceId?: string): Snapshot {
  return {
    id: String(i.id),
    provider: 'hetzner',
    sourceId: sourceId ?? (i.created_from ? String(i.created_from.id) : ''),
    createdAt: Date.parse(i.created) || Date.now(),
    ...(i.image_size != null ? { sizeGb: i.image_size } : {}),
    tags: { ...(i.labels ?? {}) },
  };
}

/** The provider when HCLOUD_TOKEN is set (HCLOUD_ENDPOINT optional), else null. */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): HetznerProvider | null {
  const token = env.HCLOUD_TOKEN?.trim();
  if (!token) return null;
  return createHetznerProvider({ token, endpoint: env.HCLOUD_ENDPOINT?.trim() || undefined });
}
