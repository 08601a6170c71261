import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewaySettings } from './gateway-config.js';

test('ALOFT_GATEWAY_FAST_LANE: on by default, off or on by name, anything else refused with the variable named', () => {
  assert.equal(gatewaySettings({}, '/tmp/h').fastLane, undefined);
  assert.equal(gatewaySettings({ ALOFT_GATEWAY_FAST_LANE: 'off' }, '/tmp/h').fastLane, false);
  assert.equal(gatewaySettings({ ALOFT_GATEWAY_FAST_LANE: 'on' }, '/tmp/h').fastLane, true);
  assert.throws(() => gatewaySettings({ ALOFT_GATEWAY_FAST_LANE: 'no' }, '/tmp/h'), /ALOFT_GATEWAY_FAST_LANE takes "on" or "off", not no/);
});

test('ALOFT_GATEWAY_RATE and the numeric settings', () => {
  assert.deepEqual(gatewaySettings({ ALOFT_GATEWAY_RATE: '5,10' }, '/tmp/h').rateLimit, { perSecond: 5, burst: 10 });
  assert.equal(gatewaySettings({ ALOFT_GATEWAY_RATE: 'off' }, '/tmp/h').rateLimit, null);
  assert.throws(() => gatewaySettings({ ALOFT_GATEWAY_RATE: 'fast' }, '/tmp/h'), /ALOFT_GATEWAY_RATE/);
  assert.equal(gatewaySettings({ ALOFT_GATEWAY_MAX_BODY: '1000' }, '/tmp/h').maxBodyBytes, 1000);
  assert.throws(() => gatewaySettings({ ALOFT_GATEWAY_PORT: '-1' }, '/tmp/h'), /ALOFT_GATEWAY_PORT must be a number/);
});
