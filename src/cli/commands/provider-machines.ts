/**
 * `aloft providers machines [name] [--json]`: every machine each provider holds, and how
 * the running control plane classes it (GET /v1/providers/machines):
 *  - owned:   a live deployment holds it;
 *  - pending: its deployment is creating it;
 *  - orphan:  ours, but no live deployment holds it: the reconciler destroys it after
 *             ALOFT_ORPHAN_GRACE_MS;
 *  - foreign: another installation's (its aloft-installation tag): left alone here, so
 *             when that installation is lost nobody removes it (docs/providers.md).
 *
 * Only a running control plane answers, none is started: classing needs its store and its
 * installation id, and starting one just to look would start its reconciler, which
 * destroys the orphans the user may want to see first. Exit 1 when no control plane runs
 * or a provider could not be listed (what is shown is then incomplete); exit 2 for an
 * unknown provider name.
 */
import type { Command } from 'commander';
import type { ProviderMachineView, ProviderMachinesView } from '../../sdk/client.js';

export type { ProviderMachineView, ProviderMachinesView };

export function registerMachines(providers: Command): void {
  providers
    .command('machines')
    .description('the machines each provider holds, and whose they are: owned, pending, orphan or foreign')
    .argument('[name]', 'only this provider')
    .option('--json', 'machine-readable output')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      const { PROVIDER_NAMES } = await import('../../spec/check.js');
      const { CliError, usageError } = await import('../errors.js');
      if (name !== undefined && !(PROVIDER_NAMES as readonly string[]).includes(name)) {
        throw usageError(`unknown provider "${name}"; known providers: ${PROVIDER_NAMES.join(', ')}`);
      }
      const { connect, fromApiError } = await import('../connect.js');
      const client = await connect({ start: false });
      // A known provider the control plane has not configured is its 404: exit 2 as well.
      const view = await client.machines(name).catch(fromApiError);
      if (o.json) {
        const { printJson } = await import('../output.js');
        printJson(view);
      } else {
        await printHuman(view);
      }
      const failed = view.providers.filter((p) => !p.ok);
      if (failed.length > 0) throw new CliError(failed.map((p) => `${p.provider}: ${p.error ?? 'listing failed'}`).join('; '));
    });
}

async function printHuman(view: ProviderMachinesView): Promise<void> {
  const { printTable, formatDuration } = await import('../output.js');
  const now = Date.now();
  if (view.machines.length > 0) {
    printTable(view.machines, {
      provider: (m) => m.provider,
      id: (m) => m.id,
      region: (m) => m.region,
      state: (m) => m.state,
      class: (m) => m.class,
      deployment: deploymentCell,
      installation: (m) => (m.class === 'foreign' ? m.installation : ''),
      age: (m) => (m.created_at ? formatDuration(now - Date.parse(m.created_at)) : ''),
    });
  }
  // The summary and what each class means go to stderr: stdout stays the table.
  const listed = view.providers.filter((p) => p.ok).map((p) => p.provider);
  const counts = (['owned', 'pending', 'orphan', 'foreign'] as const)
    .map((c) => [c, view.machines.filter((m) => m.class === c).length] as const)
    .filter(([, n]) => n > 0)
    .map(([c, n]) => `${n} ${c}`);
  const lines = [
    `${view.machines.length} machine${view.machines.length === 1 ? '' : 's'} on ${listed.join(', ') || 'no provider'}${counts.length ? ` (${counts.join(', ')})` : ''}; this installation: ${view.installation ?? 'none'}`,
  ];
  if (counts.some((c) => c.endsWith('orphan'))) lines.push('orphan: no live deployment holds it; the reconciler destroys it after its grace period (ALOFT_ORPHAN_GRACE_MS)');
  if (counts.some((c) => c.endsWith('foreign'))) {
    lines.push("foreign: another installation's; this control plane leaves it alone (to clean up a lost installation's machines, see docs/providers.md)");
  }
  process.stderr.write(lines.join('\n') + '\n');
}

/** Its name (and status) when the store knows the deployment, else the tag's id. */
function deploymentCell(m: ProviderMachineView): string {
  if (m.deployment) return m.deployment_status ? `${m.deployment} (${m.deployment_status})` : m.deployment;
  return m.deployment_id ?? '';
}
