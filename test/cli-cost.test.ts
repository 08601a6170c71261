/**
 * `aloft cost` through the real CLI: after a hello deployment ran on this machine (price 0)
 * its rows are there at $0; bad flags exit 2 with one line; a bad config.yaml stops the
 * server with one line naming the file and the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { helloSpec, sandbox } from './helpers/cli.js';

test('aloft cost --json after a hello deployment ran; bad flags exit 2', async (t) => {
  const sb = sandbox(t);
  const spec = sb.writeSpec('hello.yaml', helloSpec('hello-cost'));
  const up = await sb.run(['up', spec]);
  assert.equal(up.code, 0, up.stderr);
  // A free offer needs no confirmation, even without a terminal; up names the offer and its price.
  assert.match(up.stderr, /hello-cost: local \S+ \(.*\) in local, \$0\/h \(about \$0\.00\/month\)/);
  const down = await sb.run(['down', 'hello-cost', '--yes']);
  assert.equal(down.code, 0, down.stderr);

  const byDep = await sb.run(['cost', '--json']);
  assert.equal(byDep.code, 0, byDep.stderr);
  const report = JSON.parse(byDep.stdout) as { by: string; rows: Array<Record<string, number | string>>; total: Record<string, number> };
  assert.equal(report.by, 'deployment');
  assert.equal(report.rows.length, 1);
  assert.match(String(report.rows[0]!.key), /^hello-cost \(d-/);
  assert.ok(Number(report.rows[0]!.running_hours) > 0, 'it ran for a while');
  assert.equal(report.rows[0]!.total_usd, 0);
  assert.equal(report.total.total_usd, 0);

  const byProvider = JSON.parse((await sb.run(['cost', '--by', 'provider', '--since', '1h', '--json'])).stdout) as typeof report;
  assert.deepEqual(byProvider.rows.map((r) => [r.key, r.deployments]), [['local', 1]]);

  const table = await sb.run(['cost', '--by', 'user']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^USER\s+DEPLOYMENTS\s+RUNNING H\s+STOPPED H\s+COMPUTE\s+DISK\s+TOTAL$/m);
  assert.match(table.stdout, /^total\s+1\s+\S+\s+\S+\s+\$0\.00\s+\$0\.00\s+\$0\.00$/m);

  for (const args of [['cost', '--since', 'yesterday'], ['cost', '--by', 'region'], ['cost', '--since', '-3d']]) {
    const r = await sb.run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^error: --(since|by) takes/);
  }
});

test('a bad config.yaml: the server refuses to start, naming the file and the field', async (t) => {
  const sb = sandbox(t);
  const file = join(sb.home, 'config.yaml');
  writeFileSync(file, 'budgets:\n  monthly_usd: 100\n  per_user: { alice: -1 }\n');
  const r = await sb.run(['server'], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim(), `error: ${file}: budgets.per_user.alice: must be ≥ 0, got -1`);
});
