/**
 * `aloft providers check` with AWS credentials pointing at the EC2 double (through the
 * SDK's own AWS_ENDPOINT_URL_EC2 resolution): ok with quota; a wrong secret fails with exit 1.
 */
const ROOT = resolve(import.meta.dirname, '..');
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { ProviderCheckRow } from '../src/cli/commands/providers.js';
import { startEc2Double, TEST_KEY, type Ec2Double } from './doubles/ec2-double.js';

let double: Ec2Double;
let home: string;
const saved = { ...process.env };

before(async () => {
  double = await startEc2Double();
  home = await mkdtemp(join(tmpdir(), 'aloft-providers-'));
  Object.assign(process.env, {
    HOME: home,
    ALOFT_HOME: join(home, '.aloft'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: TEST_KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_KEY.secretAccessKey,
    AWS_ENDPOINT_URL_EC2: double.url,
    AWS_ENDPOINT_URL_SSM: double.url,
  });
});
after(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  await double.close();
  await rm(home, { recursive: true, force: true });
});

/**
 * Runs the command in a child process (the test runner reports over this process's stdout,
 * so the command's output must not share it). Exit code as main() would set it.
 */
async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ out: string; code: number | null }> {
  const code = `
    import { Command } from 'commander';
    import { register } from './src/cli/commands/providers.ts';
    import { CliError } from './src/cli/errors.ts';
    const program = new Command('aloft').exitOverride();
    register(program);
    try { await program.parseAsync(${JSON.stringify(args)}, { from: 'user' }); }
    catch (err) { process.stderr.write('error: ' + err.message + '\\n'); process.exitCode = err instanceof CliError ? err.exitCode : 1; }
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, env: { ...env, NODE_NO_WARNINGS: '1' } });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exit = await new Promise<number | null>((r) => child.on('exit', r));
  return { out, code: exit };
}

test('providers check --json: aws ok with its quota, unconfigured providers listed as such', async () => {
  const { out, code } = await run(['providers', 'check', '--json']);
  assert.equal(code, 0, out);
  const rows = JSON.parse(out) as ProviderCheckRow[];
  const aws = rows.find((r) => r.provider === 'aws')!;
  assert.equal(aws.configured, true);
  assert.equal(aws.ok, true, aws.message);
  assert.equal(aws.quota?.['max-instances'], '20');
  assert.equal(rows.find((r) => r.provider === 'hetzner')?.configured, false);
  assert.ok(double.calls('DescribeAccountAttributes').some((c) => c.region === 'eu-central-1'));
});

test('providers check aws with a wrong secret: FAILED in the table, exit 1, no secret printed', async () => {
  const { out, code } = await run(['providers', 'check', 'aws'], { ...process.env, AWS_SECRET_ACCESS_KEY: 'definitely-wrong-secret' });
  assert.equal(code, 1, out);
  assert.match(out, /aws\s+FAILED\s+credentials rejected/);
  assert.match(out, /error: aws: check failed/);
  assert.doesNotMatch(out, /definitely-wrong-secret/);
});

test('providers check with an unknown name is a usage error', async () => {
  const { out, code } = await run(['providers', 'check', 'awz']);
  assert.equal(code, 2, out);
  assert.match(out, /unknown provider "awz"/);
});
