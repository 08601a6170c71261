/**
 * Exoscale instance ↔ Aloft Machine: states, names, labels, endpoint.
 *
 * Exoscale security groups and snapshots carry no labels, so Aloft finds them by name:
 * the security group is `aloft-<deploymentId>`, and an instance is named
 * `<name>-<deploymentId>` so that its snapshots (named after the instance) can still be
 * traced to the deployment once the instance is gone.
 */
import { TAG_DEPLOYMENT, TAG_MANAGED, type Machine, type MachineState } from '../types.js';
import type { ExoInstance, InstanceState, Labels } from './wire.js';

export const PROVIDER_NAME = 'exoscale';
/** Label carrying the create idempotency key. */
export const LABEL_IDEMPOTENCY = 'aloft-idempotency';
/** Label carrying the port the endpoint is reached on. */
export const LABEL_PORT = 'aloft-port';
/** A volume with this label set to "true" survives `destroy`. */
export const LABEL_KEEP = 'aloft-keep';

const STATES: Record<InstanceState, MachineState> = {
  starting: 'pending',
  running: 'running',
  // Live migration keeps the machine serving.
  migrating: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  destroying: 'terminated',
  destroyed: 'terminated',
  expunging: 'terminated',
  error: 'unknown',
};

export function machineState(s: string | undefined): MachineState {
  return (s && STATES[s as InstanceState]) || 'unknown';
}

/** Hostname-safe: lowercase letters, digits and dashes, no leading/trailing dash. */
export function hostnameSafe(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

export function instanceName(name: string, deploymentId: string): string {
  const suffix = hostnameSafe(deploymentId).slice(0, 40);
  const head = hostnameSafe(name).slice(0, 62 - suffix.length) || 'aloft';
  return `${head}-${suffix}`.replace(/-+$/, '');
}

/** Whether an instance (or snapshot) name belongs to this deployment. */
export function nameMatchesDeployment(name: string | undefined, deploymentId: string): boolean {
  const suffix = hostnameSafe(deploymentId).slice(0, 40);
  return !!name && suffix.length > 0 && name.endsWith(`-${suffix}`);
}

export function securityGroupName(deploymentId: string): string {
  return `aloft-${deploymentId}`.slice(0, 255);
}

export function isAloftManaged(labels: Labels | undefined, deploymentId?: string): boolean {
  if (!labels || labels[TAG_MANAGED] !== 'true') return false;
  return deploymentId === undefined || labels[TAG_DEPLOYMENT] === deploymentId;
}

export function instanceTypeName(t: { family?: string; size?: string } | undefined): string | undefined {
  return t?.family && t.size ? `${t.family}.${t.size}` : undefined;
}

export function toMachine(i: ExoInstance, zone: string, typeNameById: (id: string) => string | undefined): Machine {
  const labels = i.labels ?? {};
  const port = Number(labels[LABEL_PORT]);
  const publicIp = i['public-ip'] || undefined;
  const state = machineState(i.state);
  return {
    provider: PROVIDER_NAME,
    id: i.id,
    region: zone,
    instanceType: instanceTypeName(i['instance-type']) ?? typeNameById(i['instance-type']?.id) ?? i['instance-type']?.id ?? 'unknown',
    state,
    stateReason: state === 'unknown' || state === 'terminated' ? `exoscale state: ${i.state}` : undefined,
    publicIp,
    endpoint: publicIp && Number.isInteger(port) && port > 0 ? `http://${publicIp}:${port}` : undefined,
    tags: { ...labels },
    createdAt: i['created-at'] ? Date.parse(i['created-at']) || 0 : 0,
    details: {
      name: i.name,
      exoscaleState: i.state,
      securityGroupIds: (i['security-groups'] ?? []).map((g) => g.id),
      templateId: i.template?.id,
      ipv6Address: i['ipv6-address'],
    },
  };
}
