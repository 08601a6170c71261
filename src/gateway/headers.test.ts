import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';

function req(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return { rawHeaders: raw, headers, socket: { remoteAddress: '10.0.0.7' } } as unknown as IncomingMessage;
}

const opts = { secretHeader: 'X-Aloft-Upstream-Secret', secret: 's3cret', tls: false };

function asMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) m.set(flat[i]!.toLowerCase(), [...(m.get(flat[i]!.toLowerCase()) ?? []), flat[i + 1]!]);
  return m;
}

test('the client key and hop-by-hop headers stay behind; the upstream secret and forwarding headers go', () => {
  const out = asMap(
    upstreamRequestHeaders(
      req([
        'Host', 'gw.example.com',
        'Connection', 'keep-alive, X-Trace',
        'X-Trace', 'abc',
        'Keep-Alive', 'timeout=5',
        'Authorization', 'Bearer aloft_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHI',
        'X-Aloft-Key', 'aloft_x',
        'X-Ollama-Key', 'aloft_y',
        'X-Aloft-Upstream-Secret', 'forged',
        'X-Forwarded-For', '192.0.2.1',
        'Accept', 'application/json',
      ]),
      opts,
    ),
  );
  for (const gone of ['host', 'connection', 'x-trace', 'keep-alive', 'authorization', 'x-aloft-key', 'x-ollama-key']) assert.ok(!out.has(gone), gone);
  assert.deepEqual(out.get('x-aloft-upstream-secret'), ['s3cret']);
  assert.deepEqual(out.get('x-forwarded-for'), ['192.0.2.1, 10.0.0.7']);
  assert.deepEqual(out.get('x-forwarded-host'), ['gw.example.com']);
  assert.deepEqual(out.get('x-forwarded-proto'), ['http']);
  assert.deepEqual(out.get('accept'), ['application/json']);
});

test('a plain keep-alive or close connection keeps every end-to-end header; an app Authorization scheme passes', () => {
  for (const connection of ['keep-alive', 'Keep-Alive', 'close']) {
    const out = asMap(upstreamRequestHeaders(req(['Connection', connection, 'Authorization', 'Basic dTpw', 'X-Trace', 'abc']), { ...opts, secret: null }));
    assert.deepEqual(out.get('authorization'), ['Basic dTpw']);
    assert.deepEqual(out.get('x-trace'), ['abc']);
    assert.ok(!out.has('connection') && !out.has('x-aloft-upstream-secret'));
  }
});

test('responses lose hop-by-hop headers only', () => {
  assert.deepEqual(clientResponseHeaders({ 'content-type': 'text/event-stream', connection: 'keep-alive', 'transfer-encoding': 'chunked', 'proxy-authenticate': 'x', 'x-request-id': '1' }), {
    'content-type': 'text/event-stream',
    'x-request-id': '1',
  });
});
