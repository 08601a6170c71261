/**
 * The Provider contract (DESIGN.md, "The provider contract").
 *
 * Glossary:
 *  - Machine: what a provider holds for a deployment (instance, process group, pod).
 *  - MachineRef: enough to find a machine again: provider name, provider id, region.
 *  - Tags: every resource Aloft creates carries `aloft-managed=true` and
 *    `aloft-deployment=<id>`; `list()` finds machines by them. Machines also carry
 *    `aloft-installation=<id>` (the control plane's, from its master key), so two
 *    installations sharing one cloud account never take each other's machines for orphans.
 *
 * Semantics every provider keeps:
 *  - Every call returns promptly; waiting is the engine's job (it polls `describe`).
 *  - `create` is idempotent on `idempotencyKey`: called twice (after a crash), it returns
 *    the same machine. Look up by tag first; pass the key to the cloud where it takes one.
 *  - `destroy` of something already gone is success. It also removes what was created
 *    only for this machine (firewall, security group, volumes not marked to keep).
 *  - Errors are the typed ones in ./errors.ts.
 *
 * A provider imports nothing from engine, store, queue or another provider.
 */
import type { Spec } from '../spec/schema.js';

export const TAG_MANAGED = 'aloft-managed';
export const TAG_DEPLOYMENT = 'aloft-deployment';
/** The installation (control plane and its store) that created a machine. */
export const TAG_INSTALLATION = 'aloft-installation';
/** On a volume: `true` keeps it when its deployment's machine is destroyed. */
export const TAG_KEEP = 'aloft-keep';

export type MachineState = 'pending' | 'running' | 'stopping' | 'stopped' | 'terminated' | 'unknown';

export interface MachineRef {
  provider: string;
  /** The provider's own id: instance id, server id, process group id. */
  id: string;
  region?: string;
}

export interface Machine extends MachineRef {
  region: string;
  instanceType: string;
  state: MachineState;
  /** Why the machine is in its state, when the provider says (e.g. exit code). */
  stateReason?: string;
  publicIp?: string;
  privateIp?: string;
  /** Base URL the gateway forwards to (e.g. http://127.0.0.1:41234), once known. */
  endpoint?: string;
  tags: Record<string, string>;
  createdAt: number;
  /** Provider-specific facts worth keeping (security group id, volume ids, pid). */
  details?: Record<string, unknown>;
}

/** The offer a machine is created from (see catalog/). Only what providers need. */
export interface OfferRef {
  provider: string;
  region: string;
  instanceType: string;
  spot?: boolean;
  gpu?: { name: string; count: number; vramGb: number } | null;
}

export interface CreateRequest {
  deploymentId: string;
  /** The deployment's name, for human-readable cloud resource names. */
  name: string;
  spec: Spec;
  offer: OfferRef;
  /** Port the workload (or the on-host key proxy) listens on; the only one opened. */
  port: number;
  /** cloud-init user-data, for providers that boot VMs. */
  userData?: string;
  /** Environment for the workload (local provider, containers). */
  env?: Record<string, string>;
  /** Absolute working directory (local provider). */
  workdir?: string;
  /** Disk size in GB. */
  diskGb?: number;
  tags: Record<string, string>;
}

export interface CreateOptions {
  idempotencyKey: string;
}

export interface CheckResult {
  ok: boolean;
  /** One line: what works, or what is missing. Never includes a secret. */
  message: string;
  quota?: Record<string, number | string>;
}

export interface ListFilter {
  deploymentId?: string;
}

export interface Provider {
  readonly name: string;
  /**
   * The regions this provider instance can create in, when it is limited (an Exoscale
   * provider serves one zone). Absent: any region of its catalog. The planner offers
   * only these.
   */
  readonly regions?: readonly string[];
  check(): Promise<CheckResult>;
  create(req: CreateRequest, opts: CreateOptions): Promise<Machine>;
  /** Throws NotFoundError when the machine no longer exists. */
  describe(ref: MachineRef): Promise<Machine>;
  /** Machines carrying Aloft's tags (optionally for one deployment), terminated ones excluded. */
  list(filter?: ListFilter): Promise<Machine[]>;
  destroy(ref: MachineRef): Promise<void>;
}

// ---- Optional capabilities, each checked with its type guard -------------------------

