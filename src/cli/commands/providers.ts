/**
 * `aloft providers check [name] [--json] [--local]`: which providers Aloft can use,
 * whether their credentials work, and what quota each provider reports.
 *
 * When a control plane runs, it answers (GET /v1/providers): its environment is the one
 * that places deployments. Without one (or with --local) the check runs here, with this
 * shell's credentials — the ones a server started from this shell would use; no server
 * is started just to check. Cloud providers without credentials are listed with the
 * variables to set. Exit 1 when a configured provider fails its check (or the named one
 * is unusable); exit 2 for an unknown provider name.
 *
 * `aloft providers machines` (what each provider holds, and whose it is) is in
 * provider-machines.ts.
 */
import type { Command } from 'commander';
import type { ProviderCheckRow } from '../../providers/check-all.js';
import { registerMachines } from './provider-machines.js';

export type { ProviderCheckRow };

export function register(program: Command): void {
  const providers = program.command('providers').description('the providers Aloft can use');
  providers
    .command('check')
    .description("check each provider's credentials and known quota")
    .argument('[name]', 'only this provider')
    .option('--json', 'machine-readable output')
    .option('--local', "check with this shell's environment even when a control plane runs")
    .action(async (name: string | undefined, o: { json?: boolean; local?: boolean }) => {
      const { PROVIDER_NAMES } = await import('../../spec/check.js');
      const { CliError, usageError } = await import('../errors.js');
      if (name !== undefined && !(PROVIDER_NAMES as readonly string[]).includes(name)) {
        throw usageError(`unknown provider "${name}"; known providers: ${PROVIDER_NAMES.join(', ')}`);
      }
      const { printJson, printTable } = await import('../output.js');
      const rows = (o.local ? null : await fromServer(name)) ?? (await locally(name));
      if (name !== undefined && rows.length === 0) {
        rows.push({ provider: name, configured: false, ok: false, message: `not configured: Aloft has no ${name} provider built in yet` });
      }
      if (o.json) printJson(rows);
      else
        printTable(rows, {
          provider: (r) => r.provider,
          status: (r) => (!r.configured ? '-' : r.ok ? 'ok' : 'FAILED'),
          message: (r) => r.message.slice(0, 100),
          quota: (r) => (r.quota ? Object.entries(r.quota).map(([k, v]) => `${k}=${v}`).join(' ').slice(0, 80) : ''),
        });
      const failed = rows.filter((r) => (r.configured || name) && !r.ok);
      if (failed.length > 0) throw new CliError(`${failed.map((r) => r.provider).join(', ')}: check failed`);
    });
  registerMachines(providers);
}

/** The running control plane's answer, or null when none runs. */
async function fromServer(name: string | undefined): Promise<ProviderCheckRow[] | null> {
  const { connect, fromApiError } = await import('../connect.js');
  let client: Awaited<ReturnType<typeof connect>>;
  try {
    client = await connect({ start: false });
  } catch {
    return null;
  }
  try {
    return await client.providers(name);
  } catch (err) {
    const e = err as { status?: number; code?: string };
    if (e.status === 404 && e.code === 'unknown_provider') return [];
    return fromApiError(err);
  }
}

async function locally(name: string | undefined): Promise<ProviderCheckRow[]> {
  const { loadProviders } = await import('../../server/providers.js');
  const { checkProviders, secretValuesOf } = await import('../../providers/check-all.js');
  const { aloftHome } = await import('../../lib/paths.js');
  const providers = await loadProviders(process.env, { home: aloftHome(process.env) });
  return checkProviders({ providers, secretValues: secretValuesOf(process.env) }, name);
}
