/**
 * EBS volumes and snapshots. Volumes are gp3 and encrypted, created in the availability zone
 * of the deployment's instance (an EBS volume attaches only within its zone), with the
 * idempotency key as ClientToken. Ids carry no region, so the region of an id is remembered
 * when seen and otherwise found by asking each region Aloft uses.
 */
import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeAvailabilityZonesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type Filter,
  type Snapshot as Ec2Snapshot,
  type Volume as Ec2Volume,
} from '@aws-sdk/client-ec2';
import { InvalidRequestError, isProviderError, NotFoundError } from '../errors.js';
import { TAG_DEPLOYMENT, TAG_MANAGED, type CreateOptions, type ListFilter, type MachineRef, type Snapshot, type Volume } from '../types.js';
import { aws, type AwsClients } from './client.js';
import { clientToken, describeOne, findTagged, PROVIDER, tagsOf } from './machine.js';
import { toAwsTags } from './security-group.js';

export interface RegionBook {
  /** Regions to search for an id nobody remembered. */
  regions(): string[];
  remember(id: string, region: string): void;
  recall(id: string): string | undefined;
}

const tagFilters = (f?: ListFilter): Filter[] => [
  { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
  ...(f?.deploymentId ? [{ Name: `tag:${TAG_DEPLOYMENT}`, Values: [f.deploymentId] }] : []),
];

export function toVolume(v: Ec2Volume, region: string): Volume {
  return {
    id: v.VolumeId!,
    provider: PROVIDER,
    region,
    sizeGb: v.Size ?? 0,
    attachedTo: v.Attachments?.[0]?.InstanceId,
    tags: tagsOf(v.Tags),
  };
}

export function toSnapshot(s: Ec2Snapshot): Snapshot {
  return { id: s.SnapshotId!, provider: PROVIDER, sourceId: s.VolumeId ?? '', createdAt: s.StartTime?.getTime() ?? 0, sizeGb: s.VolumeSize, tags: tagsOf(s.Tags) };
}

export function createVolumeOps(clients: AwsClients, book: RegionBook) {
  /** The region holding a volume or snapshot id. */
  async function regionOf(id: string): Promise<string> {
    const known = book.recall(id);
    if (known) return known;
    for (const region of book.regions()) {
      try {
        const cmd = id.startsWith('snap-') ? new DescribeSnapshotsCommand({ SnapshotIds: [id] }) : new DescribeVolumesCommand({ VolumeIds: [id] });
        await aws(`find ${id}`, () => clients.ec2(region).send(cmd as DescribeVolumesCommand));
        book.remember(id, region);
        return region;
      } catch (err) {
        if (!(isProviderError(err) && err.code === 'not_found')) throw err;
      }
    }
    throw new NotFoundError(`aws: ${id} not found in ${book.regions().join(', ')}`);
  }

  /** The zone of the deployment's instance, else the region's first available zone. */
  async function zoneFor(region: string, deploymentId: string | undefined): Promise<string> {
    if (deploymentId) {
      const az = (await findTagged(clients, region, deploymentId))[0]?.Placement?.AvailabilityZone;
      if (az) return az;
    }
    const out = await aws('describe zones', () =>
      clients.ec2(region).send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'state', Values: ['available'] }] })),
    );
    const zone = out.AvailabilityZones?.map((z) => z.ZoneName).find(Boolean);
    if (!zone) throw new InvalidRequestError(`aws: no available zone in ${region}`);
    return zone;
  }

  return {
    async createVolume(req: { region: string; sizeGb: number; name: string; tags: Record<string, string> }, opts: CreateOptions): Promise<Volume> {
      const tags: Record<string, string> = { [TAG_MANAGED]: 'true', ...req.tags, Name: req.name };
      const az = await zoneFor(req.region, tags[TAG_DEPLOYMENT]);
      const v = await aws('create volume', () =>
        clients.ec2(req.region).send(
          new CreateVolumeCommand({
            AvailabilityZone: az,
            Size: req.sizeGb,
            VolumeType: 'gp3',
            Encrypted: true,
            ClientToken: clientToken(opts.idempotencyKey),
            TagSpecifications: [{ ResourceType: 'volume', Tags: toAwsTags(tags) }],
          }),
        ),
      );
      book.remember(v.VolumeId!, req.region);
      return toVolume(v, req.region);
    },

    async attachVolume(volumeId: string, ref: MachineRef): Promise<void> {
      const region = ref.region ?? (await regionOf(volumeId));
      const inst = await describeOne(clients, region, ref.id);
      const used = new Set((inst.BlockDeviceMappings ?? []).map((b) => b.DeviceName));
      // Already attached here: nothing to do (attach is retried after crashes).
      if (inst.BlockDeviceMappings?.some((b) => b.Ebs?.VolumeId === volumeId)) return;
      const device = 'fghijklmnop'.split('').map((c) => `/dev/sd${c}`).find((d) => !used.has(d));
      if (!device) throw new InvalidRequestError(`aws: no free device name on ${ref.id}`);
      await aws(`attach ${volumeId}`, () => clients.ec2(region).send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: ref.id, Device: device })));
    },

    async detachVolume(volumeId: string): Promise<void> {
      const region = await regionOf(volumeId);
      try {
        await aws(`detach ${volumeId}`, () => clients.ec2(region).send(new DetachVolumeCommand({ VolumeId: volumeId })));
      } catch (err) {
        // Already detached (or detaching) is what was asked for.
        if (isProviderError(err) && err.providerCode === 'IncorrectState') return;
        throw err;
      }
    },

    async deleteVolume(volumeId: string): Promise<void> {
      let region: string;
      try {
        region = await regionOf(volumeId);
        await aws(`delete ${volumeId}`, () => clients.ec2(region).send(new DeleteVolumeCommand({ VolumeId: volumeId })));
      } catch (err) {
        if (isProviderError(err) && err.code === 'not_found') return;
        throw err;
      }
    },

    async listVolumes(filter?: ListFilter): Promise<Volume[]> {
      const out: Volume[] = [];
      for (const region of book.regions()) {
        const page = await aws('describe volumes', () => clients.ec2(region).send(new DescribeVolumesCommand({ Filters: tagFilters(filter) })));
        for (const v of page.Volumes ?? []) {
          if (v.State === 'deleting' || v.State === 'deleted') continue;
          book.remember(v.VolumeId!, region);
          out.push(toVolume(v, region));
        }
      }
      return out;
    },

    /** `sourceId` is a volume, or an instance (then its root volume is snapshotted). */
    async createSnapshot(sourceId: string, tags: Record<string, string>): Promise<Snapshot> {
      let volumeId = sourceId;
      let region: string;
      if (sourceId.startsWith('i-')) {
        region = await firstRegionWith(sourceId);
        const inst = await describeOne(clients, region, sourceId);
        volumeId = inst.BlockDeviceMappings?.find((b) => b.DeviceName === inst.RootDeviceName)?.Ebs?.VolumeId ?? '';
        if (!volumeId) throw new InvalidRequestError(`aws: ${sourceId} has no root EBS volume`);
      } else {
        region = await regionOf(volumeId);
      }
      const all = { [TAG_MANAGED]: 'true', ...tags };
      const s = await aws(`snapshot ${volumeId}`, () =>
        clients.ec2(region).send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            Description: `Aloft snapshot of ${sourceId}`,
            TagSpecifications: [{ ResourceType: 'snapshot', Tags: toAwsTags(all) }],
          }),
        ),
      );
      book.remember(s.SnapshotId!, region);
      return toSnapshot(s);
    },

    async listSnapshots(filter?: ListFilter): Promise<Snapshot[]> {
      const out: Snapshot[] = [];
      for (const region of book.regions()) {
        const page = await aws('describe snapshots', () =>
          clients.ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: tagFilters(filter) })),
        );
        for (const s of page.Snapshots ?? []) {
          book.remember(s.SnapshotId!, region);
          out.push(toSnapshot(s));
        }
      }
      return out;
    },

    async deleteSnapshot(id: string): Promise<void> {
      try {
        const region = await regionOf(id);
        await aws(`delete ${id}`, () => clients.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: id })));
      } catch (err) {
        if (isProviderError(err) && err.code === 'not_found') return;
        throw err;
      }
    },
  };

  async function firstRegionWith(instanceId: string): Promise<string> {
    const known = book.recall(instanceId);
    if (known) return known;
    for (const region of book.regions()) {
      try {
        await describeOne(clients, region, instanceId);
        book.remember(instanceId, region);
        return region;
      } catch (err) {
        if (!(isProviderError(err) && err.code === 'not_found')) throw err;
      }
    }
    throw new NotFoundError(`aws: instance ${instanceId} not found`);
  }
}
