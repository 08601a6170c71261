/**
 * The Hetzner double's state: servers, actions, firewalls, SSH keys, volumes and
 * images that change over time like the real ones. Time is virtual-by-wall-clock:
 * every action finishes `actionMs` after it started, and `tick()` (run before every
 * request) applies the effects of the actions that are due, in order.
 *
 * Server lifecycle: initializing → running (create), running → stopping → off
 * (poweroff/shutdown), off → starting → running (poweron), any → deleting → gone.
 * A server with a running action is locked: a second action gets 423 `locked`.
 */
import { LOCATIONS, SYSTEM_IMAGES, datacenterOf, serverTypes } from './hetzner-double-data.js';
import type { Labels } from './label-selector.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ActionRec {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: { id: number; type: string }[];
  error: { code: string; message: string } | null;
  doneAt: number;
  effect?: () => void;
}

export interface ServerRec {
  id: number;
  name: string;
  status: string;
  created: string;
  labels: Labels;
  location: (typeof LOCATIONS)[number];
  type: ReturnType<typeof serverTypes>[number];
  image: (typeof SYSTEM_IMAGES)[number] | undefined;
  ipv4: string;
  ipv6: string;
  userData?: string;
  sshKeys: number[];
  volumes: number[];
}

export interface FirewallRec {
  id: number;
  name: string;
  labels: Labels;
  created: string;
  rules: { direction: string; protocol: string; port: string | null; source_ips: string[]; destination_ips: string[]; description: string | null }[];
  servers: number[];
}

export interface SshKeyRec {
  id: number;
  name: string;
  public_key: string;
  fingerprint: string;
  labels: Labels;
  created: string;
}

export interface VolumeRec {
  id: number;
  name: string;
  size: number;
  server: number | null;
  status: 'creating' | 'available';
  labels: Labels;
  location: (typeof LOCATIONS)[number];
  format: string | null;
  created: string;
}

export interface ImageRec {
  id: number;
  type: 'snapshot';
  status: 'creating' | 'available';
  description: string;
  labels: Labels;
  created: string;
  createdFrom: { id: number; name: string };
  diskSize: number;
  imageSize: number | null;
}

export interface CloudOptions {
  actionMs: number;
  /** The IPv4 address given to the n-th server (default 203.0.113.n, TEST-NET-3). */
  ipv4For?: (n: number) => string;
  /** resource_limit_exceeded past this many servers. */
  serverLimit?: number;
}

export class HetznerCloud {
  readonly servers = new Map<number, ServerRec>();
  readonly actions = new Map<number, ActionRec>();
  readonly firewalls = new Map<number, FirewallRec>();
  readonly sshKeys = new Map<number, SshKeyRec>();
  readonly volumes = new Map<number, VolumeRec>();
  readonly images = new Map<number, ImageRec>();
  private nextId = 1000;
  private serverCount = 0;

  constructor(readonly opts: CloudOptions) {}

  id(): number {
    return this.nextId++;
  }

  now(): string {
    return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  }

  newIpv4(): string {
    this.serverCount++;
    return this.opts.ipv4For?.(this.serverCount) ?? `203.0.113.${(this.serverCount % 250) + 1}`;
  }

  /** Applies every action whose time has come, oldest first. */
  tick(): void {
    const due = [...this.actions.values()].filter((a) => a.status === 'running' && a.doneAt <= Date.now()).sort((a, b) => a.doneAt - b.doneAt);
    for (const a of due) {
      a.status = 'success';
      a.progress = 100;
      a.finished = this.now();
      a.effect?.();
      a.effect = undefined;
    }
  }

  /** Starts an action on resources; `effect` runs when it finishes. Locks servers. */
  action(command: string, resources: { id: number; type: string }[], effect?: () => void, ms = this.opts.actionMs, force = false): ActionRec {
    for (const r of force ? [] : resources) {
      if (r.type === 'server' && this.runningActionOn(r.id)) throw new ApiError(423, 'locked', `server ${r.id} is locked by another action`);
    }
    const a: ActionRec = {
      id: this.id(),
      command,
      status: 'running',
      progress: 0,
      started: this.now(),
      finished: null,
      resources,
      error: null,
      doneAt: Date.now() + ms,
      effect,
    };
    this.actions.set(a.id, a);
    return a;
  }

