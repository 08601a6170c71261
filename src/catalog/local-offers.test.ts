import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNvidiaSmi, hostOffer, localOffers } from './local-offers.js';
import { canonicalGpuName, nearestGpuName } from './gpu-names.js';

test('nvidia-smi output becomes one GPU entry', () => {
  assert.deepEqual(parseNvidiaSmi('NVIDIA L4, 23034\nNVIDIA L4, 23034\n'), { name: 'L4', count: 2, vramGb: 22 });
  assert.deepEqual(parseNvidiaSmi('NVIDIA A100-SXM4-80GB, 81920\n'), { name: 'A100', count: 1, vramGb: 80 });
  assert.deepEqual(parseNvidiaSmi('NVIDIA GeForce RTX 4090, 24564\n'), { name: 'RTX4090', count: 1, vramGb: 24 });
  assert.deepEqual(parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559'), { name: 'H100', count: 1, vramGb: 80 });
  assert.equal(parseNvidiaSmi(''), null);
  assert.equal(parseNvidiaSmi('garbage'), null);
});

test('the host offer is free and describes the machine', () => {
  const o = hostOffer({ vcpus: 8, memoryGb: 31.26, arch: 'arm64', gpu: null });
  assert.equal(o.provider, 'local');
  assert.equal(o.pricePerHour, 0);
  assert.equal(o.memoryGb, 31.3);
  assert.equal(o.arch, 'arm64');
  const [real] = localOffers({ ALOFT_LOCAL_GPUS: 'none' });
  assert.ok(real!.vcpus >= 1 && real!.memoryGb > 0);
});

test('gpu names', () => {
  assert.equal(canonicalGpuName('Tesla T4'), 'T4');
  assert.equal(canonicalGpuName('NVIDIA A10G'), 'A10G');
  assert.equal(nearestGpuName('A1000', ['A100', 'A10', 'H100']), 'A100');
  assert.equal(nearestGpuName('l40', ['L40S', 'L4']), 'L4');
});
