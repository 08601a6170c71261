/** up, stop, start, down: ask the control plane, then show progress until done. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CliError, usageError } from '../errors.js';
import { confirm } from '../prompt.js';
import type { PlannedOffer } from '../../catalog/types.js';

export function register(program: Command): void {
  program
    .command('up')
    .description('create a deployment from a spec and wait until it is ready')
    .argument('<spec>', 'path to an aloft.yaml')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-d, --detach', 'return once the deployment is queued')
    .option('--provider <name>', "place it only on this provider (replaces the spec's placement.providers)")
    .option('--region <region>', "place it only in this region (replaces the spec's placement.regions)")
    .action(async (specPath: string, o: { yes?: boolean; detach?: boolean; provider?: string; region?: string }) => {
      const { connect, fromApiError } = await import('../connect.js');
      const { followUntil } = await import('../follow.js');
      const { chosenOfferLine } = await import('../../catalog/format.js');
      let yaml: string;
      try {
        yaml = await readFile(specPath, 'utf8');
      } catch (err) {
        throw usageError(`cannot read ${specPath}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      if (o.provider !== undefined && !/^[a-z0-9-]{1,32}$/.test(o.provider)) throw usageError(`--provider "${o.provider}" is not a provider name`);
      const input = {
        yaml,
        file: specPath,
        base_dir: dirname(resolve(specPath)),
        ...(o.provider !== undefined ? { provider: o.provider } : {}),
        ...(o.region !== undefined ? { region: o.region } : {}),
      };
      const client = await connect();
      const started = Date.now();
      try {
        const plan = await client.plan(input);
        const offer = plan.offers[0] as unknown as PlannedOffer | undefined;
        if (!offer) throw usageError(`no offer fits ${plan.name}`);
        process.stderr.write(`${plan.name}: ${chosenOfferLine(offer)}\n`);
        // Spending money needs a yes: asked on a terminal, --yes otherwise.
        if (offer.hourlyUsd > 0 && !o.yes) {
          if (!process.stdin.isTTY) throw usageError(`${plan.name} costs money and there is no terminal to ask: pass --yes to launch it`);
          if (!(await confirm('Launch?'))) throw usageError('not confirmed (pass --yes to skip the question)');
        }
        const dep = await client.submit(input);
        if (o.detach) {
          process.stdout.write(`${dep.name} queued\n`);
          return;
        }
        const done = await followUntil(client, dep.name, { until: ['ready'], since: started });
        if (done.status !== 'ready') throw new CliError(`${done.name} ${done.status}: ${done.status_reason ?? 'see aloft logs ' + done.name}`);
        process.stdout.write(`${done.name} is ready at ${done.url ?? done.endpoint}\n`);
        // The gateway lets in only key holders: say how to get one.
        if (done.url) process.stderr.write(`Call it with a key: aloft keys create --deployment ${done.name}, then Authorization: Bearer <key>\n`);
      } catch (err) {
        fromApiError(err);
      }
    });

  for (const [verb, until, what] of [
    ['stop', 'stopped', 'stop a deployment (keeps its disk; start resumes it)'],
    ['start', 'ready', 'start a stopped deployment'],
  ] as const) {
    program
      .command(verb)
      .description(what)
      .argument('<name>')
      .option('-d, --detach', 'return at once')
      .action(async (name: string, o: { detach?: boolean }) => {
        const { connect, fromApiError } = await import('../connect.js');
        const { followUntil } = await import('../follow.js');
        const client = await connect();
        try {
          const before = await client.events(name);
          const dep = verb === 'stop' ? await client.stop(name) : await client.start(name);
          if (o.detach) return void process.stdout.write(`${dep.name}: ${verb} requested\n`);
          const done = await followUntil(client, name, { until: [until], after: before.at(-1)?.id ?? 0 });
          if (done.status !== until) throw new CliError(`${name} ${done.status}: ${done.status_reason ?? ''}`.trim());
          process.stdout.write(`${name} ${done.status}${done.status === 'ready' ? ` at ${done.url ?? done.endpoint}` : ''}\n`);
        } catch (err) {
          fromApiError(err);
        }
      });
  }

  program
    .command('down')
    .description('destroy a deployment and everything Aloft created for it')
    .argument('<name>')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-d, --detach', 'return at once')
    .action(async (name: string, o: { yes?: boolean; detach?: boolean }) => {
      const { connect, fromApiError } = await import('../connect.js');
      const { followUntil } = await import('../follow.js');
      const client = await connect();
      try {
        const dep = await client.get(name);
        if (!o.yes && !(await confirm(`Destroy ${dep.name} (${dep.provider ?? '-'}/${dep.region ?? '-'})?`))) throw usageError('not confirmed (pass --yes to skip the question)');
        const before = await client.events(name);
        await client.destroy(name);
        if (o.detach) return void process.stdout.write(`${name}: destroy requested\n`);
        const done = await followUntil(client, name, { until: ['destroyed'], after: before.at(-1)?.id ?? 0 });
        if (done.status !== 'destroyed') throw new CliError(`${name} ${done.status}: ${done.status_reason ?? ''}`.trim());
        process.stdout.write(`${name} destroyed\n`);
      } catch (err) {
        fromApiError(err);
      }
    });
}
