import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPlacementOverride } from './deployments.js';
import { ApiError } from '../errors.js';
import type { Spec } from '../../spec/schema.js';

const spec = { kind: 'ollama', name: 'x', model: 'qwen2.5:0.5b', placement: { providers: ['aws', 'gcp'], spot: true } } as Spec;
const configured = ['local', 'hetzner', 'aws'];

test('--provider and --region replace placement.providers and regions, keeping the rest', () => {
  assert.equal(applyPlacementOverride(spec, {}, configured), spec);
  const out = applyPlacementOverride(spec, { provider: 'hetzner', region: 'fsn1' }, configured);
  assert.deepEqual(out.placement, { providers: ['hetzner'], regions: ['fsn1'], spot: true });
  assert.deepEqual(spec.placement, { providers: ['aws', 'gcp'], spot: true }, 'the input is not changed');
  assert.deepEqual(applyPlacementOverride(spec, { region: 'eu-*' }, configured).placement?.regions, ['eu-*']);
});

test('unknown or unconfigured providers are refused with the configured ones named', () => {
  assert.throws(() => applyPlacementOverride(spec, { provider: 'nope' }, configured), (e: unknown) => e instanceof ApiError && e.status === 400 && /unknown provider "nope"; configured providers: local, hetzner, aws/.test(e.message));
  assert.throws(() => applyPlacementOverride(spec, { provider: 'gcp' }, configured), (e: unknown) => e instanceof ApiError && e.code === 'provider_not_configured' && /configured providers: local, hetzner, aws/.test(e.message));
  assert.throws(() => applyPlacementOverride(spec, { region: 'a b' }, configured), ApiError);
});
