/**
 * `aloft bootstrap render <spec>`: prints the cloud-init user-data a cloud provider would
 * boot for the spec. Secrets (fresh ones, for the preview) are printed as
 * `<redacted:name>` unless --reveal. The size and the provider's limit go to stderr.
 */
import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';

export interface RenderOptions {
  provider: string;
  os: string;
  gpuReady?: boolean;
  gpu?: string;
  port?: string;
  controlPlane: string;
  dataVolume?: string;
  ollamaMode?: string;
  k3s?: boolean;
  reveal?: boolean;
  json?: boolean;
}

const OSES = ['ubuntu-22.04', 'ubuntu-24.04', 'debian-12'] as const;

/** The GPU of the preview offer: --gpu, else the spec's resources.gpu (L4:1, 24GB+). */
function offerGpu(flag: string | undefined, specGpu: string | undefined): { name: string; count: number; vramGb: number } | null {
  const s = flag ?? specGpu;
  if (!s || s === 'none') return null;
  const vram = /^(\d+)\s*GB\+?$/i.exec(s);
  if (vram) return { name: 'any', count: 1, vramGb: Number(vram[1]) };
  const [name, count] = s.split(':');
  const n = count === undefined ? 1 : Number(count);
  if (!name || !Number.isInteger(n) || n < 1) throw usageError(`GPU "${s}" should look like L4:1 or 24GB+`);
  return { name, count: n, vramGb: 0 };
}

/** Renders a spec file's text the way the command prints it. */
export async function renderSpecText(text: string, opts: RenderOptions, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd(), file?: string) {
  const [{ parseSpec }, { SpecError }, { loadSshPublicKeys }, bs] = await Promise.all([
    import('../../spec/parse.js'),
    import('../../spec/errors.js'),
    import('../../spec/ssh-keys.js'),
    import('../../bootstrap/index.js'),
  ]);
  // The spec module's parser: the same checks and file:line:column messages as `aloft up`.
  let spec;
  try {
    spec = parseSpec(text, { file, baseDir });
  } catch (e) {
    if (e instanceof SpecError) throw usageError(e.message);
    throw e;
  }
  if (spec.kind === 'devbox') {
    // The builder takes keys; .pub paths are read relative to the spec's directory.
    try {
      spec = { ...spec, ssh_keys: await loadSshPublicKeys(spec.ssh_keys, baseDir) };
    } catch (e) {
      throw usageError((e as Error).message);
    }
  }
  if (!(opts.provider in bs.PROVIDER_LIMITS)) throw usageError(`unknown provider "${opts.provider}" (one of ${Object.keys(bs.PROVIDER_LIMITS).join(', ')})`);
  if (!(OSES as readonly string[]).includes(opts.os)) throw usageError(`--os must be one of ${OSES.join(', ')}`);
  if (opts.ollamaMode && opts.ollamaMode !== 'native' && opts.ollamaMode !== 'container') throw usageError('--ollama-mode must be native or container');
  // Without --port, the port `aloft up` would give this spec's key proxy.
  const port = opts.port === undefined ? bs.cloudProxyPort(spec, ('port' in spec ? spec.port : undefined) ?? null) : Number(opts.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`--port ${opts.port} is not a port`);

  let tailscaleAuthKey: string | undefined;
  if (spec.access?.tailscale) {
    const name = spec.access.tailscale.auth_key_env;
    tailscaleAuthKey = env[name];
    if (!tailscaleAuthKey) {
      if (opts.reveal) throw usageError(`access.tailscale needs the auth key in $${name}`);
      tailscaleAuthKey = 'tskey-preview';
    }
  }
  const { randomBytes } = await import('node:crypto');
  let rendered;
  try {
    rendered = bs.renderUserData({
      spec,
      deployment: { id: 'preview', name: spec.name },
      offer: { provider: opts.provider, instanceType: 'preview', gpu: offerGpu(opts.gpu, spec.resources?.gpu) },
      provider: opts.provider,
      image: { os: opts.os as (typeof OSES)[number], gpuReady: !!opts.gpuReady },
      secrets: { upstreamSecret: randomBytes(32).toString('base64url'), agentToken: bs.generateAgentToken(), tailscaleAuthKey },
      controlPlaneUrl: opts.controlPlane,
      proxyPort: port,
      dataVolume: opts.dataVolume ? { device: opts.dataVolume } : undefined,
      options: { ollamaMode: opts.ollamaMode as 'native' | 'container' | undefined, k3s: !!opts.k3s },
    });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  let fit;
  try {
    fit = bs.fitForProvider(opts.provider, rendered.userData);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  return {
    text: opts.reveal ? rendered.userData : rendered.masked,
    bytes: rendered.bytes,
    provider: opts.provider,
    encoding: fit.encoding,
    measuredBytes: fit.bytes,
    limit: fit.limit,
    ingressPorts: bs.ingressPorts({ spec, proxyPort: port }),
  };
}

export function register(program: Command): void {
  const bootstrap = program.command('bootstrap').description('cloud-init user-data for cloud machines');
  bootstrap
    .command('render <spec>')
    .description('print the user-data a cloud machine boots with (secrets masked unless --reveal)')
    .option('--provider <name>', 'provider whose user-data limit applies', 'aws')
    .option('--os <os>', `image OS (${OSES.join(', ')})`, 'ubuntu-24.04')
    .option('--gpu-ready', 'the image already has GPU drivers (e.g. AWS Deep Learning Base AMI)')
    .option('--gpu <gpu>', 'GPU of the offer, e.g. L4:1 (default: resources.gpu; "none" for none)')
    .option('--port <port>', "key proxy port (default: the one `aloft up` gives this spec: its port, else 8443)")
    .option('--control-plane <url>', 'control plane URL the agent reports to', process.env.ALOFT_URL ?? 'http://127.0.0.1:8080')
    .option('--data-volume <device>', 'device of a persistent data volume')
    .option('--ollama-mode <mode>', 'native or container')
    .option('--k3s', 'install k3s and helm')
    .option('--reveal', 'print secrets instead of <redacted:name>')
    .option('--json', 'print JSON: provider, sizes, limit, ingress ports and the user-data')
    .action(async (specPath: string, opts: RenderOptions) => {
      const [{ loadSpecFile }, { SpecError }] = await Promise.all([import('../../spec/parse.js'), import('../../spec/errors.js')]);
      let loaded;
      try {
        loaded = await loadSpecFile(specPath);
      } catch (e) {
        if (e instanceof SpecError) throw usageError(e.message);
        throw e;
      }
      const r = await renderSpecText(loaded.text, opts, process.env, loaded.baseDir, specPath);
      if (opts.json) {
        const { printJson } = await import('../output.js');
        printJson({ provider: r.provider, bytes: r.bytes, encoding: r.encoding, measuredBytes: r.measuredBytes, limit: r.limit, ingressPorts: r.ingressPorts, userData: r.text });
        return;
      }
      process.stdout.write(r.text);
      process.stderr.write(`# ${r.bytes} bytes; ${r.provider} takes it ${r.encoding === 'gzip' ? 'gzip-compressed' : 'as is'} (${r.measuredBytes} of ${r.limit} bytes)\n`);
    });
}
