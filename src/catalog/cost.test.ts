import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCost, accruedCost } from './cost.js';
import type { Offer } from './types.js';

const offer: Offer = {
  provider: 'aws', region: 'us-east-1', instanceType: 'g6.xlarge', gpu: { name: 'L4', count: 1, vramGb: 24 },
  vcpus: 4, memoryGb: 16, arch: 'x86_64', pricePerHour: 0.8, spotPricePerHour: 0.3, diskPricePerGbMonth: 0.073, egressPricePerGb: 0.09,
};

test('estimate: compute × hours + disk prorated over running and stopped hours + egress', () => {
  const e = estimateCost(offer, { hours: 100, diskGb: 100, stoppedHours: 630, egressGb: 10 });
  assert.equal(e.computeUsd, 80);
  assert.equal(e.diskUsd, 7.3); // a full month of 100 GB at $0.073
  assert.equal(e.egressUsd, 0.9);
  assert.equal(e.totalUsd, 88.2);
  assert.equal(e.hourlyUsd, 0.81);
  assert.equal(estimateCost(offer, { hours: 10, spot: true }).computeUsd, 3);
  assert.throws(() => estimateCost(offer, { hours: -1 }), /hours must be/);
});

const H = 3_600_000;
const rate = { hourlyUsd: 1, diskGb: 73, diskUsdPerGbMonth: 1 }; // disk: $0.10/h

test('accrued: running and stopped time from the timeline', () => {
  const t = [
    { at: 0, toStatus: 'queued' },
    { at: 1 * H, toStatus: 'provisioning' },
    { at: 2 * H, toStatus: 'ready' },
    { at: 5 * H, toStatus: 'stopping' },
    { at: 6 * H, toStatus: 'stopped' },
    { at: 16 * H, toStatus: 'starting' },
    { at: 17 * H, toStatus: 'ready' },
  ];
  const a = accruedCost(t, rate, 20 * H);
  assert.equal(a.runningHours, 5 + 4);
  assert.equal(a.stoppedHours, 10);
  assert.equal(a.computeUsd, 9);
  assert.equal(a.diskUsd, 1.9);
  assert.equal(a.totalUsd, 10.9);
});

test('accrued: nothing after destroyed or failed; unsorted input; window start', () => {
  const t = [
    { at: 3 * H, toStatus: 'destroyed' },
    { at: 0, toStatus: 'ready' },
    { at: 2 * H, toStatus: 'destroying' },
    { at: 5 * H, toStatus: 'ready' }, // a stray later event does not restart billing
  ];
  assert.equal(accruedCost(t, rate, 10 * H).runningHours, 3);
  assert.equal(accruedCost([{ at: 0, toStatus: 'booting' }, { at: H, toStatus: 'failed' }], rate, 10 * H).runningHours, 1);
  const w = accruedCost([{ at: 0, toStatus: 'ready' }], rate, 10 * H, 8 * H);
  assert.equal(w.runningHours, 2);
  assert.equal(accruedCost([], rate, 10 * H).totalUsd, 0);
});
