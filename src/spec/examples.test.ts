// Every file in examples/ must parse, resolve, and say in its first lines what it does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { loadSpecFile } from './parse.js';
import { resolveSpec } from './defaults.js';
import { Spec } from './schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const examplesDir = join(repoRoot, 'examples');
const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();

describe('examples', () => {
  test('the expected examples are there', () => {
    for (const f of ['hello.yaml', 'ollama-local.yaml', 'ollama-cpu.yaml', 'ollama-gpu.yaml', 'devbox.yaml', 'app.yaml']) {
      assert.ok(files.includes(f), `examples/${f} is missing`);
    }
  });

  for (const f of files) {
    test(`${f} is valid, resolves, and starts with a comment saying how to run it`, async () => {
      const { spec, text, baseDir } = await loadSpecFile(join(examplesDir, f));
      assert.ok(Value.Check(Spec, spec), 'the API schema accepts it too');
      const resolved = resolveSpec(spec, baseDir);
      assert.equal(resolved.name, spec.name);
      assert.match(text, /^# \S/, 'first line is a comment');
      const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
      assert.match(header, /aloft (up|plan) examples\//, 'the comment shows the command that runs it');
    });
  }

  test('hello runs the real app in examples/hello on this machine', async () => {
    const { spec, baseDir } = await loadSpecFile(join(examplesDir, 'hello.yaml'));
    const r = resolveSpec(spec, baseDir);
    assert.equal(r.kind, 'service');
    if (r.kind !== 'service') return;
    assert.equal(r.workdir, join(examplesDir, 'hello'));
    assert.equal(r.command, 'node server.js');
    assert.ok(existsSync(join(r.workdir, 'server.js')));
    assert.equal(r.health, '/healthz');
    assert.deepEqual(r.placement.providers, ['local']);
    assert.equal(r.lifecycle.idleTimeoutMs, 15 * 60_000);
    assert.equal(r.lifecycle.onIdle, 'stop');
    assert.equal(r.lifecycle.wakeOnRequest, true);
  });

  test('ollama-local serves qwen2.5:0.5b locally', async () => {
    const r = resolveSpec((await loadSpecFile(join(examplesDir, 'ollama-local.yaml'))).spec);
    assert.equal(r.kind === 'ollama' && r.model, 'qwen2.5:0.5b');
    assert.deepEqual(r.placement.providers, ['local']);
  });

  test('ollama-cpu needs no GPU and fits any cloud', async () => {
    const r = resolveSpec((await loadSpecFile(join(examplesDir, 'ollama-cpu.yaml'))).spec);
    assert.equal(r.kind === 'ollama' && r.model, 'qwen2.5:0.5b');
    assert.equal(r.resources.gpu, null);
    assert.equal(r.resources.minCpus, 4);
    assert.equal(r.resources.minMemoryGb, 8);
    assert.equal(r.placement.providers, null);
  });

  test('ollama-gpu asks for 24 GB of GPU memory on four clouds, spot, capped, with idle stop and ttl', async () => {
    const r = resolveSpec((await loadSpecFile(join(examplesDir, 'ollama-gpu.yaml'))).spec);
    assert.deepEqual(r.resources.gpu, { count: 1, minVramGb: 24 });
    assert.deepEqual(r.placement.providers, ['aws', 'gcp', 'exoscale', 'oci']);
    assert.equal(r.placement.spot, true);
    assert.ok(r.placement.maxHourlyUsd !== null && r.placement.maxHourlyUsd > 0);
    assert.equal(r.lifecycle.idleTimeoutMs, 30 * 60_000);
    assert.equal(r.lifecycle.onIdle, 'stop');
    assert.equal(r.lifecycle.ttlMs, 8 * 3_600_000);
  });

  test('devbox has one L4, SSH keys and a 4 hour ttl', async () => {
    const r = resolveSpec((await loadSpecFile(join(examplesDir, 'devbox.yaml'))).spec);
    assert.deepEqual(r.resources.gpu, { name: 'L4', count: 1 });
    assert.equal(r.lifecycle.ttlMs, 4 * 3_600_000);
    assert.ok(r.kind === 'devbox' && r.sshKeys.length > 0);
  });

  test('app builds a repository and runs it on a port', async () => {
    const r = resolveSpec((await loadSpecFile(join(examplesDir, 'app.yaml'))).spec);
    if (r.kind !== 'app') return assert.fail('app');
    assert.match(r.repository, /^https:\/\//);
    assert.ok(r.build && r.command && r.port);
  });

  test('hello/server.js has no dependencies', () => {
    const src = readFileSync(join(examplesDir, 'hello', 'server.js'), 'utf8');
    const imports = [...src.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    assert.ok(imports.length > 0);
    for (const i of imports) assert.match(i!, /^node:/);
  });
});
