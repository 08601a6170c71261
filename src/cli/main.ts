/**
 * The `aloft` command. Commands register themselves; heavy modules load inside their
 * actions so `aloft --version` stays close to bare node's start-up time.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError, EXIT_RUNTIME, EXIT_USAGE } from './errors.js';
import { register as lifecycle } from './commands/lifecycle.js';
import { register as status } from './commands/status.js';
import { register as server } from './commands/server.js';
import { register as offers } from './commands/offers.js';
import { register as plan } from './commands/plan.js';
import { register as models } from './commands/models.js';
import { register as catalog } from './commands/catalog.js';
import { register as keys } from './commands/keys.js';
import { register as bootstrap } from './commands/bootstrap.js';
import { register as providers } from './commands/providers.js';
import { register as cost } from './commands/cost.js';

export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

export async function main(argv: string[]): Promise<void> {
  const program = new Command('aloft')
    .description('Compute up when you need it, down when you don\'t.')
    .version(VERSION, '-v, --version')
    .showSuggestionAfterError()
    .exitOverride();
  program.configureOutput({ outputError: (s, write) => write(s) });
  lifecycle(program);
  status(program);
  server(program, VERSION);
  offers(program);
  plan(program);
  models(program);
  catalog(program);
  keys(program);
  bootstrap(program);
  providers(program);
  cost(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`error: ${(err as Error)?.message ?? String(err)}\n`);
    if (process.env.ALOFT_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`);
    process.exitCode = EXIT_RUNTIME;
  }
}
