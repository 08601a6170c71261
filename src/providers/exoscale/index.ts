/**
 * The Exoscale provider (API v2, plain fetch). One provider per zone: it creates, lists
 * and offers in its zone; but a machine is reached in the zone it was made in (its ref's
 * region), so after EXOSCALE_ZONE changes, the older machines are still described,
 * stopped and destroyed there — never taken for gone because this zone does not know them.
 *
 * create: look up by labels (aloft-managed, aloft-deployment, aloft-idempotency) and
 * return what exists; else ensure the per-deployment security group (only the request's
 * port, none behind Tailscale), look up instance type and template by name, POST
 * /instance and wait for its operation. A failed create removes what it made, unless
 * the instance operation is merely still pending (a retry will find the instance).
 * destroy: delete the instance, wait, then its security group and its volumes not
 * labelled aloft-keep=true; a machine already gone is success.
 */
import { AuthError, CapacityError, InvalidRequestError, NotFoundError, QuotaError, ThrottledError, TransientError, isProviderError } from '../errors.js';
import {
  TAG_DEPLOYMENT,
  TAG_MANAGED,
  type CheckResult,
  type CreateOptions,
  type CreateRequest,
  type FirewallCapable,
  type FirewallRule,
  type Leftover,
  type LeftoverHint,
  type LeftoversCapable,
  type ListFilter,
  type Machine,
  type MachineRef,
  type OfferRef,
  type OffersCapable,
  type Provider,
  type SnapshotsCapable,
  type StartStopCapable,
  type VolumesCapable,
} from '../types.js';
import { usableIn, toOfferRef } from './catalog.js';
import { createExoscaleClient, type ExoscaleClient, type ExoscaleClientOptions } from './client.js';
import { LABEL_IDEMPOTENCY, LABEL_KEEP, LABEL_PORT, PROVIDER_NAME, instanceName, instanceTypeName, isAloftManaged, toMachine } from './machine.js';
import { defaultRules, deleteSecurityGroup, ensureSecurityGroup, findSecurityGroup, setRules } from './security-groups.js';
import * as storage from './storage.js';
import { userDataField } from '../user-data.js';
import type { ExoInstance, ExoInstanceType, ExoQuota, ExoTemplate } from './wire.js';

export const DEFAULT_TEMPLATE = 'Linux Ubuntu 24.04 LTS 64-bit';
export const DEFAULT_ZONE = 'ch-gva-2';

export interface ExoscaleProviderOptions extends ExoscaleClientOptions {
  /** Template (image) name. Default: Ubuntu 24.04 LTS. */
  template?: string;
  /**
   * Base URLs of other zones (a zone not named here: `endpoint` when it holds `{zone}`,
   * else the public `https://api-<zone>.exoscale.com/v2`).
   */
  zoneEndpoints?: Record<string, string>;
}

/** The base URL for calls about a zone; `endpoint` (or its `{zone}` template) serves the provider's own. */
export function endpointFor(opts: Pick<ExoscaleProviderOptions, 'zone' | 'endpoint' | 'zoneEndpoints'>, zone: string): string | undefined {
  if (opts.zoneEndpoints?.[zone]) return opts.zoneEndpoints[zone];
  if (opts.endpoint?.includes('{zone}')) return opts.endpoint.replaceAll('{zone}', zone);
  return zone === opts.zone ? opts.endpoint : undefined;
}

export type ExoscaleProvider = Provider &
  StartStopCapable &
  FirewallCapable &
  VolumesCapable &
  SnapshotsCapable &
  OffersCapable &
  LeftoversCapable & {
    /**
     * Removes a deployment's security group and volumes (not aloft-keep) when no instance of
     * it is left: for a destroy that was interrupted after the instance went, since a
     * destroy of a missing instance cannot tell whose group it was.
     */
    cleanupDeployment(deploymentId: string): Promise<void>;
  };

/** Base64 user-data within Exoscale's 32 KiB limit (measured on the base64), gzipped when needed (cloud-init reads both). */
export function encodeUserData(userData: string): string {
  return userDataField('exoscale', userData);
}

