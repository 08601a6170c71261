import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGpuRequirement, parseMinNumber, RequirementError } from './resources.js';

describe('parseGpuRequirement', () => {
  const ok: [string, ReturnType<typeof parseGpuRequirement>][] = [
    ['L4:1', { name: 'L4', count: 1 }],
    ['A100:8', { name: 'A100', count: 8 }],
    ['L4', { name: 'L4', count: 1 }],
    ['a10g:4', { name: 'A10G', count: 4 }],
    ['A100-80GB:2', { name: 'A100-80GB', count: 2 }],
    ['RTX4090', { name: 'RTX4090', count: 1 }],
    ['24GB+', { count: 1, minVramGb: 24 }],
    ['24GB', { count: 1, minVramGb: 24 }],
    ['80GiB+:8', { count: 8, minVramGb: 80 }],
    ['16G+', { count: 1, minVramGb: 16 }],
    ['any', { any: true, count: 1 }],
    ['ANY:2', { any: true, count: 2 }],
    [' H100 : 8 ', { name: 'H100', count: 8 }],
  ];
  for (const [input, want] of ok) test(`${JSON.stringify(input)}`, () => assert.deepEqual(parseGpuRequirement(input), want));

  const bad: [string, RegExp][] = [
    ['', /invalid gpu "": expected NAME:COUNT/],
    ['L4:0', /count must be from 1 to 16, got 0/],
    ['L4:17', /count must be from 1 to 16, got 17/],
    ['L4:x', /count "x" must be a whole number from 1 to 16/],
    ['L4:1.5', /count "1.5" must be a whole number/],
    ['L4:', /count "" must be a whole number/],
    ['L4:1:2', /too many ":"/],
    ['24+', /a memory size needs a unit, e.g\. 24GB\+/],
    ['0GB+', /GPU memory must be more than 0 GB/],
    ['L 4', /invalid gpu "L 4": expected NAME:COUNT/],
    ['-L4', /invalid gpu "-L4"/],
  ];
  for (const [input, message] of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseGpuRequirement(input), (err: unknown) => {
        assert.ok(err instanceof RequirementError);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

describe('parseMinNumber', () => {
  const ok: [string | number, number][] = [
    [4, 4],
    [0.5, 0.5],
    ['4', 4],
    ['4+', 4],
    ['16GB+', 16],
    ['16GB', 16],
    ['16 GiB', 16],
    ['8G+', 8],
    ['1.5GB+', 1.5],
  ];
  for (const [input, min] of ok) test(`${JSON.stringify(input)} → ${min}`, () => assert.deepEqual(parseMinNumber(input), { min }));

  for (const input of ['', 'four', '4++', '8TB', '+4', -1, Number.NaN]) {
    test(`rejects ${JSON.stringify(input)}`, () => assert.throws(() => parseMinNumber(input), RequirementError));
  }
});
