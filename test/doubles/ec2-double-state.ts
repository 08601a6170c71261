/**
 * The EC2 double's world: instances, security groups, volumes, snapshots, images and SSM
 * parameters, per region. Time moves state forward lazily: each request first calls
 * `tick()`, which applies every transition whose delay has passed
 * (pending → running, stopping → stopped, shutting-down → terminated, creating → available…).
 */
import { randomBytes } from 'node:crypto';

export type InstanceStateName = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
export const STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface DInstance {
  id: string;
  region: string;
  az: string;
  type: string;
  imageId: string;
  state: InstanceStateName;
  stateSince: number;
  stateReason?: { code: string; message: string };
  launchTime: number;
  tags: Record<string, string>;
  groups: string[];
  clientToken?: string;
  /** Base64, as received. */
  userData?: string;
  httpTokens: 'optional' | 'required';
  spot: boolean;
  rootDevice: string;
  privateIp: string;
  publicIp?: string;
  console: string[];
}

export interface DRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
}
export interface DSecurityGroup {
  id: string;
  region: string;
  name: string;
  description: string;
  vpcId: string;
  tags: Record<string, string>;
  ingress: DRule[];
}

export interface DAttachment {
  instanceId: string;
  device: string;
  deleteOnTermination: boolean;
  state: 'attaching' | 'attached' | 'detaching';
  since: number;
}
export interface DVolume {
  id: string;
  region: string;
  az: string;
  size: number;
  type: string;
  encrypted: boolean;
  snapshotId?: string;
  state: 'creating' | 'available' | 'in-use' | 'deleting';
  since: number;
  createTime: number;
  tags: Record<string, string>;
  attachment?: DAttachment;
}

export interface DSnapshot {
  id: string;
  region: string;
  volumeId: string;
  size: number;
  encrypted: boolean;
  description: string;
  state: 'pending' | 'completed';
  startTime: number;
  tags: Record<string, string>;
}

export interface DImage {
  id: string;
  region: string;
  name: string;
  ownerId: string;
  ownerAlias?: string;
  arch: 'x86_64' | 'arm64';
  creationDate: string;
  rootDevice: string;
  snapshotSize: number;
}

export interface Timing {
  pendingMs: number;
  stoppingMs: number;
  shuttingDownMs: number;
  volumeMs: number;
  snapshotMs: number;
  /** How long terminated instances stay visible to DescribeInstances (AWS: about an hour). */
  terminatedVisibleMs: number;
}

export const ACCOUNT_ID = '123456789012';
export const CANONICAL = '099720109477';
export const AMAZON = '898082745236';

export const newId = (prefix: string) => `${prefix}-${randomBytes(8).toString('hex').slice(0, 17)}`;

export class Ec2World {
  instances = new Map<string, DInstance>();
  groups = new Map<string, DSecurityGroup>();
  volumes = new Map<string, DVolume>();
  snapshots = new Map<string, DSnapshot>();
  images = new Map<string, DImage>();
  /** `${region} ${name}` → value. */
  parameters = new Map<string, string>();
  /** `${region} ${action} ${clientToken}` → [resource id, fingerprint of the request]. */
  clientTokens = new Map<string, [string, string]>();
  private ipCounter = 10;

  constructor(
    readonly timing: Timing,
    readonly publicIp: () => string,
  ) {}

  nextPrivateIp(): string {
    this.ipCounter++;
    return `172.31.${(this.ipCounter >> 8) & 255}.${this.ipCounter & 255}`;
  }

  setInstanceState(i: DInstance, state: InstanceStateName, now: number): void {
    i.state = state;
    i.stateSince = now;
    const stamp = ((now - i.launchTime) / 1000).toFixed(6).padStart(12);
    i.console.push(`[${stamp}] aloft-double: instance ${i.id} is ${state}`);
  }

