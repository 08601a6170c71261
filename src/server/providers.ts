/**
 * The composition point for providers: the local provider always, each cloud provider
 * when its credentials are in the environment. Providers never import each other; only
 * this file knows them all. Cloud modules load lazily, so a local-only server stays light.
 */
import type { Provider } from '../providers/types.js';
import { createLocalProvider } from '../providers/local/index.js';

export async function loadProviders(env: NodeJS.ProcessEnv, opts: { home: string }): Promise<Map<string, Provider>> {
  const out = new Map<string, Provider>();
  out.set('local', createLocalProvider({ home: opts.home, graceMs: Number(env.ALOFT_STOP_GRACE_MS ?? 10_000) }));
  if (env.HCLOUD_TOKEN) {
    const h = (await import('../providers/hetzner/index.js')).fromEnv(env);
    if (h) out.set('hetzner', h);
  }
  if (env.EXOSCALE_API_KEY && env.EXOSCALE_API_SECRET) {
    const x = (await import('../providers/exoscale/index.js')).fromEnv(env);
    if (x) out.set('exoscale', x);
  }
  // AWS when credentials are discoverable; from-env.js loads the SDK only then.
  const { fromEnv: awsFromEnv } = await import('../providers/aws/from-env.js');
  const aws = await awsFromEnv(env);
  if (aws) out.set('aws', aws);
  return out;
}
