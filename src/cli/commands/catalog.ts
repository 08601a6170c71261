/**
 * `aloft catalog refresh [--provider P]`: rewrites the price files from the providers'
 * own pricing APIs (credentials from the environment); `aloft catalog list`: the files,
 * where their prices came from and when.
 */
import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';

export interface CatalogFlags {
  provider?: string;
  dir?: string;
  json?: boolean;
}

export async function catalogRefreshCommand(flags: CatalogFlags, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [{ refreshCatalog, RefreshError, REFRESHERS }, { catalogDir, clearCatalogCache }, { formatTable }] = await Promise.all([
    import('../../catalog/refresh/index.js'),
    import('../../catalog/load.js'),
    import('../output.js'),
  ]);
  if (flags.provider && !REFRESHERS[flags.provider] && flags.provider !== 'local') {
    throw usageError(`unknown provider "${flags.provider}"; one of ${Object.keys(REFRESHERS).join(', ')}`);
  }
  const dir = flags.dir ?? catalogDir(env);
  try {
    const out = await refreshCatalog({ dir, provider: flags.provider, env });
    clearCatalogCache();
    if (flags.json) return JSON.stringify(out, null, 2) + '\n';
    return formatTable(out, {
      provider: (r) => r.provider,
      status: (r) => r.status,
      types: (r) => r.instanceTypes,
      regions: (r) => r.regions,
      note: (r) => r.reason ?? r.path,
    });
  } catch (err) {
    if (err instanceof RefreshError) {
      throw /^the local provider|^unknown provider/.test(err.message) ? usageError(err.message) : new CliError(err.message);
    }
    throw err;
  }
}

export async function catalogListCommand(flags: CatalogFlags, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [{ loadCatalogFiles, catalogDir, fileOffers, CatalogFileError }, { formatTable }] = await Promise.all([
    import('../../catalog/load.js'),
    import('../output.js'),
  ]);
  let files;
  try {
    files = loadCatalogFiles(flags.dir ?? catalogDir(env));
  } catch (err) {
    if (err instanceof CatalogFileError) throw new CliError(err.message);
    throw err;
  }
  const rows = files.map((f) => ({
    provider: f.provider,
    types: f.dynamic === 'host' ? 'host' : String(f.instance_types.length),
    regions: f.regions.length,
    offers: fileOffers(f).length,
    currency: f.currency,
    fetched_at: f.fetched_at,
    source: f.source,
  }));
  if (flags.json) return JSON.stringify(rows, null, 2) + '\n';
  return formatTable(rows, {
    provider: (r) => r.provider,
    types: (r) => r.types,
    regions: (r) => r.regions,
    offers: (r) => r.offers,
    currency: (r) => r.currency,
    'prices as of': (r) => r.fetched_at,
    source: (r) => r.source,
  });
}

export function register(program: Command): void {
  const catalog = program.command('catalog').description('Instance price catalogs');
  catalog
    .command('refresh')
    .description("Rewrite price files from the providers' pricing APIs (needs their credentials)")
    .option('--provider <name>', 'one provider: aws, gcp, exoscale, oci, hetzner')
    .option('--dir <path>', 'catalog directory (default $ALOFT_CATALOG_DIR or the shipped data/catalog)')
    .option('--json', 'JSON output')
    .action(async (flags: CatalogFlags) => {
      process.stdout.write(await catalogRefreshCommand(flags));
    });
  catalog
    .command('list')
    .description('The price files: providers, offers, and the date and source of their prices')
    .option('--dir <path>', 'catalog directory')
    .option('--json', 'JSON output')
    .action(async (flags: CatalogFlags) => {
      process.stdout.write(await catalogListCommand(flags));
    });
}
