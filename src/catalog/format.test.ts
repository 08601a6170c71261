import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chosenOfferLine, excludedSummary, planText } from './format.js';
import type { PlannedOffer } from './types.js';

const p: PlannedOffer = {
  provider: 'gcp', region: 'us-central1', instanceType: 'g2-standard-4', gpu: { name: 'L4', count: 1, vramGb: 24 },
  vcpus: 4, memoryGb: 16, arch: 'x86_64', pricePerHour: 0.7068, spotPricePerHour: 0.28, spot: false, hourlyUsd: 0.7109, monthlyUsd: 518.957,
};

test('the line aloft up prints before asking to confirm', () => {
  assert.equal(chosenOfferLine(p), 'gcp g2-standard-4 (1×L4 24GB) in us-central1, $0.7109/h (about $518.96/month)');
  assert.equal(chosenOfferLine({ ...p, gpu: null, spot: true }), 'gcp g2-standard-4 (4 vCPU, 16 GB) in us-central1, spot $0.7109/h (about $518.96/month)');
});

test('excluded offers are summarised by constraint, most first', () => {
  const o = { ...p };
  const s = excludedSummary([
    { offer: o, reason: 'a', constraint: 'resources.gpu' },
    { offer: o, reason: 'b', constraint: 'placement.regions' },
    { offer: o, reason: 'c', constraint: 'resources.gpu' },
  ]);
  assert.equal(s, '  resources.gpu: 2 (e.g. gcp g2-standard-4 us-central1: a)\n  placement.regions: 1 (e.g. gcp g2-standard-4 us-central1: b)\n');
  assert.match(planText({ offers: [p], excluded: [], diskGb: 30 }), /Cheapest: gcp g2-standard-4 in us-central1, \$0.7109\/h, about \$518.96\/month running all the time \(includes 30 GB disk\)/);
});
