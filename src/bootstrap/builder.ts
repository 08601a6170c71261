/**
 * renderUserData: the spec and its deployment in, a cloud-config document out.
 *
 * Blocks run in a fixed order (each step of the on-host script follows the ones it needs):
 * base (swap) → packages → volume → tailscale → docker → nvidia → workload (ollama,
 * service/app, devbox) → k3s → key proxy → lockdown; the agent ships alongside.
 *
 * The document is rendered twice: once with the secrets, once with `<redacted:name>` in
 * their place. Masking is therefore exact — it never searches the output for a secret.
 */
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import type { Block, BlockContext, BlockOutput, BootstrapInput, RenderedUserData, SecretValues, Step, WriteFile } from './types.js';
import { PATHS } from './types.js';
import { proxyHtpasswdLine, PROXY_USER, randomSalt } from './sha-crypt.js';
import { BOOTSTRAP_UNIT, packagesStep, renderBootstrapScript } from './script.js';
import { baseBlock } from './blocks/base.js';
import { volumeBlock } from './blocks/volume.js';
import { tailscaleBlock } from './blocks/tailscale.js';
import { dockerBlock } from './blocks/docker.js';
import { isNvidiaGpu, nvidiaBlock } from './blocks/nvidia.js';
import { OLLAMA_PORT, ollamaBlock } from './blocks/ollama.js';
import { DEFAULT_WORKLOAD_PORT, workloadBlock } from './blocks/workload.js';
import { devboxBlock } from './blocks/devbox.js';
import { k3sBlock } from './blocks/k3s.js';
import { proxyBlock } from './blocks/proxy.js';
import { lockdownBlock } from './blocks/lockdown.js';
import { agentBlock } from './blocks/agent.js';

const redacted = (name: string) => `<redacted:${name}>`;

/** The port the workload listens on, on 127.0.0.1 (22 for a dev box: its workload is sshd). */
export function workloadPort(spec: BootstrapInput['spec']): number {
  switch (spec.kind) {
    case 'ollama':
      return OLLAMA_PORT;
    case 'devbox':
      return 22;
    default:
      return spec.port ?? DEFAULT_WORKLOAD_PORT;
  }
}

/** The key proxy's default port on a cloud machine (docs/bootstrap.md). */
export const CLOUD_PROXY_PORT = 8443;

/**
 * The one port a cloud machine opens: its key proxy's. spec.port when given, unless the
 * workload itself listens there (a service's own port, kept on 127.0.0.1 behind the
 * proxy); then the default proxy port. The engine and `aloft bootstrap render` both ask it.
 */
export function cloudProxyPort(spec: BootstrapInput['spec'], asked: number | null): number {
  const own = workloadPort(spec);
  const port = asked ?? CLOUD_PROXY_PORT;
  if (port !== own || spec.kind === 'devbox') return port;
  return own === CLOUD_PROXY_PORT ? CLOUD_PROXY_PORT + 1000 : CLOUD_PROXY_PORT;
}

/** The one port a provider should open for this spec (none with Tailscale). */
export function ingressPorts(input: Pick<BootstrapInput, 'spec' | 'proxyPort'>): number[] {
  if (input.spec.access?.tailscale) return [];
  return input.spec.kind === 'devbox' ? [22] : [input.proxyPort];
}

function context(input: BootstrapInput, secrets: SecretValues): BlockContext {
  const spec = input.spec;
  const docker = (spec.kind === 'service' && !!spec.image) || (spec.kind === 'ollama' && input.options?.ollamaMode === 'container');
  return {
    input,
    secrets,
    os: input.image?.os ?? 'ubuntu-24.04',
    gpuReady: input.image?.gpuReady ?? false,
    nvidia: !!input.offer.gpu && input.offer.gpu.count > 0 && isNvidiaGpu(input.offer.gpu.name),
    docker,
    workloadPort: workloadPort(spec),
    dataDir: input.dataVolume ? PATHS.dataMount : null,
  };
}

function blocksFor(input: BootstrapInput): Block[] {
  const proxy = input.spec.kind === 'devbox' ? [] : [proxyBlock];
  return [volumeBlock, tailscaleBlock, dockerBlock, nvidiaBlock, ollamaBlock, workloadBlock, devboxBlock, k3sBlock, ...proxy, lockdownBlock];
}

