import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Machine } from '../providers/types.js';
import type { MachineRow } from '../store/types.js';
import { classifyMachine, ownershipOf } from './machine-ownership.js';

const row = (deployment: string, providerId: string | null, provider = 'fake'): MachineRow => ({
  id: `m-${deployment}`,
  deployment_id: deployment,
  provider,
  provider_id: providerId,
  region: 'r1',
  instance_type: 't1',
  idempotency_key: `${deployment}-g1-o0`,
  state: providerId ? 'created' : 'intent',
  endpoint: null,
  details_json: null,
  created_at: 1,
  updated_at: 1,
  destroyed_at: null,
});
const machine = (id: string, tags: Record<string, string>): Machine => ({ provider: 'fake', id, region: 'r1', instanceType: 't1', state: 'running', tags: { 'aloft-managed': 'true', ...tags }, createdAt: 1 });

const own = ownershipOf([row('d-owned', 'i-1'), row('d-creating', null), row('d-other-cloud', 'i-9', 'other')]);

test('a machine a live row holds is owned, whatever its tags say', () => {
  const c = classifyMachine('fake', machine('i-1', { 'aloft-deployment': 'd-elsewhere', 'aloft-installation': 'inst-b' }), own, 'inst-a');
  assert.equal(c.class, 'owned');
  assert.equal(c.class === 'owned' && c.row.deployment_id, 'd-owned');
});

test('the same provider id on another provider is not owned', () => {
  assert.equal(classifyMachine('fake', machine('i-9', {}), own, 'inst-a').class, 'orphan');
});

test('a machine of a deployment whose row has no provider id yet is pending', () => {
  assert.deepEqual(classifyMachine('fake', machine('i-2', { 'aloft-deployment': 'd-creating', 'aloft-installation': 'inst-a' }), own, 'inst-a'), { class: 'pending', deploymentId: 'd-creating' });
});

test("another installation's machine is foreign, with that installation", () => {
  assert.deepEqual(classifyMachine('fake', machine('i-3', { 'aloft-deployment': 'd-x', 'aloft-installation': 'inst-b' }), own, 'inst-a'), { class: 'foreign', installation: 'inst-b', deploymentId: 'd-x' });
});

test('ours or untagged with no live row is an orphan; without an installation id every machine counts as ours', () => {
  assert.deepEqual(classifyMachine('fake', machine('i-4', { 'aloft-deployment': 'd-gone', 'aloft-installation': 'inst-a' }), own, 'inst-a'), { class: 'orphan', deploymentId: 'd-gone' });
  assert.deepEqual(classifyMachine('fake', machine('i-5', { 'aloft-deployment': 'd-old' }), own, 'inst-a'), { class: 'orphan', deploymentId: 'd-old' });
  assert.equal(classifyMachine('fake', machine('i-6', { 'aloft-installation': 'inst-b' }), own, undefined).class, 'orphan');
  assert.deepEqual(classifyMachine('fake', machine('i-7', { 'aloft-deployment': '' }), own, 'inst-a'), { class: 'orphan', deploymentId: undefined });
});
