import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createGatewayMetrics } from './metrics.js';

test('exposition: counters, cumulative histogram buckets, gauge, and merging into another registry', async () => {
  const m = createGatewayMetrics();
  m.request('llm', 200, 0.003);
  m.request('llm', 200, 0.2);
  m.request('llm', 502, 40);
  m.bytes('llm', 'out', 1000);
  m.bytes('llm', 'in', 0);
  m.streamOpened('llm');
  m.streamOpened('llm');
  m.streamClosed('llm');
  m.wake('llm');
  const other = new Registry();
  const text = await Registry.merge([m.registry, other]).metrics();
  assert.match(text, /# TYPE aloft_gateway_requests_total counter/);
  assert.match(text, /aloft_gateway_requests_total\{deployment="llm",status="200"\} 2\n/);
  assert.match(text, /aloft_gateway_requests_total\{deployment="llm",status="502"\} 1\n/);
  assert.match(text, /# TYPE aloft_gateway_request_duration_seconds histogram/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="0.001",deployment="llm"\} 0\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="0.005",deployment="llm"\} 1\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="0.25",deployment="llm"\} 2\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="30",deployment="llm"\} 2\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="60",deployment="llm"\} 3\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_bucket\{le="\+Inf",deployment="llm"\} 3\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_count\{deployment="llm"\} 3\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_sum\{deployment="llm"\} 40.203\n/);
  assert.match(text, /aloft_gateway_bytes_total\{deployment="llm",direction="out"\} 1000\n/);
  assert.ok(!/direction="in"/.test(text));
  assert.match(text, /aloft_gateway_open_streams\{deployment="llm"\} 1\n/);
  assert.match(text, /aloft_gateway_wakes_total\{deployment="llm"\} 1\n/);
});

test('answered: one request with its status and latency, and its bytes each way', async () => {
  const m = createGatewayMetrics();
  m.answered('app', 404, 0.002, 120, 0);
  m.answered('app', 200, 0.02, 80, 1500);
  const text = await m.registry.metrics();
  assert.match(text, /aloft_gateway_requests_total\{deployment="app",status="404"\} 1\n/);
  assert.match(text, /aloft_gateway_requests_total\{deployment="app",status="200"\} 1\n/);
  assert.match(text, /aloft_gateway_request_duration_seconds_count\{deployment="app"\} 2\n/);
  assert.match(text, /aloft_gateway_bytes_total\{deployment="app",direction="in"\} 200\n/);
  assert.match(text, /aloft_gateway_bytes_total\{deployment="app",direction="out"\} 1500\n/);
});
