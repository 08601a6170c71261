/**
 * resolveSpec: the spec with every default filled in and every unit converted,
 * so the engine, the optimizer and the gateway never re-read YAML shorthand
 * ("15m", "24GB+", a relative workdir) or repeat a default.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Kind, Spec } from './schema.js';
import { parseDuration } from './duration.js';
import { parseGpuRequirement, parseMinNumber, type GpuRequirement } from './resources.js';
import { expandPath } from './ssh-keys.js';

export { parseGpuRequirement, parseMinNumber, type GpuRequirement } from './resources.js';

/** How long a request may wait for a stopped deployment to wake, unless the spec says. */
export const DEFAULT_WAKE_TIMEOUT_MS = 5 * 60_000;
/** Ports the workloads listen on when the spec names none. */
export const DEFAULT_PORTS = { service: 8080, ollama: 11434, app: 8080 } as const;
/** Paths that answer 2xx once the workload is ready. */
export const DEFAULT_HEALTH = { service: '/', ollama: '/api/tags', app: '/' } as const;
/** The login user of a dev box when the spec names none. */
export const DEFAULT_DEVBOX_USER = 'aloft';

export interface ResolvedResources {
  gpu: GpuRequirement | null;
  /** Minimum vCPUs; null: any. */
  minCpus: number | null;
  /** Minimum memory in GB; null: any. */
  minMemoryGb: number | null;
  diskGb: number | null;
  arch: 'x86_64' | 'arm64' | null;
}

export interface ResolvedPlacement {
  /** null: any provider that is configured. */
  providers: string[] | null;
  /** Names or globs (eu-*); null: any region. */
  regions: string[] | null;
  spot: boolean;
  maxHourlyUsd: number | null;
}

export interface ResolvedLifecycle {
  /** null: never stopped for being idle. */
  idleTimeoutMs: number | null;
  onIdle: 'stop' | 'destroy';
  /** null: no time limit. */
  ttlMs: number | null;
  wakeOnRequest: boolean;
  wakeTimeoutMs: number;
  snapshotOnDestroy: boolean;
}

export interface ResolvedAccess {
  gateway: boolean;
  public: boolean;
  tailscale: { authKeyEnv: string } | null;
  ports: number[];
}

interface ResolvedBase {
  name: string;
  kind: Kind;
  resources: ResolvedResources;
  placement: ResolvedPlacement;
  lifecycle: ResolvedLifecycle;
  access: ResolvedAccess;
  env: Record<string, string>;
  /** The spec as written, for display and for storing beside the deployment. */
  spec: Spec;
}

export interface ResolvedService extends ResolvedBase {
  kind: 'service';
  command: string;
  image: string | null;
  port: number;
  health: string;
  /** Absolute. */
  workdir: string;
}

export interface ResolvedOllama extends ResolvedBase {
  kind: 'ollama';
  model: string;
  context: number | null;
  port: number;
  health: string;
}

export interface ResolvedDevbox extends ResolvedBase {
  kind: 'devbox';
  user: string;
  /** Inline public keys as written, and .pub paths made absolute (read them with loadSshPublicKeys). */
  sshKeys: string[];
  image: string | null;
  port: null;
  health: null;
}

export interface ResolvedApp extends ResolvedBase {
  kind: 'app';
  repository: string;
  ref: string | null;
  build: string | null;
  command: string;
  port: number;
  health: string;
}

export type ResolvedSpec = ResolvedService | ResolvedOllama | ResolvedDevbox | ResolvedApp;

/**
 * Defaults and units for a parsed (valid) spec. `baseDir` — the spec file's
 * directory — anchors relative paths; it defaults to the current directory.
 */
export function resolveSpec(spec: Spec, baseDir: string = process.cwd()): ResolvedSpec {
  const base: ResolvedBase = {
    name: spec.name,
    kind: spec.kind,
    resources: resolveResources(spec),
    placement: {
      providers: spec.placement?.providers ? [...spec.placement.providers] : null,
      regions: spec.placement?.regions ? [...spec.placement.regions] : null,
      spot: spec.placement?.spot ?? false,
      maxHourlyUsd: spec.placement?.max_hourly_usd ?? null,
    },
    lifecycle: resolveLifecycle(spec),
    access: {
      gateway: spec.access?.gateway ?? true,
      public: spec.access?.public ?? false,
      tailscale: spec.access?.tailscale ? { authKeyEnv: spec.access.tailscale.auth_key_env } : null,
      ports: [...(spec.access?.ports ?? [])],
    },
    env: 'env' in spec && spec.env ? { ...spec.env } : {},
    spec,
  };
  switch (spec.kind) {
    case 'service':
      return {
        ...base,
        kind: 'service',
        command: spec.command,
        image: spec.image ?? null,
        port: spec.port ?? DEFAULT_PORTS.service,
        health: spec.health ?? DEFAULT_HEALTH.service,
        workdir: spec.workdir === undefined ? resolve(baseDir) : isAbsolute(spec.workdir) ? spec.workdir : expandPath(spec.workdir, baseDir),
      };
    case 'ollama':
      return {
        ...base,
        kind: 'ollama',
        model: spec.model,
        context: spec.context ?? null,
        port: spec.port ?? DEFAULT_PORTS.ollama,
        health: DEFAULT_HEALTH.ollama,
      };
    case 'devbox':
      return {
        ...base,
        kind: 'devbox',
        user: spec.user ?? DEFAULT_DEVBOX_USER,
        sshKeys: spec.ssh_keys.map((k) => (/^(?:~|\.{1,2})?\//.test(k) || k.endsWith('.pub') ? expandPath(k, baseDir) : k)),
        image: spec.image ?? null,
        port: null,
        health: null,
      };
    case 'app':
      return {
        ...base,
        kind: 'app',
        repository: spec.repository,
        ref: spec.ref ?? null,
        build: spec.build ?? null,
        command: spec.command,
        port: spec.port ?? DEFAULT_PORTS.app,
        health: spec.health ?? DEFAULT_HEALTH.app,
      };
  }
}

function resolveResources(spec: Spec): ResolvedResources {
  const r = spec.resources ?? {};
  return {
    gpu: r.gpu === undefined ? null : parseGpuRequirement(r.gpu),
    minCpus: r.cpus === undefined ? null : parseMinNumber(r.cpus).min,
    minMemoryGb: r.memory === undefined ? null : parseMinNumber(r.memory).min,
    diskGb: r.disk ?? null,
    arch: r.arch ?? null,
  };
}

export function resolveLifecycle(spec: Spec): ResolvedLifecycle {
  const l = spec.lifecycle ?? {};
  return {
    idleTimeoutMs: l.idle_timeout === undefined ? null : parseDuration(l.idle_timeout),
    onIdle: l.on_idle ?? 'stop',
    ttlMs: l.ttl === undefined ? null : parseDuration(l.ttl),
    // Waking on a request only makes sense for workloads answered over HTTP through the gateway.
    wakeOnRequest: l.wake_on_request ?? (spec.kind === 'ollama' || spec.kind === 'service'),
    wakeTimeoutMs: l.wake_timeout === undefined ? DEFAULT_WAKE_TIMEOUT_MS : parseDuration(l.wake_timeout),
    snapshotOnDestroy: l.snapshot_on_destroy ?? false,
  };
}