function renderDocument(input: BootstrapInput, secrets: SecretValues): string {
  const ctx = context(input, secrets);
  const base = baseBlock(ctx)!;
  const outputs = blocksFor(input).map((b) => b(ctx)).filter((o): o is BlockOutput => o !== null);
  const all = [base, ...outputs, agentBlock(ctx)!];

  const packages = all.flatMap((o) => o.packages ?? []);
  const steps: Step[] = [...(base.steps ?? []), packagesStep(packages), ...outputs.flatMap((o) => o.steps ?? [])];
  const files: WriteFile[] = [
    ...all.flatMap((o) => o.files ?? []),
    { path: PATHS.bootstrapScript, content: renderBootstrapScript(steps), permissions: '0700' },
    { path: '/etc/systemd/system/aloft-bootstrap.service', content: BOOTSTRAP_UNIT, permissions: '0644' },
  ];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`two blocks write ${f.path}`);
    seen.add(f.path);
  }

  const doc: Record<string, unknown> = {};
  for (const o of all) Object.assign(doc, o.cloudConfig ?? {});
  doc.write_files = files.map((f) => ({ path: f.path, owner: f.owner ?? 'root:root', permissions: f.permissions, content: f.content }));
  doc.runcmd = [
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', 'aloft-bootstrap.service'],
    // --no-block: cloud-init's final stage ends while the bootstrap carries on under systemd.
    ['systemctl', 'start', '--no-block', 'aloft-bootstrap.service'],
  ];
  const header =
    `#cloud-config\n` +
    `# Aloft deployment ${input.deployment.id} (${input.deployment.name}), kind ${input.spec.kind}, for ${input.provider}.\n` +
    `# Generated by aloft; secrets are written to root-only files. Log: ${PATHS.log}\n`;
  return header + stringify(doc, { blockQuote: 'literal', lineWidth: 0 });
}

function validate(input: BootstrapInput): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.deployment.id)) throw new Error(`deployment id "${input.deployment.id}" must be 1-64 letters, digits, _ or -`);
  if (!/^https?:\/\/[^\s'"]+$/.test(input.controlPlaneUrl)) throw new Error(`controlPlaneUrl must be an http(s) URL, got "${input.controlPlaneUrl}"`);
  if (!Number.isInteger(input.proxyPort) || input.proxyPort < 1 || input.proxyPort > 65535) throw new Error(`proxyPort ${input.proxyPort} is not a port`);
  if (input.proxyPort === workloadPort(input.spec) && input.spec.kind !== 'devbox') throw new Error(`proxyPort ${input.proxyPort} is the workload's own port`);
  if (!input.secrets.upstreamSecret || input.secrets.upstreamSecret.length < 16) throw new Error('the upstream secret must be at least 16 characters');
  if (!/^[A-Za-z0-9_.~+/=-]{16,}$/.test(input.secrets.agentToken)) throw new Error('the agent token must be at least 16 URL-safe characters');
  if (input.secrets.tailscaleAuthKey !== undefined && !/^[A-Za-z0-9_-]+$/.test(input.secrets.tailscaleAuthKey)) throw new Error('the Tailscale auth key has unexpected characters');
}

export function renderUserData(input: BootstrapInput): RenderedUserData {
  validate(input);
  const env = 'env' in input.spec && input.spec.env ? input.spec.env : {};
  const real: SecretValues = {
    proxyHtpasswd: proxyHtpasswdLine(input.secrets.upstreamSecret, randomSalt()),
    agentToken: input.secrets.agentToken,
    tailscaleAuthKey: input.secrets.tailscaleAuthKey,
    tlsKeyPem: input.tls?.keyPem,
    env,
  };
  const masked: SecretValues = {
    proxyHtpasswd: `${PROXY_USER}:${redacted('upstreamSecretHash')}`,
    agentToken: redacted('agentToken'),
    tailscaleAuthKey: input.secrets.tailscaleAuthKey === undefined ? undefined : redacted('tailscaleAuthKey'),
    tlsKeyPem: input.tls ? redacted('tlsKey') : undefined,
    env: Object.fromEntries(Object.keys(env).map((k) => [k, redacted(`env.${k}`)])),
  };
  const userData = renderDocument(input, real);
  return {
    userData,
    gzipped: gzipSync(Buffer.from(userData, 'utf8'), { level: 9 }),
    bytes: Buffer.byteLength(userData, 'utf8'),
    masked: renderDocument(input, masked),
  };
}
