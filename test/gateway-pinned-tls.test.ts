/**
 * Cloud upstreams: the machine's key proxy speaks HTTPS with the certificate the control
 * plane issued (RouteTarget.upstreamCaPem). The gateway forwards requests and WebSocket
 * upgrades to it, trusting exactly that certificate; an upstream presenting any other one
 * gets nothing (502).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { WebSocket, WebSocketServer } from 'ws';
import { generateSelfSigned } from '../src/lib/self-signed.js';
import { json, request, startGateway } from './gateway-helpers.js';

test('a pinned HTTPS upstream: requests and WebSockets pass, another certificate gets 502', async (t) => {
  const [issued, impostor] = await Promise.all([generateSelfSigned('aloft-issued'), generateSelfSigned('aloft-impostor')]);
  const seen: string[] = [];
  const up = createServer({ key: issued.keyPem, cert: issued.certPem }, (req, res) => {
    seen.push(req.url!);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  const wss = new WebSocketServer({ server: up });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`echo:${m.toString()}`)));
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => (wss.close(), up.close(r), up.closeAllConnections())));
  const upUrl = `https://127.0.0.1:${(up.address() as { port: number }).port}`;

  const { url, backend } = await startGateway(t);
  backend.put({ name: 'good', upstreamUrl: upUrl, upstreamCaPem: issued.certPem, upstreamSecret: 's' });
  backend.put({ name: 'bad', upstreamUrl: upUrl, upstreamCaPem: impostor.certPem, upstreamSecret: 's' });
  backend.put({ name: 'nopin', upstreamUrl: upUrl, upstreamSecret: 's' });
  const { key } = backend.addKey();
  const headers = { authorization: `Bearer ${key}` };

  const ok = await request(`${url}/d/good/hello`, { headers });
  assert.equal(ok.status, 200);
  assert.deepEqual(json(ok), { path: '/hello' });
  for (const name of ['bad', 'nopin']) {
    const refused = await request(`${url}/d/${name}/hello`, { headers });
    assert.equal(refused.status, 502, name);
  }
  assert.deepEqual(seen, ['/hello'], 'nothing crossed a refused handshake');

  const ws = new WebSocket(`${url.replace('http', 'ws')}/d/good/socket`, { headers });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const reply = new Promise<string>((resolve) => ws.once('message', (m) => resolve(m.toString())));
  ws.send('hi');
  assert.equal(await reply, 'echo:hi');
  ws.close();

  const badWs = new WebSocket(`${url.replace('http', 'ws')}/d/bad/socket`, { headers });
  const outcome = await new Promise<string>((resolve) => {
    badWs.once('open', () => resolve('open'));
    badWs.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
    badWs.once('error', () => resolve('error'));
  });
  badWs.terminate();
  assert.notEqual(outcome, 'open', 'a WebSocket to an impostor never opens');
});
