import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { startGateway, startUpstream, until } from './gateway-helpers.js';

test('WebSocket upgrades are proxied with the secret and without the key', async (t) => {
  const up = await startUpstream(t, (_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server: up.server });
  const handshakes: Array<Record<string, unknown>> = [];
  wss.on('connection', (ws, req) => {
    handshakes.push({ ...req.headers });
    ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
  });
  t.after(() => wss.close());
  const { url, backend, gw } = await startGateway(t);
  const d = backend.put({ name: 'chat', upstreamUrl: up.url, upstreamSecret: 'ws-secret' });
  const { key } = backend.addKey();
  const wsUrl = url.replace('http', 'ws') + '/d/chat/socket';

  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${key}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  assert.equal(gw.activity.openStreams(d.deploymentId), 1, 'an open socket is activity');
  const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
  ws.send('hello');
  assert.equal(await reply, 'echo:hello');
  assert.equal(handshakes[0]!['x-aloft-upstream-secret'], 'ws-secret');
  assert.ok(!JSON.stringify(handshakes).includes(key));
  ws.close();
  await until(() => gw.activity.openStreams(d.deploymentId) === 0, 'the tunnel to close');

  const refused = new WebSocket(wsUrl);
  refused.on('error', () => {});
  const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode!)));
  assert.equal(status, 401);
  refused.terminate();
});

test('TLS with a generated self-signed certificate, reused on the next start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'aloft-gw-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const up = await startUpstream(t);
  const { url, backend } = await startGateway(t, { tls: { selfSigned: true, dir } });
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  backend.put({ name: 'sec', upstreamUrl: up.url });
  const { key } = backend.addKey();
  const body = await new Promise<string>((resolve, reject) => {
    https
      .get(`${url}/d/sec/x`, { headers: { 'x-aloft-key': key }, rejectUnauthorized: false, agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
  assert.equal(JSON.parse(body).path, '/x');
  const cert = new X509Certificate(await readFile(join(dir, 'cert.pem')));
  assert.match(cert.subjectAltName ?? '', /DNS:localhost, IP Address:127\.0\.0\.1/, 'names the loopback addresses it is reached at');
  const st = await stat(join(dir, 'key.pem'));
  assert.equal(st.mode & 0o077, 0, 'private key readable by its owner only');
  const before = st.mtimeMs;
  await startGateway(t, { tls: { selfSigned: true, dir } });
  assert.equal((await stat(join(dir, 'key.pem'))).mtimeMs, before, 'reused, not regenerated');
});
