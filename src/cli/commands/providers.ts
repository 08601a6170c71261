/**
 * `aloft providers check [name] [--json]`: which providers Aloft can use from this
 * environment, whether their credentials work, and what quota the provider reports.
 * It runs here, with this shell's credentials — the ones a local `aloft server` uses.
 * Exit 1 when a configured provider fails its check (or the named one is unusable).
 */
import type { Command } from 'commander';

const CHECK_TIMEOUT_MS = 30_000;

export interface ProviderCheckRow {
  provider: string;
  configured: boolean;
  ok: boolean;
  message: string;
  quota?: Record<string, number | string>;
}

export function register(program: Command): void {
  const providers = program.command('providers').description('the providers Aloft can use');
  providers
    .command('check')
    .description("check each provider's credentials and known quota")
    .argument('[name]', 'only this provider')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      const { PROVIDER_NAMES } = await import('../../spec/check.js');
      const { CliError, usageError } = await import('../errors.js');
      if (name !== undefined && !(PROVIDER_NAMES as readonly string[]).includes(name)) {
        throw usageError(`unknown provider "${name}"; known providers: ${PROVIDER_NAMES.join(', ')}`);
      }
      const { loadProviders } = await import('../../server/providers.js');
      const { aloftHome } = await import('../../lib/paths.js');
      const { printJson, printTable } = await import('../output.js');
      const loaded = await loadProviders(process.env, { home: aloftHome(process.env) });
      const names = name ? [name] : [...PROVIDER_NAMES];
      const rows: ProviderCheckRow[] = await Promise.all(
        names.map(async (n): Promise<ProviderCheckRow> => {
          const p = loaded.get(n);
          if (!p) return { provider: n, configured: false, ok: false, message: 'not configured (no credentials found in this environment)' };
          try {
            const r = await Promise.race([
              p.check(),
              new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS / 1000}s`)), CHECK_TIMEOUT_MS).unref()),
            ]);
            return { provider: n, configured: true, ok: r.ok, message: r.message, ...(r.quota ? { quota: r.quota } : {}) };
          } catch (err) {
            return { provider: n, configured: true, ok: false, message: (err as Error)?.message ?? String(err) };
          }
        }),
      );
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
}
