/**
 * `aloft offers`: the catalog's offers that fit some flags, cheapest first (like
 * `sky show-gpus` and `dstack offer`). Heavy modules load inside the action.
 */
import type { Command } from 'commander';
import { usageError } from '../errors.js';

export interface OffersFlags {
  gpu?: string;
  vram?: string;
  cpus?: string;
  memory?: string;
  arch?: string;
  provider?: string;
  region?: string;
  spot?: boolean;
  maxPrice?: string;
  model?: string;
  ctx?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

const list = (s?: string) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

function num(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw usageError(`${flag} ${v}: expected a number`);
  return n;
}

/** Runs the command and returns what it prints. */
export async function offersCommand(flags: OffersFlags): Promise<string> {
  const [{ planOffers, PlanError }, req, { loadOffers }, { localOffers }, { sizeModel, ModelSizeError }, fmt] = await Promise.all([
    import('../../catalog/plan.js'),
    import('../../catalog/requirements.js'),
    import('../../catalog/load.js'),
    import('../../catalog/local-offers.js'),
    import('../../catalog/models.js'),
    import('../../catalog/format.js'),
  ]);
  if (flags.arch && flags.arch !== 'x86_64' && flags.arch !== 'arm64') throw usageError(`--arch ${flags.arch}: expected x86_64 or arm64`);
  const vram = num(flags.vram, '--vram');
  let gpu = flags.gpu;
  if (vram !== undefined) gpu = gpu ? `${gpu}:${vram}GB` : `${vram}GB+`;
  const limit = flags.all ? Infinity : (num(flags.limit, '--limit') ?? 20);
  try {
    const requirements = req.parseRequirements({
      gpu,
      cpus: flags.cpus,
      memory: flags.memory,
      arch: flags.arch as 'x86_64' | 'arm64' | undefined,
    });
    const providers = list(flags.provider);
    const offers = !providers || providers.includes('local') ? [...localOffers(), ...loadOffers()] : loadOffers();
    const input: Parameters<typeof planOffers>[0] = {
      req: requirements,
      placement: { providers, regions: list(flags.region), spot: flags.spot || undefined, max_hourly_usd: num(flags.maxPrice, '--max-price') },
    };
    if (flags.model) {
      const size = sizeModel(flags.model, { ctx: num(flags.ctx, '--ctx') });
      input.vramNeedGb = size.vramGb;
      input.model = size.tag;
    }
    const plan = planOffers(input, offers);
    if (flags.json) return JSON.stringify({ offers: plan.offers.slice(0, limit), count: plan.offers.length, vramNeedGb: plan.vramNeedGb }, null, 2) + '\n';
    const shown = plan.offers.slice(0, limit);
    let s = fmt.offersTable(shown);
    if (plan.offers.length > shown.length) s += `… ${plan.offers.length - shown.length} more (--all or --json)\n`;
    return s;
  } catch (err) {
    if (err instanceof PlanError || err instanceof req.RequirementError || err instanceof ModelSizeError) throw usageError(err.message);
    throw err;
  }
}

export function register(program: Command): void {
  program
    .command('offers')
    .description('List instance offers that fit, cheapest first')
    .option('--gpu <gpu>', 'GPU name and count (L4, A100:8), minimum VRAM (24GB+), any, or none')
    .option('--vram <gb>', 'minimum VRAM per GPU, GB')
    .option('--cpus <n>', 'minimum vCPUs')
    .option('--memory <gb>', 'minimum memory, GiB')
    .option('--arch <arch>', 'x86_64 or arm64')
    .option('--provider <list>', 'providers, comma-separated (aws,gcp,local)')
    .option('--region <list>', "regions or globs, comma-separated ('eu-*')")
    .option('--spot', 'spot prices; only offers with a spot market')
    .option('--max-price <usd>', 'maximum USD per hour')
    .option('--model <tag>', 'an Ollama tag: only offers with room for it')
    .option('--ctx <tokens>', 'context length for --model')
    .option('--limit <n>', 'rows to show (default 20)')
    .option('--all', 'show every offer')
    .option('--json', 'JSON output')
    .action(async (flags: OffersFlags) => {
      process.stdout.write(await offersCommand(flags));
    });
}
