/**
 * The cloud-init builder's vocabulary.
 *
 * Glossary:
 *  - BootstrapInput: everything the builder needs — the spec, the deployment, the offer,
 *    the image, the per-deployment secrets and where the control plane is.
 *  - Block: one concern of the machine (base, docker, nvidia, ollama, proxy, ...). A block
 *    contributes packages, files and a step of the on-host bootstrap script.
 *  - Step: a named shell function run once by /usr/local/lib/aloft/bootstrap.sh; a marker
 *    file makes it resumable after a reboot (the NVIDIA driver may need one).
 *  - SecretValues: the strings that stand for secrets in the output. The builder renders
 *    twice — with the real values and with `<redacted:name>` — so masking never depends on
 *    searching the output for a secret.
 */
import type { Spec } from '../spec/schema.js';

export type ImageOs = 'ubuntu-22.04' | 'ubuntu-24.04' | 'debian-12';

export interface BootstrapInput {
  spec: Spec;
  deployment: { id: string; name: string };
  offer: {
    provider: string;
    instanceType: string;
    gpu: { name: string; count: number; vramGb: number } | null;
  };
  provider: string;
  image?: { gpuReady: boolean; os: ImageOs };
  secrets: { upstreamSecret: string; agentToken: string; tailscaleAuthKey?: string };
  /** Base URL of the control plane the agent reports to (https in production). */
  controlPlaneUrl: string;
  /** The key proxy's port: the only port the machine opens. */
  proxyPort: number;
  /** A certificate from the control plane; without it the machine makes a self-signed one. */
  tls?: { certPem: string; keyPem: string };
  /** A persistent data volume (model cache, dev box homes), by its device path. */
  dataVolume?: { device: string };
  /** Choices that the spec does not carry. */
  options?: BootstrapOptions;
}

export interface BootstrapOptions {
  /** How Ollama runs: the native systemd service (default) or the ollama/ollama container. */
  ollamaMode?: 'native' | 'container';
  /** Install k3s and helm (single node, API on 127.0.0.1 only). */
  k3s?: boolean;
  /** Seconds between heartbeats (default 60). */
  heartbeatSeconds?: number;
}

export interface RenderedUserData {
  /** The cloud-config document, secrets included. */
  userData: string;
  /** gzip of userData, for providers that accept compressed user-data. */
  gzipped?: Buffer;
  /** Bytes of userData (UTF-8). */
  bytes: number;
  /** The same document with every secret replaced by `<redacted:name>`. */
  masked: string;
}

/** What the rendered document uses in place of each secret. */
export interface SecretValues {
  /** The htpasswd line checked by the key proxy (a salted SHA-256-crypt hash, never the secret). */
  proxyHtpasswd: string;
  agentToken: string;
  tailscaleAuthKey?: string;
  tlsKeyPem?: string;
  /** Workload environment values, by variable name (they may hold API keys). */
  env: Record<string, string>;
}

export interface WriteFile {
  path: string;
  content: string;
  /** Octal string such as '0600'. */
  permissions: string;
  owner?: string;
}

export interface Step {
  /** Shell-safe name: [a-z0-9_]+. */
  name: string;
  /** The body of the step's shell function. */
  script: string;
}

export interface BlockOutput {
  /** Debian packages the base step installs. */
  packages?: string[];
  files?: WriteFile[];
  steps?: Step[];
  /** Top-level cloud-config keys (users, ssh_pwauth, ...). */
  cloudConfig?: Record<string, unknown>;
}

/** Facts every block may read. */
export interface BlockContext {
  input: BootstrapInput;
  secrets: SecretValues;
  os: ImageOs;
  gpuReady: boolean;
  /** The offer has an NVIDIA GPU. */
  nvidia: boolean;
  /** Docker is used (a service image, Ollama in a container). */
  docker: boolean;
  /** Port the workload listens on, on 127.0.0.1. */
  workloadPort: number;
  /** Where the data volume is mounted, when there is one. */
  dataDir: string | null;
}

export type Block = (ctx: BlockContext) => BlockOutput | null;

/** Fixed on-host paths, shared by blocks, the agent and the tests. */
export const PATHS = {
  lib: '/usr/local/lib/aloft',
  bootstrapScript: '/usr/local/lib/aloft/bootstrap.sh',
  agentScript: '/usr/local/lib/aloft/agent.sh',
  agentEnv: '/etc/aloft/agent.env',
  workloadEnv: '/etc/aloft/workload.env',
  state: '/var/lib/aloft',
  log: '/var/log/aloft-bootstrap.log',
  proxyDir: '/etc/aloft/proxy',
  proxyConf: '/etc/nginx/conf.d/aloft-proxy.conf',
  dataMount: '/mnt/aloft-data',
} as const;
