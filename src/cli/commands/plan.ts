/** `aloft plan <spec>`: ranked offers for a spec, the estimate, and what was excluded and why. */
import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';

export interface PlanFlags {
  json?: boolean;
  limit?: string;
}

/** Reads and validates a spec file with the spec module: errors name file, line and field. */
async function readSpec(path: string) {
  const [{ loadSpecFile }, { SpecError }] = await Promise.all([import('../../spec/parse.js'), import('../../spec/errors.js')]);
  try {
    return (await loadSpecFile(path)).spec;
  } catch (err) {
    if (err instanceof SpecError) throw usageError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code) throw usageError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
    throw err;
  }
}

export async function planCommand(specPath: string, flags: PlanFlags): Promise<string> {
  const spec = await readSpec(specPath);
  const [{ planSpec, PlanError, cheapestPerProvider }, fmt] = await Promise.all([import('../../catalog/plan.js'), import('../../catalog/format.js')]);
  try {
    const plan = planSpec(spec);
    if (flags.json) return JSON.stringify({ ...plan, cheapestPerProvider: cheapestPerProvider(plan) }, null, 2) + '\n';
    const limit = flags.limit ? Number(flags.limit) : 10;
    if (!Number.isInteger(limit) || limit < 1) throw usageError(`--limit ${flags.limit}: expected a whole number ≥ 1`);
    return fmt.planText(plan, limit);
  } catch (err) {
    if (err instanceof PlanError) {
      if (flags.json && err.plan) {
        // Machines get the excluded list too; the exit code still says bad input.
        process.stdout.write(JSON.stringify({ error: err.message, constraint: err.constraint, ...err.plan }, null, 2) + '\n');
      }
      throw usageError(err.message);
    }
    if (err instanceof CliError) throw err;
    throw err;
  }
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('Show where a spec would run: ranked offers, hourly and monthly estimate, exclusions')
    .argument('<spec>', 'path to aloft.yaml')
    .option('--limit <n>', 'offers to show (default 10)')
    .option('--json', 'JSON output')
    .action(async (specPath: string, flags: PlanFlags) => {
      process.stdout.write(await planCommand(specPath, flags));
    });
}
