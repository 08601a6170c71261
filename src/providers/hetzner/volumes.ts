/**
 * Hetzner volumes as Aloft volumes. `createVolume` is idempotent on its key (label
 * aloft-idempotency); attach/detach wait for their short action, with a bound.
 */
import { NotFoundError } from '../errors.js';
import { TAG_MANAGED, type CreateOptions, type ListFilter, type MachineRef, type Volume, type VolumesCapable } from '../types.js';
import type { HetznerClient } from './client.js';
import { LABEL_IDEMPOTENCY, deploymentSelector, idempotencyLabel, resourceName, toLabels } from './labels.js';
import type { HAction, HVolume } from './wire.js';

/** Hetzner's smallest volume. */
const MIN_GB = 10;

export function toVolume(v: HVolume): Volume {
  return {
    id: String(v.id),
    provider: 'hetzner',
    region: v.location?.name ?? 'unknown',
    sizeGb: v.size,
    ...(v.server !== null && v.server !== undefined ? { attachedTo: String(v.server) } : {}),
    tags: { ...(v.labels ?? {}) },
  };
}

export function createVolumeOps(client: HetznerClient, actionWaitMs: number): VolumesCapable {
  const act = async (path: string, body?: unknown) => {
    const { action } = await client.post<{ action: HAction }>(path, body);
    await client.waitAction(action, { timeoutMs: actionWaitMs });
  };
  return {
    async createVolume(req, opts: CreateOptions): Promise<Volume> {
      const idem = idempotencyLabel(opts.idempotencyKey);
      const [existing] = await client.listAll<HVolume>('/volumes', 'volumes', { label_selector: `${TAG_MANAGED}=true,${LABEL_IDEMPOTENCY}=${idem}` });
      if (existing) return toVolume(existing);
      const { volume } = await client.post<{ volume: HVolume }>('/volumes', {
        name: resourceName(req.name, opts.idempotencyKey, '-vol'),
        size: Math.max(MIN_GB, Math.ceil(req.sizeGb)),
        location: req.region,
        labels: toLabels({ ...req.tags, [TAG_MANAGED]: 'true', [LABEL_IDEMPOTENCY]: idem }),
        format: 'ext4',
        automount: false,
      });
      return toVolume(volume);
    },

    async attachVolume(volumeId: string, ref: MachineRef): Promise<void> {
      await act(`/volumes/${volumeId}/actions/attach`, { server: Number(ref.id), automount: false });
    },

    async detachVolume(volumeId: string): Promise<void> {
      const { volume } = await client.get<{ volume: HVolume }>(`/volumes/${volumeId}`);
      if (volume.server === null) return;
      await act(`/volumes/${volumeId}/actions/detach`);
    },

    async deleteVolume(volumeId: string): Promise<void> {
      try {
        const { volume } = await client.get<{ volume: HVolume }>(`/volumes/${volumeId}`);
        // Hetzner refuses to delete an attached volume.
        if (volume.server !== null) await act(`/volumes/${volumeId}/actions/detach`);
        await client.del(`/volumes/${volumeId}`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    },

    async listVolumes(filter?: ListFilter): Promise<Volume[]> {
      const volumes = await client.listAll<HVolume>('/volumes', 'volumes', { label_selector: deploymentSelector(filter?.deploymentId) });
      return volumes.map(toVolume);
    },
  };
}