export function createExoscaleProvider(opts: ExoscaleProviderOptions): ExoscaleProvider {
  const zone = opts.zone;
  const clients = new Map<string, ExoscaleClient>();
  const clientFor = (z: string): ExoscaleClient => {
    let cz = clients.get(z);
    if (!cz) clients.set(z, (cz = createExoscaleClient({ ...opts, zone: z, endpoint: endpointFor(opts, z) })));
    return cz;
  };
  const c = clientFor(zone);
  /** The client of the zone a machine lives in. */
  const of = (ref: MachineRef): ExoscaleClient => clientFor(ref.region || zone);
  /** The provider's zone and the hinted ones: where a deployment's leftovers may be. */
  const zonesOf = (hint?: LeftoverHint): string[] => [...new Set([zone, ...(hint?.regions ?? [])])];
  const templateName = opts.template ?? DEFAULT_TEMPLATE;
  let typesCache: ExoInstanceType[] | undefined;

  async function instanceTypes(): Promise<ExoInstanceType[]> {
    if (!typesCache) typesCache = (await c.request<{ 'instance-types'?: ExoInstanceType[] }>('GET', '/instance-type'))['instance-types'] ?? [];
    return typesCache;
  }
  const typeNameById = (id: string) => instanceTypeName(typesCache?.find((t) => t.id === id));
  const machine = (i: ExoInstance, z = zone) => toMachine(i, z, typeNameById);

  async function listInstances(cz = c): Promise<ExoInstance[]> {
    return (await cz.request<{ instances?: ExoInstance[] }>('GET', '/instance')).instances ?? [];
  }
  async function getInstance(id: string, cz = c): Promise<ExoInstance> {
    return cz.request<ExoInstance>('GET', `/instance/${encodeURIComponent(id)}`);
  }

  async function findInstanceType(name: string): Promise<ExoInstanceType> {
    const types = await instanceTypes();
    const t = types.find((x) => instanceTypeName(x)?.toLowerCase() === name.toLowerCase() || x.id === name);
    if (!t) throw new InvalidRequestError(`Exoscale has no instance type ${name}`);
    if (t.authorized === false) throw new QuotaError(`Exoscale instance type ${name} needs authorisation on this account`, { providerCode: 'unauthorized-type' });
    if (!usableIn(t, zone)) throw new CapacityError(`Exoscale instance type ${name} is not offered in ${zone}`, { providerCode: 'type-not-in-zone' });
    return t;
  }

  async function findTemplate(name: string): Promise<ExoTemplate> {
    for (const visibility of ['public', 'private'] as const) {
      const res = await c.request<{ templates?: ExoTemplate[] }>('GET', '/template', { query: { visibility } });
      const hits = (res.templates ?? []).filter((t) => t.name === name);
      if (hits.length > 0) return hits[hits.length - 1];
    }
    throw new InvalidRequestError(`Exoscale has no template named "${name}" in ${zone}`);
  }

  async function findCreated(deploymentId: string, key: string): Promise<ExoInstance | undefined> {
    return (await listInstances()).find(
      (i) => isAloftManaged(i.labels, deploymentId) && i.labels?.[LABEL_IDEMPOTENCY] === key && i.state !== 'destroyed' && i.state !== 'destroying',
    );
  }

  /** Best effort: whatever a failed create left behind. The original error is what matters. */
  async function cleanupFailedCreate(deploymentId: string, key: string, sgId: string | undefined): Promise<void> {
    try {
      const inst = await findCreated(deploymentId, key);
      if (inst) await c.mutate('DELETE', `/instance/${inst.id}`);
      if (sgId) await deleteSecurityGroup(c, sgId);
    } catch {
      /* the engine's reconciler finds what is left by its labels */
    }
  }

  async function create(req: CreateRequest, { idempotencyKey }: CreateOptions): Promise<Machine> {
    if (req.offer.region && req.offer.region !== zone) {
      throw new InvalidRequestError(`Exoscale provider for zone ${zone} got an offer in ${req.offer.region}`);
    }
    const existing = await findCreated(req.deploymentId, idempotencyKey);
    if (existing) return machine(existing);
    const [type, template] = [await findInstanceType(req.offer.instanceType), await findTemplate(templateName)];
    const userData = req.userData ? encodeUserData(req.userData) : undefined;
    let sgId: string | undefined;
    let instanceId: string;
    try {
      const sg = await ensureSecurityGroup(c, req.deploymentId);
      sgId = sg.id;
      await setRules(c, sg.id, defaultRules(req.port, !!req.spec.access?.tailscale));
      const labels = {
        ...req.tags,
        [TAG_MANAGED]: 'true',
        [TAG_DEPLOYMENT]: req.deploymentId,
        [LABEL_IDEMPOTENCY]: idempotencyKey,
        [LABEL_PORT]: String(req.port),
      };
      const id = await c.mutate('POST', '/instance', {
        body: {
          name: instanceName(req.name, req.deploymentId),
          'instance-type': { id: type.id },
          template: { id: template.id },
          'disk-size': Math.max(10, Math.ceil(req.diskGb ?? req.spec.resources?.disk ?? 50)),
          ...(userData ? { 'user-data': userData } : {}),
          labels,
          'security-groups': [{ id: sg.id }],
          'public-ip-assignment': 'inet4',
        },
      });
      if (!id) throw new TransientError('Exoscale: instance operation returned no reference');
      instanceId = id;
    } catch (err) {
      // Still pending: the instance exists and a retry with the same key returns it.
      if (!(isProviderError(err) && err.providerCode === 'operation-pending')) await cleanupFailedCreate(req.deploymentId, idempotencyKey, sgId);
      throw err;
    }
    // The instance exists now: a failed read must not undo it (a retry finds it by label).
    return machine(await getWithRetry(instanceId));
  }

  /** GET an instance, riding out a few throttled or transient answers. */
  async function getWithRetry(id: string, attempts = 5): Promise<ExoInstance> {
    for (let i = 1; ; i++) {
      try {
        return await getInstance(id);
      } catch (err) {
        if (i >= attempts || !(isProviderError(err) && err.retryable)) throw err;
        const wait = err instanceof ThrottledError && err.retryAfterMs !== undefined ? err.retryAfterMs : 200 * i;
        await new Promise((r) => setTimeout(r, Math.min(wait, 5000)));
      }
    }
  }

  async function destroy(ref: MachineRef): Promise<void> {
    const cz = of(ref);
    let inst: ExoInstance;
    try {
      inst = await getInstance(ref.id, cz);
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
    const deploymentId = inst.labels?.[TAG_DEPLOYMENT];
    if (inst.state !== 'destroyed') {
      try {
        await cz.mutate('DELETE', `/instance/${inst.id}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    if (!deploymentId || inst.labels?.[TAG_MANAGED] !== 'true') return;
    await removeDeploymentResources(deploymentId, cz);
  }

  async function removeDeploymentResources(deploymentId: string, cz = c): Promise<void> {
    const sg = await findSecurityGroup(cz, deploymentId);
    if (sg) await deleteSecurityGroup(cz, sg.id);
    for (const v of await storage.listVolumes(cz, { deploymentId })) {
      if (v.tags[LABEL_KEEP] !== 'true') await storage.deleteVolume(cz, v.id);
    }
  }

  async function cleanupDeployment(deploymentId: string, cz = c): Promise<void> {
    const live = (await listInstances(cz)).filter((i) => isAloftManaged(i.labels, deploymentId) && i.state !== 'destroyed');
    if (live.length > 0) return;
    await removeDeploymentResources(deploymentId, cz);
  }

  /** LeftoversCapable: the deployment's live instances, its security group, its unkept volumes, in each zone searched. */
  async function leftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]> {
    const out: Leftover[] = [];
    for (const z of zonesOf(hint)) {
      const cz = clientFor(z);
      for (const i of await listInstances(cz)) {
        if (isAloftManaged(i.labels, deploymentId) && i.state !== 'destroyed') out.push({ kind: 'machine', id: i.id, region: z, state: i.state });
      }
      const sg = await findSecurityGroup(cz, deploymentId);
      if (sg && !out.some((l) => l.kind === 'firewall' && l.id === sg.id)) out.push({ kind: 'firewall', id: sg.id, region: z });
      for (const v of await storage.listVolumes(cz, { deploymentId })) {
        if (v.tags[LABEL_KEEP] !== 'true') out.push({ kind: 'volume', id: v.id, region: z, state: v.attachedTo ? 'attached' : 'detached' });
      }
    }
    return out;
  }

  /**
   * One pass: delete the deployment's instances in every zone searched, then, where none is
   * left, its group and volumes (instances first everywhere: a security group is shared by
   * the zones and cannot go while an instance uses it).
   */
  async function removeLeftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]> {
    const zones = zonesOf(hint);
    for (const z of zones) {
      const cz = clientFor(z);
      for (const i of await listInstances(cz)) {
        if (!isAloftManaged(i.labels, deploymentId) || i.state === 'destroyed' || i.state === 'destroying') continue;
        try {
          await cz.mutate('DELETE', `/instance/${i.id}`);
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
        }
      }
    }
    for (const z of zones) await cleanupDeployment(deploymentId, clientFor(z));
    return leftovers(deploymentId, hint);
  }

  async function check(): Promise<CheckResult> {
    try {
      const res = await c.request<{ quotas?: ExoQuota[] }>('GET', '/quota');
      const quota: Record<string, string> = {};
      for (const q of res.quotas ?? []) quota[q.resource] = q.limit < 0 ? `${q.usage}/unlimited` : `${q.usage}/${q.limit}`;
      return { ok: true, message: `Exoscale credentials work (zone ${zone}, ${c.baseUrl})`, quota };
    } catch (err) {
      if (err instanceof AuthError) return { ok: false, message: `Exoscale rejected the credentials: ${err.message}` };
      return { ok: false, message: isProviderError(err) ? err.message : `Exoscale check failed: ${String(err)}` };
    }
  }

  async function instanceOf(ref: MachineRef): Promise<ExoInstance> {
    return getInstance(ref.id, of(ref));
  }

  return {
    name: PROVIDER_NAME,
    regions: [zone],
    check,
    create,
    describe: async (ref) => machine(await instanceOf(ref), ref.region || zone),
    list: async (filter: ListFilter = {}) =>
      (await listInstances())
        .filter((i) => isAloftManaged(i.labels, filter.deploymentId))
        .map((i) => machine(i))
        .filter((m) => m.state !== 'terminated'),
    destroy,
    cleanupDeployment,
    leftovers,
    removeLeftovers,
    start: async (ref) => void (await of(ref).mutate('PUT', `/instance/${ref.id}:start`, { body: {} })),
    stop: async (ref) => void (await of(ref).mutate('PUT', `/instance/${ref.id}:stop`)),
    setFirewall: async (ref: MachineRef, rules: FirewallRule[]) => {
      const inst = await instanceOf(ref);
      const deploymentId = inst.labels?.[TAG_DEPLOYMENT];
      const sg = deploymentId ? await findSecurityGroup(of(ref), deploymentId) : undefined;
      if (!sg) throw new NotFoundError(`Exoscale: no Aloft security group for instance ${ref.id}`);
      await setRules(of(ref), sg.id, rules);
    },
    createVolume: (req, o) => storage.createVolume(c, req, o),
    attachVolume: (volumeId, ref) => storage.attachVolume(of(ref), volumeId, ref.id),
    detachVolume: (volumeId) => storage.detachVolume(c, volumeId),
    deleteVolume: (volumeId) => storage.deleteVolume(c, volumeId),
    listVolumes: (filter) => storage.listVolumes(c, filter),
    createSnapshot: (sourceId, tags) => storage.createSnapshot(c, sourceId, tags),
    listSnapshots: (filter) => storage.listSnapshots(c, filter),
    deleteSnapshot: (id) => storage.deleteSnapshot(c, id),
    liveOffers: async (filter: { region?: string } = {}): Promise<OfferRef[]> => {
      if (filter.region && filter.region !== zone) return [];
      return (await instanceTypes()).filter((t) => usableIn(t, zone)).map((t) => toOfferRef(t, zone));
    },
  };
}

/**
 * The provider from the environment: EXOSCALE_API_KEY, EXOSCALE_API_SECRET,
 * EXOSCALE_ZONE (default ch-gva-2), EXOSCALE_API_ENDPOINT (replaces the whole base URL;
 * `{zone}` in it stands for the zone, so machines made in another zone are reached too).
 * Null without credentials.
 */
export function fromEnv(env: NodeJS.ProcessEnv = process.env, extra: Partial<ExoscaleProviderOptions> = {}): ExoscaleProvider | null {
  const key = env.EXOSCALE_API_KEY?.trim();
  const secret = env.EXOSCALE_API_SECRET?.trim();
  if (!key || !secret) return null;
  return createExoscaleProvider({
    key,
    secret,
    zone: env.EXOSCALE_ZONE?.trim() || DEFAULT_ZONE,
    endpoint: env.EXOSCALE_API_ENDPOINT?.trim() || undefined,
    template: env.EXOSCALE_TEMPLATE?.trim() || undefined,
    ...extra,
  });
}
