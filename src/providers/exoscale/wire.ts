/**
 * The subset of Exoscale API v2 JSON shapes Aloft reads and writes (names as on the
 * wire, see ../shared/cloud-specs/exoscale-v2.openapi.yaml, components/schemas).
 */
export type Labels = Record<string, string>;

export type OperationState = 'pending' | 'success' | 'failure' | 'timeout';
export interface ExoOperation {
  id: string;
  state: OperationState;
  reason?: string;
  message?: string;
  reference?: { id?: string; link?: string; command?: string };
}

export type InstanceState =
  | 'expunging'
  | 'starting'
  | 'destroying'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'migrating'
  | 'error'
  | 'destroyed';

export interface ExoInstanceType {
  id: string;
  family: string;
  size: string;
  cpus: number;
  gpus?: number;
  /** Bytes. */
  memory: number;
  authorized?: boolean;
  zones?: string[];
}

export interface ExoTemplate {
  id: string;
  name: string;
  family?: string;
  visibility?: 'private' | 'public';
  'default-user'?: string;
  size?: number;
  zones?: string[];
}

export interface ExoInstance {
  id: string;
  name: string;
  state: InstanceState;
  labels?: Labels;
  'instance-type': Partial<ExoInstanceType> & { id: string };
  template?: Partial<ExoTemplate> & { id: string };
  'security-groups'?: { id: string }[];
  'public-ip'?: string;
  'ipv6-address'?: string;
  'disk-size'?: number;
  'user-data'?: string;
  'created-at'?: string;
  snapshots?: { id: string }[];
}

export interface ExoSecurityGroupRule {
  id: string;
  'flow-direction': 'ingress' | 'egress';
  protocol: string;
  network?: string;
  'start-port'?: number;
  'end-port'?: number;
  description?: string;
}

export interface ExoSecurityGroup {
  id: string;
  name: string;
  description?: string;
  rules?: ExoSecurityGroupRule[];
}

export type VolumeState =
  | 'snapshotting'
  | 'deleted'
  | 'creating'
  | 'detached'
  | 'deleting'
  | 'attaching'
  | 'error'
  | 'attached'
  | 'detaching';

export interface ExoBlockStorageVolume {
  id: string;
  name?: string;
  size?: number;
  state?: VolumeState;
  labels?: Labels;
  instance?: { id: string };
  'created-at'?: string;
}

export interface ExoSnapshot {
  id: string;
  name?: string;
  state?: 'snapshotting' | 'deleted' | 'exporting' | 'ready' | 'deleting' | 'error' | 'exported';
  size?: number;
  'created-at'?: string;
  instance?: { id: string; name?: string };
}

export interface ExoQuota {
  resource: string;
  usage: number;
  /** -1 means unlimited. */
  limit: number;
}
