/**
 * `aloft catalog refresh`: rewrites data/catalog/<provider>.json (or the file in
 * $ALOFT_CATALOG_DIR) from the provider's own pricing API, when its credentials are set.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCatalogFile } from '../load.js';
import type { CatalogFile } from '../schema.js';
import { awsRefresher } from './aws.js';
import { gcpRefresher } from './gcp.js';
import { hetznerRefresher } from './hetzner.js';
import { exoscaleRefresher } from './exoscale.js';
import { ociRefresher } from './oci.js';
import { RefreshError, type RefreshContext, type Refresher } from './common.js';

export { RefreshError };
export const REFRESHERS: Record<string, Refresher> = {
  aws: awsRefresher,
  gcp: gcpRefresher,
  exoscale: exoscaleRefresher,
  oci: ociRefresher,
  hetzner: hetznerRefresher,
};

export interface RefreshResult {
  provider: string;
  status: 'refreshed' | 'skipped';
  /** Why skipped: the missing environment variables. */
  reason?: string;
  instanceTypes?: number;
  regions?: number;
  path?: string;
}

export async function readPrevious(dir: string, provider: string): Promise<CatalogFile | undefined> {
  try {
    return checkCatalogFile(JSON.parse(await readFile(join(dir, `${provider}.json`), 'utf8')), provider);
  } catch {
    return undefined;
  }
}

/**
 * Refreshes one provider, or every provider whose credentials are set. Writes each file
 * atomically (temp file + rename) after checking it against the schema.
 */
export async function refreshCatalog(opts: {
  dir: string;
  provider?: string;
  env?: NodeJS.ProcessEnv;
  endpoints?: Record<string, string>;
  fetch?: typeof fetch;
  now?: Date;
}): Promise<RefreshResult[]> {
  const env = opts.env ?? process.env;
  if (opts.provider && !REFRESHERS[opts.provider]) {
    throw new RefreshError(
      opts.provider === 'local'
        ? 'the local provider is read from this host at run time; nothing to refresh'
        : `unknown provider "${opts.provider}"; one of ${Object.keys(REFRESHERS).join(', ')}`,
    );
  }
  const names = opts.provider ? [opts.provider] : Object.keys(REFRESHERS);
  const out: RefreshResult[] = [];
  for (const name of names) {
    const r = REFRESHERS[name]!;
    const lack = r.missingCredentials(env);
    if (lack.length) {
      if (opts.provider) throw new RefreshError(`${name}: no credentials; set ${lack.join(' and ')}`);
      out.push({ provider: name, status: 'skipped', reason: `set ${lack.join(' and ')}` });
      continue;
    }
    const ctx: RefreshContext = { env, endpoint: opts.endpoints?.[name], fetch: opts.fetch, now: opts.now, previous: await readPrevious(opts.dir, name) };
    const file = checkCatalogFile(await r.refresh(ctx), `${name} (refreshed)`);
    const path = join(opts.dir, `${name}.json`);
    await writeFile(`${path}.tmp`, JSON.stringify(file, null, 1) + '\n');
    await rename(`${path}.tmp`, path);
    out.push({ provider: name, status: 'refreshed', instanceTypes: file.instance_types.length, regions: file.regions.length, path });
  }
  return out;
}
