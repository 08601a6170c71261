/** The catalog commands in a child process: stdout, one-line stderr, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function aloft(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/catalog-cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, NODE_NO_WARNINGS: '1', ALOFT_LOCAL_GPUS: 'none', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

test('aloft offers --gpu L4 --json prints offers and exits 0', { timeout: 90_000 }, async () => {
  const r = await aloft(['offers', '--gpu', 'L4', '--provider', 'gcp', '--region', 'us-*', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.offers.length > 0 && j.offers.every((o: any) => o.provider === 'gcp' && o.gpu.name === 'L4' && o.region.startsWith('us-')));
});

test('an unknown GPU exits 2 with one line on stderr', { timeout: 90_000 }, async () => {
  const r = await aloft(['offers', '--gpu', 'A1000:2']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'aloft: unknown GPU "A1000:2" in resources.gpu; did you mean A100?\n');
  assert.equal(r.stdout, '');
});

test('aloft models size prints the VRAM need', { timeout: 90_000 }, async () => {
  const r = await aloft(['models', 'size', 'qwen2.5:7b', '--ctx', '8192', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tag, 'qwen2.5:7b');
  assert.equal(j.ctx, 8192);
  assert.equal(j.source, 'catalog');
});

test('aloft catalog refresh without credentials exits 1 naming the variable', { timeout: 90_000 }, async () => {
  const r = await aloft(['catalog', 'refresh', '--provider', 'hetzner'], { HCLOUD_TOKEN: '' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'aloft: hetzner: no credentials; set HCLOUD_TOKEN\n');
});
