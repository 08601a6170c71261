/**
 * A stand-in for src/cli/main.ts with only the catalog commands registered, so their exit
 * codes and output can be checked end to end in a child process before the lead wires them.
 */
import { Command } from 'commander';
import { CliError } from '../../src/cli/errors.js';
import { register as offers } from '../../src/cli/commands/offers.js';
import { register as plan } from '../../src/cli/commands/plan.js';
import { register as models } from '../../src/cli/commands/models.js';
import { register as catalog } from '../../src/cli/commands/catalog.js';

const program = new Command('aloft').exitOverride();
for (const r of [offers, plan, models, catalog]) r(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`aloft: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err && typeof err === 'object' && 'exitCode' in err) process.exit(Number((err as { exitCode: number }).exitCode) === 0 ? 0 : 2);
  process.stderr.write(`aloft: ${(err as Error).message}\n`);
  process.exit(1);
});
