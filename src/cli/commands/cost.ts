/** `aloft cost`: what deployments have cost over a window, from their status history. */
import type { Command } from 'commander';

const GROUPS = ['deployment', 'provider', 'user'] as const;
type Group = (typeof GROUPS)[number];

export function register(program: Command): void {
  program
    .command('cost')
    .description('accrued cost per deployment, provider or user (compute while running, disks while stopped)')
    .option('--since <duration>', 'window back from now: 30d, 12h, 2w', '30d')
    .option('--by <group>', `group by ${GROUPS.join(', ')}`, 'deployment')
    .option('--json', 'machine-readable output')
    .action(async (o: { since: string; by: string; json?: boolean }) => {
      const { usageError } = await import('../errors.js');
      if (!(GROUPS as readonly string[]).includes(o.by)) throw usageError(`--by takes ${GROUPS.join(', ')}, not ${o.by}`);
      const { parseSince } = await import('../../catalog/cost-report.js');
      try {
        parseSince(o.since);
      } catch {
        throw usageError(`--since takes a duration like 30d, 12h or 2w, not ${o.since}`);
      }
      const { connect, fromApiError } = await import('../connect.js');
      const { printJson, printTable } = await import('../output.js');
      const client = await connect();
      try {
        const report = await client.cost({ since: o.since.trim(), by: o.by as Group });
        if (o.json) return printJson(report);
        if (report.rows.length === 0) return void process.stdout.write(`No deployments since ${report.since}.\n`);
        const usd = (n: number) => `$${n.toFixed(2)}`;
        const hours = (n: number) => n.toFixed(1);
        printTable([...report.rows, report.total], {
          [o.by]: (r) => r.key,
          ...(o.by === 'deployment' ? {} : { deployments: (r: (typeof report.rows)[number]) => r.deployments }),
          'running h': (r) => hours(r.running_hours),
          'stopped h': (r) => hours(r.stopped_hours),
          compute: (r) => usd(r.compute_usd),
          disk: (r) => usd(r.disk_usd),
          total: (r) => usd(r.total_usd),
        });
        process.stdout.write(`Since ${report.since} (list prices; see docs/catalog.md)\n`);
      } catch (err) {
        fromApiError(err);
      }
    });
}
