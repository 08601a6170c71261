/**
 * `aloft keys create|list|revoke`: keys for the gateway. A new key is printed once (the
 * store keeps only its hash); afterwards it is known by its public prefix.
 */
import type { Command } from 'commander';

export function register(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke gateway keys');

  keys
    .command('create')
    .description('create a key (printed once)')
    .option('-d, --deployment <name>', 'open only this deployment (default: all)')
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h')
    .option('--name <label>', 'a label to recognise it by')
    .option('--json', 'machine-readable output')
    .action(async (o: { deployment?: string; expires?: string; name?: string; json?: boolean }) => {
      const k = await withKeys((c) => c.createKey({ deployment: o.deployment, expires: o.expires, name: o.name }));
      const { printJson } = await import('../output.js');
      if (o.json) return printJson(k);
      process.stdout.write(`${k.key}\n`);
      const scope = k.deployment ? `opens ${k.deployment}` : 'opens every deployment';
      const until = k.expires_at ? `, expires ${k.expires_at}` : '';
      process.stderr.write(`Key aloft_${k.prefix}… created (${scope}${until}). It is shown only now: store it safely.\n`);
      process.stderr.write(`Use it as: Authorization: Bearer <key>  (or X-Aloft-Key / X-Ollama-Key)\n`);
    });

  keys
    .command('list')
    .description('list keys (prefixes only; keys are never shown again)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const rows = await withKeys((c) => c.listKeys());
      const { printJson, printTable, formatDuration } = await import('../output.js');
      if (o.json) return printJson(rows);
      if (rows.length === 0) return void process.stdout.write('No keys. Create one with: aloft keys create\n');
      const now = Date.now();
      const ago = (iso: string | null) => (iso ? `${formatDuration(now - Date.parse(iso))} ago` : null);
      printTable(rows, {
        prefix: (r) => `aloft_${r.prefix}`,
        name: (r) => r.name,
        deployment: (r) => r.deployment ?? '(all)',
        state: (r) => r.state,
        created: (r) => ago(r.created_at),
        expires: (r) => r.expires_at,
        'last used': (r) => ago(r.last_used_at),
      });
    });

  keys
    .command('revoke')
    .description('revoke a key by its prefix')
    .argument('<prefix>', 'the prefix shown by aloft keys list')
    .option('--json', 'machine-readable output')
    .action(async (prefix: string, o: { json?: boolean }) => {
      const k = await withKeys((c) => c.revokeKey(prefix));
      const { printJson } = await import('../output.js');
      if (o.json) return printJson(k);
      process.stdout.write(`Revoked aloft_${k.prefix}.\n`);
    });
}

async function withKeys<T>(fn: (c: import('../../sdk/keys.js').KeysClient) => Promise<T>): Promise<T> {
  const { connect, fromApiError } = await import('../connect.js');
  const { keysClient } = await import('../../sdk/keys.js');
  const client = await connect();
  try {
    return await fn(keysClient(client));
  } catch (err) {
    return fromApiError(err);
  }
}
