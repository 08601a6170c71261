import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGpu, parseRequirements, parseMemory, parseCount, RequirementError } from './requirements.js';

test('gpu strings', () => {
  assert.deepEqual(parseGpu('L4:1'), { name: 'L4', minCount: 1, text: 'L4:1' });
  assert.deepEqual(parseGpu('A100:8'), { name: 'A100', minCount: 8, text: 'A100:8' });
  assert.deepEqual(parseGpu('a100-80gb:8'), { name: 'A100', minCount: 8, minVramGb: 80, text: 'a100-80gb:8' });
  assert.deepEqual(parseGpu('A100:80GB:2'), { name: 'A100', minCount: 2, minVramGb: 80, text: 'A100:80GB:2' });
  assert.deepEqual(parseGpu('24GB+'), { minCount: 1, minVramGb: 24, text: '24GB+' });
  assert.deepEqual(parseGpu('24GB+:2'), { minCount: 2, minVramGb: 24, text: '24GB+:2' });
  assert.deepEqual(parseGpu('any'), { minCount: 1, text: 'any' });
  assert.deepEqual(parseGpu('RTX 4090'), { name: 'RTX4090', minCount: 1, text: 'RTX 4090' });
  assert.equal(parseGpu('none'), 'none');
});

test('bad gpu strings say what is wrong', () => {
  assert.throws(() => parseGpu('L4:'), RequirementError);
  assert.throws(() => parseGpu('L4:0'), /at least 1/);
  assert.throws(() => parseGpu('L4:T4'), /two GPU names/);
  assert.throws(() => parseGpu('L4:1:2'), /two counts/);
  assert.throws(() => parseGpu('L4:$'), /cannot read "\$"/);
});

test('cpus and memory', () => {
  assert.equal(parseCount('4+', 'cpus'), 4);
  assert.equal(parseCount(2, 'cpus'), 2);
  assert.throws(() => parseCount('four', 'cpus'), /cpus "four"/);
  assert.equal(parseMemory('16GB+'), 16);
  assert.equal(parseMemory('32 GiB'), 32);
  assert.equal(parseMemory(8), 8);
  assert.throws(() => parseMemory('lots'), /memory "lots"/);
});

test('whole resources', () => {
  const r = parseRequirements({ gpu: 'L4:1', cpus: '8+', memory: '32GB', disk: 100, arch: 'x86_64' });
  assert.equal(r.gpu?.name, 'L4');
  assert.equal(r.minVcpus, 8);
  assert.equal(r.minMemoryGb, 32);
  assert.equal(r.diskGb, 100);
  assert.equal(r.arch, 'x86_64');
  assert.equal(parseRequirements({ gpu: 'none' }).gpuNone, true);
  assert.deepEqual(parseRequirements(undefined), { gpu: null, gpuNone: false });
});
