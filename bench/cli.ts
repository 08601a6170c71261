/**
 * CLI benchmarks (issue 2), each against a peer in the same run:
 *  - `aloft status --json` with 10,000 deployments in the store (target: within 300 ms);
 *  - `aloft --version` cold start against `node -e 0` (target: within 3x bare node).
 * Run: `npm run build && node --import tsx bench/cli.ts`. Prints a table; appends nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStore } from '../src/store/db.js';
import { readServerInfo } from '../src/server/server-info.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/aloft.js');

function time(cmd: string[], env: NodeJS.ProcessEnv, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd[0]!, cmd.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
    out.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return out.sort((a, b) => a - b);
}
const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'aloft-bench-'));
  const env = { ...process.env, ALOFT_HOME: home, ALOFT_API_PORT: '0', ALOFT_GATEWAY_PORT: '0', ALOFT_LOG_LEVEL: 'warn' };
  try {
    const store = await openStore({ url: join(home, 'aloft.db') });
    const now = Date.now();
    const spec = JSON.stringify({ kind: 'service', name: 'x', command: 'true' });
    for (let b = 0; b < 10_000; b += 500) {
      await store.db
        .insertInto('deployments')
        .values(
          Array.from({ length: 500 }, (_, i) => ({
            id: `d-bench${b + i}`, name: `svc-${b + i}`, kind: 'service', owner: 'bench', spec_json: spec, base_dir: null,
            provider: 'local', region: 'local', instance_type: 'local', price_per_hour: 0, desired_state: 'stopped' as const,
            status: 'stopped' as const, status_reason: null, endpoint: 'http://127.0.0.1:9', port: 9, upstream_secret: null,
            agent_token_hash: null, generation: 1, created_at: now, updated_at: now, ready_at: null, last_activity_at: null,
            expires_at: null, destroyed_at: null,
          })),
        )
        .execute();
    }
    await store.close();
    const server = spawn(process.execPath, [BIN, 'server'], { env, stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (!readServerInfo(join(home, 'server.json')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const status = time([process.execPath, BIN, 'status', '--json'], env, 7);
    const version = time([process.execPath, BIN, '--version'], env, 15);
    const bare = time([process.execPath, '-e', '0'], env, 15);
    server.kill('SIGTERM');
    const rows = [
      ['status --json, 10,000 deployments', `${median(status).toFixed(0)} ms`, '≤ 300 ms', median(status) <= 300 ? 'met' : 'missed'],
      ['--version cold start', `${median(version).toFixed(0)} ms (${(median(version) / median(bare)).toFixed(2)}x node -e 0 at ${median(bare).toFixed(0)} ms)`, '≤ 3x', median(version) / median(bare) <= 3 ? 'met' : 'missed'],
    ];
    for (const r of rows) console.log(r.join(' | '));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
await main();