  runningActionOn(serverId: number): ActionRec | undefined {
    return [...this.actions.values()].find((a) => a.status === 'running' && a.resources.some((r) => r.type === 'server' && r.id === serverId));
  }

  findServer(id: number): ServerRec {
    const s = this.servers.get(id);
    if (!s) throw new ApiError(404, 'not_found', `server with ID '${id}' not found`);
    return s;
  }

  firewallsOf(serverId: number): FirewallRec[] {
    return [...this.firewalls.values()].filter((f) => f.servers.includes(serverId));
  }

  serverJson(s: ServerRec) {
    return {
      id: s.id,
      name: s.name,
      status: s.status,
      created: s.created,
      labels: { ...s.labels },
      datacenter: datacenterOf(s.location),
      location: s.location,
      server_type: s.type,
      image: s.image ? imageJsonSystem(s.image, s.type.architecture, s.created) : null,
      iso: null,
      backup_window: null,
      rescue_enabled: false,
      locked: this.runningActionOn(s.id) !== undefined,
      protection: { delete: false, rebuild: false },
      primary_disk_size: s.type.disk,
      included_traffic: 21990232555520,
      ingoing_traffic: 0,
      outgoing_traffic: 0,
      load_balancers: [],
      placement_group: null,
      private_net: [],
      volumes: [...s.volumes],
      public_net: {
        ipv4: { id: s.id + 500000, ip: s.ipv4, blocked: false, dns_ptr: `static.${s.ipv4}.clients.your-server.de` },
        ipv6: { id: s.id + 600000, ip: s.ipv6, blocked: false, dns_ptr: [] },
        floating_ips: [],
        firewalls: this.firewallsOf(s.id).map((f) => ({ id: f.id, status: 'applied' as const })),
      },
    };
  }

  firewallJson(f: FirewallRec) {
    return {
      id: f.id,
      name: f.name,
      labels: { ...f.labels },
      created: f.created,
      rules: f.rules.map((r) => ({ ...r })),
      applied_to: f.servers.map((id) => ({ type: 'server' as const, server: { id } })),
    };
  }

  sshKeyJson(k: SshKeyRec) {
    return { id: k.id, name: k.name, public_key: k.public_key, fingerprint: k.fingerprint, labels: { ...k.labels }, created: k.created };
  }

  volumeJson(v: VolumeRec) {
    return {
      id: v.id,
      name: v.name,
      size: v.size,
      server: v.server,
      status: v.status,
      labels: { ...v.labels },
      location: v.location,
      linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${v.id}`,
      format: v.format,
      protection: { delete: false },
      created: v.created,
    };
  }

  imageJson(i: ImageRec) {
    return {
      id: i.id,
      type: i.type,
      status: i.status,
      name: null,
      description: i.description,
      image_size: i.imageSize,
      disk_size: i.diskSize,
      created: i.created,
      created_from: i.createdFrom,
      bound_to: null,
      os_flavor: 'ubuntu',
      os_version: null,
      rapid_deploy: false,
      protection: { delete: false },
      deprecated: null,
      deleted: null,
      labels: { ...i.labels },
      architecture: 'x86',
    };
  }

  actionJson(a: ActionRec) {
    const { doneAt: _d, effect: _e, ...rest } = a;
    return { ...rest, resources: a.resources.map((r) => ({ ...r })) };
  }
}

function imageJsonSystem(i: (typeof SYSTEM_IMAGES)[number], arch: string, created: string) {
  return {
    id: i.id,
    type: 'system',
    status: 'available',
    name: i.name,
    description: i.description,
    image_size: null,
    disk_size: 5,
    created,
    created_from: null,
    bound_to: null,
    os_flavor: i.os_flavor,
    os_version: i.os_version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: arch,
  };
}