  /** Applies every transition that is due. */
  tick(now = Date.now()): void {
    const t = this.timing;
    for (const i of this.instances.values()) {
      const age = now - i.stateSince;
      if (i.state === 'pending' && age >= t.pendingMs) {
        this.setInstanceState(i, 'running', i.stateSince + t.pendingMs);
        i.publicIp = this.publicIp();
        i.console.push('Cloud-init v. 24.1.3 finished; datasource DataSourceEc2Local.');
      } else if (i.state === 'stopping' && age >= t.stoppingMs) {
        this.setInstanceState(i, 'stopped', i.stateSince + t.stoppingMs);
        i.stateReason ??= { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
      } else if (i.state === 'shutting-down' && age >= t.shuttingDownMs) {
        this.setInstanceState(i, 'terminated', i.stateSince + t.shuttingDownMs);
        this.releaseVolumes(i);
      } else if (i.state === 'terminated' && age >= t.terminatedVisibleMs) {
        this.instances.delete(i.id);
      }
    }
    for (const v of this.volumes.values()) {
      const age = now - v.since;
      if (v.state === 'creating' && age >= t.volumeMs) Object.assign(v, { state: 'available', since: now });
      else if (v.state === 'deleting' && age >= t.volumeMs) this.volumes.delete(v.id);
      const a = v.attachment;
      if (a && now - a.since >= t.volumeMs) {
        if (a.state === 'attaching') Object.assign(a, { state: 'attached', since: now });
        else if (a.state === 'detaching') Object.assign(v, { attachment: undefined, state: 'available', since: now });
      }
    }
    for (const s of this.snapshots.values()) {
      if (s.state === 'pending' && now - s.startTime >= t.snapshotMs) s.state = 'completed';
    }
  }

  /** On termination: delete-on-termination volumes go, the others are detached. */
  private releaseVolumes(i: DInstance): void {
    for (const v of this.volumes.values()) {
      if (v.attachment?.instanceId !== i.id) continue;
      if (v.attachment.deleteOnTermination) this.volumes.delete(v.id);
      else Object.assign(v, { attachment: undefined, state: 'available' });
    }
  }

  /** The images and public parameters a fresh region has (Canonical's Ubuntu, AWS's DLAMI). */
  seedRegion(region: string): void {
    if ([...this.images.values()].some((im) => im.region === region)) return;
    const add = (im: Omit<DImage, 'id' | 'region'>, ssm?: string) => {
      const id = newId('ami');
      this.images.set(id, { ...im, id, region });
      if (ssm) this.parameters.set(`${region} ${ssm}`, id);
    };
    const ubuntu = (ver: string, code: string, arch: 'x86_64' | 'arm64', disk: string) => {
      const a = arch === 'x86_64' ? 'amd64' : 'arm64';
      add(
        {
          name: `ubuntu/images/hvm-ssd${disk === 'ebs-gp3' ? '-gp3' : ''}/ubuntu-${code}-${ver}-${a}-server-20260301`,
          ownerId: CANONICAL,
          arch,
          creationDate: '2026-03-01T10:00:00.000Z',
          rootDevice: '/dev/sda1',
          snapshotSize: 8,
        },
        `/aws/service/canonical/ubuntu/server/${ver}/stable/current/${a}/hvm/${disk}/ami-id`,
      );
    };
    for (const arch of ['x86_64', 'arm64'] as const) {
      ubuntu('22.04', 'jammy', arch, 'ebs-gp2');
      ubuntu('24.04', 'noble', arch, 'ebs-gp3');
    }
    const dlami = (arch: 'x86_64' | 'arm64', date: string) =>
      add({
        name: `Deep Learning ${arch === 'arm64' ? 'ARM64 ' : ''}Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) ${date.slice(0, 10).replaceAll('-', '')}`,
        ownerId: AMAZON,
        ownerAlias: 'amazon',
        arch,
        creationDate: date,
        rootDevice: '/dev/sda1',
        snapshotSize: 75,
      });
    // Two releases each, newest second, so "newest by CreationDate" is tested.
    for (const arch of ['x86_64', 'arm64'] as const) {
      dlami(arch, '2026-01-10T08:00:00.000Z');
      dlami(arch, '2026-03-12T08:00:00.000Z');
    }
  }
}
