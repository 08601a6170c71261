/**
 * A Hetzner server as an Aloft Machine.
 */
import type { Machine, MachineState } from '../types.js';
import { LABEL_PORT } from './labels.js';
import type { HServer, HServerStatus } from './wire.js';

const STATES: Record<HServerStatus, MachineState> = {
  initializing: 'pending',
  starting: 'pending',
  migrating: 'pending',
  rebuilding: 'pending',
  running: 'running',
  stopping: 'stopping',
  off: 'stopped',
  // A deleting server is on its way out: for Aloft it is already terminated.
  deleting: 'terminated',
  unknown: 'unknown',
};

export function machineState(status: string): MachineState {
  return STATES[status as HServerStatus] ?? 'unknown';
}

/** Hetzner gives the server a /64; the first address of it is the server's own. */
function ipv6Address(net: string | undefined): string | undefined {
  if (!net) return undefined;
  const prefix = net.split('/')[0]!;
  return prefix.endsWith('::') ? `${prefix}1` : prefix;
}

export function toMachine(s: HServer): Machine {
  const ipv4 = s.public_net?.ipv4?.ip;
  const ipv6 = ipv6Address(s.public_net?.ipv6?.ip);
  const port = Number(s.labels?.[LABEL_PORT]);
  const host = ipv4 ?? (ipv6 ? `[${ipv6}]` : undefined);
  return {
    provider: 'hetzner',
    id: String(s.id),
    region: s.location?.name ?? 'unknown',
    instanceType: s.server_type?.name ?? 'unknown',
    state: machineState(s.status),
    stateReason: s.status,
    publicIp: ipv4 ?? ipv6,
    privateIp: s.private_net?.[0]?.ip,
    endpoint: host && Number.isInteger(port) && port > 0 ? `http://${host}:${port}` : undefined,
    tags: { ...(s.labels ?? {}) },
    createdAt: Date.parse(s.created) || Date.now(),
    details: {
      name: s.name,
      status: s.status,
      firewalls: (s.public_net?.firewalls ?? []).map((f) => f.id).filter((id): id is number => typeof id === 'number'),
      volumes: s.volumes ?? [],
      ipv6: s.public_net?.ipv6?.ip,
    },
  };
}
