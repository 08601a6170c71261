/** `aloft models size <tag>` and `aloft models list`: VRAM an Ollama model needs. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';

export interface ModelsFlags {
  ctx?: string;
  json?: boolean;
}

function ctxOf(v?: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--ctx ${v}: expected a whole number of tokens`);
  return n;
}

export async function modelsSizeCommand(tag: string, flags: ModelsFlags): Promise<string> {
  const { sizeModel, ModelSizeError } = await import('../../catalog/models.js');
  try {
    const s = sizeModel(tag, { ctx: ctxOf(flags.ctx) });
    if (flags.json) return JSON.stringify(s, null, 2) + '\n';
    const how = s.source === 'catalog' ? 'from the model catalog' : 'estimated from the tag';
    return (
      `${s.tag}: ${s.paramsB}B parameters, ${s.quant}, download ${s.downloadGb} GB (${how})\n` +
      `VRAM at ${s.ctx} tokens of context: ${s.vramGb} GB (KV cache ${s.kvGb} GB)\n`
    );
  } catch (err) {
    if (err instanceof ModelSizeError) throw usageError(err.message);
    throw err;
  }
}

export async function modelsListCommand(flags: ModelsFlags): Promise<string> {
  const [{ listModels }, { formatTable }] = await Promise.all([import('../../catalog/models.js'), import('../output.js')]);
  const all = listModels({ ctx: ctxOf(flags.ctx) });
  if (flags.json) return JSON.stringify(all, null, 2) + '\n';
  return formatTable(all, {
    tag: (m) => m.tag,
    params: (m) => `${m.paramsB}B`,
    quant: (m) => m.quant,
    download: (m) => `${m.downloadGb}GB`,
    ctx: (m) => m.ctx,
    vram: (m) => `${m.vramGb}GB`,
  });
}

export function register(program: Command): void {
  const models = program.command('models').description('Ollama model sizes and the VRAM they need');
  models
    .command('size')
    .description('VRAM a model tag needs at a context length')
    .argument('<tag>', 'Ollama tag, e.g. qwen2.5-coder:32b')
    .option('--ctx <tokens>', 'context length (default 4096)')
    .option('--json', 'JSON output')
    .action(async (tag: string, flags: ModelsFlags) => {
      process.stdout.write(await modelsSizeCommand(tag, flags));
    });
  models
    .command('list')
    .description('Every model in the catalog with its VRAM need')
    .option('--ctx <tokens>', 'context length (default 4096)')
    .option('--json', 'JSON output')
    .action(async (flags: ModelsFlags) => {
      process.stdout.write(await modelsListCommand(flags));
    });
}