export interface StartStopCapable {
  start(ref: MachineRef): Promise<void>;
  stop(ref: MachineRef): Promise<void>;
}

export interface FirewallRule {
  protocol: 'tcp' | 'udp';
  port: number;
  cidrs: string[];
}
export interface FirewallCapable {
  /** Opens exactly these rules for the machine, closing anything else Aloft opened. */
  setFirewall(ref: MachineRef, rules: FirewallRule[]): Promise<void>;
}

export interface Volume {
  id: string;
  provider: string;
  region: string;
  sizeGb: number;
  attachedTo?: string;
  tags: Record<string, string>;
}
export interface VolumesCapable {
  createVolume(req: { region: string; sizeGb: number; name: string; tags: Record<string, string> }, opts: CreateOptions): Promise<Volume>;
  attachVolume(volumeId: string, ref: MachineRef): Promise<void>;
  detachVolume(volumeId: string): Promise<void>;
  deleteVolume(volumeId: string): Promise<void>;
  listVolumes(filter?: ListFilter): Promise<Volume[]>;
}

export interface Snapshot {
  id: string;
  provider: string;
  sourceId: string;
  createdAt: number;
  sizeGb?: number;
  tags: Record<string, string>;
}
export interface SnapshotsCapable {
  createSnapshot(sourceId: string, tags: Record<string, string>): Promise<Snapshot>;
  listSnapshots(filter?: ListFilter): Promise<Snapshot[]>;
  deleteSnapshot(id: string): Promise<void>;
}

export interface LogsCapable {
  /** The machine's output (console, process log). `follow` yields new lines as they come. */
  logs(ref: MachineRef, opts?: { tail?: number; follow?: boolean; signal?: AbortSignal }): AsyncIterable<string>;
}

export interface OffersCapable {
  /** Live offers and availability, when the provider can tell. */
  liveOffers(filter?: { region?: string }): Promise<OfferRef[]>;
}

/** Something a deployment left in the cloud that `destroy` has not (yet) removed. */
export interface Leftover {
  kind: 'machine' | 'firewall' | 'volume' | 'address' | 'other';
  id: string;
  region?: string;
  /** The cloud's own word for it (EC2 state, volume status). */
  state?: string;
}
/** What the engine knows of where a deployment's resources are (its machine rows). */
export interface LeftoverHint {
  /** Regions to search besides the provider's own (a region no longer configured, say). */
  regions?: string[];
}

export interface LeftoversCapable {
  /**
   * What still exists in the cloud for this deployment, found by tag: machines not yet fully
   * gone, firewalls/security groups, volumes not tagged `aloft-keep=true`. Snapshots and kept
   * volumes are not leftovers. Empty means the deployment is fully removed; until then the
   * engine (or the reconciler) calls `destroy` again — it is safe to repeat.
   */
  leftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]>;
  /**
   * Removes what it can of the deployment's leftovers now, without waiting (terminates its
   * machines, deletes unused firewalls and unkept detached volumes), and returns what remains.
   * Works even when the machine record is long gone; call until it returns [].
   */
  removeLeftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]>;
}

const has = (p: object, ...names: string[]) => names.every((n) => typeof (p as Record<string, unknown>)[n] === 'function');
export const canStartStop = (p: Provider): p is Provider & StartStopCapable => has(p, 'start', 'stop');
export const canFirewall = (p: Provider): p is Provider & FirewallCapable => has(p, 'setFirewall');
export const canVolumes = (p: Provider): p is Provider & VolumesCapable =>
  has(p, 'createVolume', 'attachVolume', 'detachVolume', 'deleteVolume', 'listVolumes');
export const canSnapshots = (p: Provider): p is Provider & SnapshotsCapable =>
  has(p, 'createSnapshot', 'listSnapshots', 'deleteSnapshot');
export const canLogs = (p: Provider): p is Provider & LogsCapable => has(p, 'logs');
export const canLeftovers = (p: Provider): p is Provider & LeftoversCapable => has(p, 'leftovers', 'removeLeftovers');
export const canOffers = (p: Provider): p is Provider & OffersCapable => has(p, 'liveOffers');

/** The standard tags for a deployment's resources. */
export function aloftTags(deploymentId: string, extra: Record<string, string> = {}): Record<string, string> {
  return { [TAG_MANAGED]: 'true', [TAG_DEPLOYMENT]: deploymentId, ...extra };
}
