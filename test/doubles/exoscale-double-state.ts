/**
 * State of the Exoscale API double: instances, security groups, volumes, snapshots and
 * async operations, with time-driven transitions (starting → running, stopping →
 * stopped, destroying → gone). Time advances lazily: every request first calls
 * `tick()`, which applies whatever is due. JSON shapes follow Exoscale API v2.
 */
import { randomUUID } from 'node:crypto';

export type Json = Record<string, unknown>;

export interface Operation {
  id: string;
  state: 'pending' | 'success' | 'failure';
  reason?: string;
  message?: string;
  reference?: { id: string; link?: string; command?: string };
  dueAt: number;
  /** Applied when the operation completes (success or failure). */
  effect?: () => void;
  /** When set, the operation ends in failure with this reason/message. */
  fail?: { reason: string; message: string };
}

export interface Instance {
  id: string;
  name: string;
  state: string;
  labels: Record<string, string>;
  typeId: string;
  templateId: string;
  securityGroups: string[];
  diskSize: number;
  userData?: string;
  publicIp: string;
  createdAt: string;
  /** When a transitional state (starting, stopping, destroying) ends. */
  transitionAt?: number;
}

export interface Rule {
  id: string;
  'flow-direction': 'ingress' | 'egress';
  protocol: string;
  network?: string;
  'start-port'?: number;
  'end-port'?: number;
  description?: string;
}
export interface SecurityGroup {
  id: string;
  name: string;
  description?: string;
  rules: Rule[];
}
export interface Volume {
  id: string;
  name: string;
  size: number;
  labels: Record<string, string>;
  state: string;
  instanceId?: string;
  createdAt: string;
}
export interface Snapshot {
  id: string;
  name: string;
  instanceId: string;
  size: number;
  state: string;
  createdAt: string;
}

export const INSTANCE_TYPES = [
  { id: randomUUID(), family: 'standard', size: 'micro', cpus: 1, memory: 512 * 1024 ** 2, authorized: true, zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), family: 'standard', size: 'tiny', cpus: 1, memory: 1024 ** 3, authorized: true, zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), family: 'standard', size: 'small', cpus: 2, memory: 2 * 1024 ** 3, authorized: true, zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), family: 'standard', size: 'medium', cpus: 2, memory: 4 * 1024 ** 3, authorized: true, zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), family: 'standard', size: 'large', cpus: 4, memory: 8 * 1024 ** 3, authorized: true, zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), family: 'gpua5000', size: 'small', cpus: 8, gpus: 1, memory: 56 * 1024 ** 3, authorized: true, zones: ['ch-gva-2'] },
  { id: randomUUID(), family: 'gpu3', size: 'small', cpus: 12, gpus: 1, memory: 56 * 1024 ** 3, authorized: false, zones: ['ch-gva-2'] },
];

export const TEMPLATES = [
  { id: randomUUID(), name: 'Linux Ubuntu 24.04 LTS 64-bit', family: 'ubuntu', visibility: 'public', 'default-user': 'ubuntu', size: 10 * 1024 ** 3, 'boot-mode': 'legacy', zones: ['ch-gva-2', 'de-fra-1'] },
  { id: randomUUID(), name: 'Linux Debian 12 (Bookworm) 64-bit', family: 'debian', visibility: 'public', 'default-user': 'debian', size: 8 * 1024 ** 3, 'boot-mode': 'legacy', zones: ['ch-gva-2', 'de-fra-1'] },
];

export class DoubleState {
  instances = new Map<string, Instance>();
  securityGroups = new Map<string, SecurityGroup>();
  volumes = new Map<string, Volume>();
  snapshots = new Map<string, Snapshot>();
  operations = new Map<string, Operation>();
  quotas: { resource: string; usage: number; limit: number }[] = [
    { resource: 'instance', usage: 0, limit: 20 },
    { resource: 'gpu', usage: 0, limit: 2 },
    { resource: 'block-storage-volume', usage: 0, limit: 50 },
  ];
  private ipCounter = 10;

  constructor(
    readonly zone: string,
    readonly opDelayMs: number,
    readonly bootMs: number,
    readonly publicIp?: () => string,
  ) {}

  now(): number {
    return Date.now();
  }

  nextIp(): string {
    return this.publicIp ? this.publicIp() : `198.51.100.${this.ipCounter++ % 250}`;
  }

  /** Starts an async operation; `effect` runs when it completes. */
  operation(refId: string, command: string, effect?: () => void, fail?: Operation['fail'], delayMs = this.opDelayMs): Operation {
    const op: Operation = { id: randomUUID(), state: 'pending', reference: { id: refId, command }, dueAt: this.now() + delayMs, effect, fail };
    this.operations.set(op.id, op);
    return op;
  }

  /** Applies every transition and operation that is due. */
  tick(): void {
    const t = this.now();
    for (const i of this.instances.values()) {
      if (i.transitionAt === undefined || i.transitionAt > t) continue;
      i.transitionAt = undefined;
      if (i.state === 'starting') i.state = 'running';
      else if (i.state === 'stopping') i.state = 'stopped';
      else if (i.state === 'destroying') this.removeInstance(i.id);
    }
    for (const op of this.operations.values()) {
      if (op.state !== 'pending' || op.dueAt > t) continue;
      op.effect?.();
      if (op.fail) Object.assign(op, { state: 'failure', reason: op.fail.reason, message: op.fail.message });
      else op.state = 'success';
    }
  }

  removeInstance(id: string): void {
    this.instances.delete(id);
    for (const v of this.volumes.values()) if (v.instanceId === id) Object.assign(v, { instanceId: undefined, state: 'detached' });
  }

  typeById(id: string) {
    return INSTANCE_TYPES.find((t) => t.id === id);
  }

  instanceJson(i: Instance): Json {
    return {
      id: i.id,
      name: i.name,
      state: i.state,
      labels: i.labels,
      // Like the real API, the instance names its type and template by reference only.
      'instance-type': { id: i.typeId },
      template: { id: i.templateId },
      'security-groups': i.securityGroups.map((id) => ({ id })),
      'disk-size': i.diskSize,
      ...(i.userData ? { 'user-data': i.userData } : {}),
      'public-ip': i.state === 'destroying' ? undefined : i.publicIp,
      'public-ip-assignment': 'inet4',
      'mac-address': '06:00:00:00:00:01',
      'created-at': i.createdAt,
      snapshots: [...this.snapshots.values()].filter((s) => s.instanceId === i.id).map((s) => ({ id: s.id })),
    };
  }

  groupJson(g: SecurityGroup): Json {
    return { id: g.id, name: g.name, ...(g.description ? { description: g.description } : {}), rules: g.rules };
  }

  volumeJson(v: Volume): Json {
    return {
      id: v.id,
      name: v.name,
      size: v.size,
      labels: v.labels,
      state: v.state,
      blocksize: 4096,
      ...(v.instanceId ? { instance: { id: v.instanceId } } : {}),
      'created-at': v.createdAt,
    };
  }

  snapshotJson(s: Snapshot): Json {
    const inst = this.instances.get(s.instanceId);
    return { id: s.id, name: s.name, state: s.state, size: s.size, 'created-at': s.createdAt, instance: inst ? { id: inst.id } : { id: s.instanceId } };
  }

  operationJson(op: Operation): Json {
    const { id, state, reason, message, reference } = op;
    return { id, state, ...(reason ? { reason } : {}), ...(message ? { message } : {}), ...(reference ? { reference } : {}) };
  }
}
