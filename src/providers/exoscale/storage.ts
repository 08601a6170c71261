/**
 * Block storage volumes (labelled like every Aloft resource) and instance snapshots
 * (unlabelled on Exoscale: traced to a deployment through their instance's labels, or,
 * once the instance is gone, through the instance name they inherit — see machine.ts).
 */
import { InvalidRequestError, NotFoundError, TransientError } from '../errors.js';
import { TAG_DEPLOYMENT, TAG_MANAGED, type CreateOptions, type ListFilter, type Snapshot, type Volume } from '../types.js';
import type { ExoscaleClient } from './client.js';
import { LABEL_IDEMPOTENCY, PROVIDER_NAME, isAloftManaged, nameMatchesDeployment } from './machine.js';
import type { ExoBlockStorageVolume, ExoInstance, ExoSnapshot } from './wire.js';

export function toVolume(v: ExoBlockStorageVolume, zone: string): Volume {
  return { id: v.id, provider: PROVIDER_NAME, region: zone, sizeGb: v.size ?? 0, attachedTo: v.instance?.id, tags: { ...(v.labels ?? {}) } };
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

export async function listVolumesRaw(c: ExoscaleClient): Promise<ExoBlockStorageVolume[]> {
  const res = await c.request<{ 'block-storage-volumes'?: ExoBlockStorageVolume[] }>('GET', '/block-storage');
  return (res['block-storage-volumes'] ?? []).filter((v) => v.state !== 'deleted' && v.state !== 'deleting');
}

export async function listVolumes(c: ExoscaleClient, filter: ListFilter = {}): Promise<Volume[]> {
  return (await listVolumesRaw(c)).filter((v) => isAloftManaged(v.labels, filter.deploymentId)).map((v) => toVolume(v, c.zone));
}

export async function createVolume(
  c: ExoscaleClient,
  req: { region: string; sizeGb: number; name: string; tags: Record<string, string> },
  opts: CreateOptions,
): Promise<Volume> {
  if (req.region !== c.zone) throw new InvalidRequestError(`Exoscale provider for zone ${c.zone} cannot create a volume in ${req.region}`);
  const existing = (await listVolumesRaw(c)).find((v) => v.labels?.[LABEL_IDEMPOTENCY] === opts.idempotencyKey);
  if (existing) return toVolume(existing, c.zone);
  const labels = { ...req.tags, [TAG_MANAGED]: 'true', [LABEL_IDEMPOTENCY]: opts.idempotencyKey };
  const id = await c.mutate('POST', '/block-storage', { body: { name: req.name.slice(0, 255), size: Math.ceil(req.sizeGb), labels } });
  if (!id) throw new TransientError('Exoscale: block storage operation returned no reference');
  return toVolume(await c.request<ExoBlockStorageVolume>('GET', `/block-storage/${id}`), c.zone);
}

export async function attachVolume(c: ExoscaleClient, volumeId: string, instanceId: string): Promise<void> {
  const v = await c.request<ExoBlockStorageVolume>('GET', `/block-storage/${volumeId}`);
  if (v.instance?.id === instanceId) return;
  await c.mutate('PUT', `/block-storage/${volumeId}:attach`, { body: { instance: { id: instanceId } } });
}

export async function detachVolume(c: ExoscaleClient, volumeId: string): Promise<void> {
  const v = await c.request<ExoBlockStorageVolume>('GET', `/block-storage/${volumeId}`);
  if (!v.instance?.id) return;
  await c.mutate('PUT', `/block-storage/${volumeId}:detach`);
}

export async function deleteVolume(c: ExoscaleClient, volumeId: string): Promise<void> {
  let v: ExoBlockStorageVolume;
  try {
    v = await c.request<ExoBlockStorageVolume>('GET', `/block-storage/${volumeId}`);
  } catch (err) {
    if (err instanceof NotFoundError) return;
    throw err;
  }
  if (v.instance?.id) await ignoreNotFound(c.mutate('PUT', `/block-storage/${volumeId}:detach`));
  await ignoreNotFound(c.mutate('DELETE', `/block-storage/${volumeId}`));
}

// ---- snapshots ----------------------------------------------------------------------

function toSnapshot(s: ExoSnapshot, tags: Record<string, string>): Snapshot {
  return {
    id: s.id,
    provider: PROVIDER_NAME,
    sourceId: s.instance?.id ?? '',
    createdAt: s['created-at'] ? Date.parse(s['created-at']) || 0 : 0,
    sizeGb: s.size,
    tags,
  };
}

/** Tags of a snapshot: its instance's Aloft labels while the instance lives, else from its name. */
function snapshotTags(s: ExoSnapshot, instances: Map<string, ExoInstance>): Record<string, string> {
  const inst = s.instance?.id ? instances.get(s.instance.id) : undefined;
  const labels = inst?.labels ?? {};
  const out: Record<string, string> = {};
  if (labels[TAG_MANAGED]) out[TAG_MANAGED] = labels[TAG_MANAGED];
  if (labels[TAG_DEPLOYMENT]) out[TAG_DEPLOYMENT] = labels[TAG_DEPLOYMENT];
  return out;
}

export async function createSnapshot(c: ExoscaleClient, instanceId: string, tags: Record<string, string>): Promise<Snapshot> {
  const id = await c.mutate('POST', `/instance/${instanceId}:create-snapshot`);
  if (!id) throw new TransientError('Exoscale: snapshot operation returned no reference');
  const s = await c.request<ExoSnapshot>('GET', `/snapshot/${id}`);
  // Exoscale stores no labels on snapshots: the tags given are echoed for the caller to keep.
  return toSnapshot(s, { ...tags, ...snapshotTags(s, new Map()) });
}

export async function listSnapshots(c: ExoscaleClient, filter: ListFilter = {}): Promise<Snapshot[]> {
  const [snaps, insts] = await Promise.all([
    c.request<{ snapshots?: ExoSnapshot[] }>('GET', '/snapshot'),
    c.request<{ instances?: ExoInstance[] }>('GET', '/instance'),
  ]);
  const byId = new Map((insts.instances ?? []).map((i) => [i.id, i]));
  const out: Snapshot[] = [];
  for (const s of snaps.snapshots ?? []) {
    if (s.state === 'deleted' || s.state === 'deleting') continue;
    const tags = snapshotTags(s, byId);
    const inst = s.instance?.id ? byId.get(s.instance.id) : undefined;
    let mine: boolean;
    if (inst) mine = isAloftManaged(inst.labels, filter.deploymentId);
    else mine = filter.deploymentId ? nameMatchesDeployment(s.name ?? s.instance?.name, filter.deploymentId) : false;
    if (!mine) continue;
    if (!inst && filter.deploymentId) Object.assign(tags, { [TAG_MANAGED]: 'true', [TAG_DEPLOYMENT]: filter.deploymentId });
    out.push(toSnapshot(s, tags));
  }
  return out;
}

export async function deleteSnapshot(c: ExoscaleClient, id: string): Promise<void> {
  await ignoreNotFound(c.mutate('DELETE', `/snapshot/${id}`));
}
