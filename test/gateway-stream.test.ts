import { test as nodeTest, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { json, request, startGateway, startUpstream, until, LANES } from './gateway-helpers.js';

// Every case runs through the fast lane and through node:http + undici (fastLane: false).
for (const { label, fastLane } of LANES) {
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(`${name} (${label})`, fn);

  test('SSE: the first event reaches the client before the machine ends the answer', async (t) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: {"token":"first"}\n\n');
      // The rest waits for the test to say so: only streaming lets the client see `first`.
      void released.then(() => {
        res.write('data: {"token":"second"}\n\n');
        res.end('data: [DONE]\n\n');
      });
    });
    const { url, backend, gw } = await startGateway(t, { fastLane });
    const d = backend.put({ name: 'llm', upstreamUrl: up.url, upstreamSecret: 's' });
    const { key } = backend.addKey();

    const events: string[] = [];
    const done = new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/d/llm/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        agent: false,
      }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          events.push(c);
          if (c.includes('first')) {
            assert.equal(gw.activity.openStreams(d.deploymentId), 1, 'an open stream is activity');
            release();
          }
        });
        res.on('end', () => resolve(res.statusCode!));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ stream: true }));
    });
    assert.equal(await done, 200);
    const all = events.join('');
    assert.ok(all.indexOf('first') < all.indexOf('second'));
    assert.ok(all.endsWith('data: [DONE]\n\n'));
    assert.equal(gw.activity.openStreams(d.deploymentId), 0);
  });

  test('request bodies stream to the machine before the client has finished sending', async (t) => {
    let firstChunkAt = 0;
    const up = await startUpstream(
      t,
      (req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => {
          if (!firstChunkAt) firstChunkAt = Date.now();
          n += c.length;
        });
        req.on('end', () => res.end(JSON.stringify({ bytes: n })));
      },
      { streamBody: true },
    );
    const { url, backend } = await startGateway(t, { fastLane });
    backend.put({ name: 'up', upstreamUrl: up.url });
    const { key } = backend.addKey();
    const answer = new Promise<string>((resolve, reject) => {
      const req = http.request(`${url}/d/up/upload`, { method: 'PUT', headers: { 'x-aloft-key': key }, agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.write(Buffer.alloc(1000, 1));
      // Hold the rest until the machine has seen the first chunk.
      void until(() => firstChunkAt > 0, 'first chunk upstream').then(() => req.end(Buffer.alloc(500, 2)), reject);
    });
    assert.deepEqual(JSON.parse(await answer), { bytes: 1500 });
  });

  test('a client that disconnects aborts the upstream request', async (t) => {
    let upstreamClosed = false;
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write('{"response":"a"}\n');
      res.on('close', () => (upstreamClosed = true));
      // Never ends by itself: a generation that goes on.
    });
    const { url, backend, gw } = await startGateway(t, { fastLane });
    const d = backend.put({ name: 'llm', upstreamUrl: up.url });
    const { key } = backend.addKey();
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${url}/d/llm/api/generate`, { method: 'POST', headers: { 'x-ollama-key': key }, agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end('{"model":"m"}');
    });
    await until(() => upstreamClosed, 'the upstream request to close');
    await until(() => gw.activity.openStreams(d.deploymentId) === 0, 'the stream to be counted closed');
  });

  test('body limit (413), rate limit (429), machine down (502), machine too slow (504)', async (t) => {
    const up = await startUpstream(t, (req, res, body) => {
      if (req.url === '/slow') return; // never answers
      res.end(JSON.stringify({ len: body.length }));
    });
    const { url, backend } = await startGateway(t, {
      fastLane,
      maxBodyBytes: 1000,
      rateLimit: { perSecond: 0.5, burst: 5 },
      timeouts: { headersMs: 300 },
    });
    backend.put({ name: 'app', upstreamUrl: up.url });
    backend.put({ name: 'down', upstreamUrl: 'http://127.0.0.1:1' });
    const k1 = backend.addKey();
    const k2 = backend.addKey();
    const k3 = backend.addKey();
    const h = (k: string) => ({ 'x-aloft-key': k });

    const big = await request(`${url}/d/app/x`, { method: 'POST', headers: h(k1.key), body: Buffer.alloc(1001) });
    assert.equal(big.status, 413);
    assert.equal(json(big).error.code, 'body_too_large');
    // Chunked (no length): counted as it streams.
    const chunked = await request(`${url}/d/app/x`, { method: 'POST', headers: { ...h(k1.key), 'transfer-encoding': 'chunked' }, body: Buffer.alloc(5000) });
    assert.equal(chunked.status, 413);
    const fits = await request(`${url}/d/app/x`, { method: 'POST', headers: { ...h(k1.key), 'transfer-encoding': 'chunked' }, body: Buffer.alloc(1000) });
    assert.deepEqual(json(fits), { len: 1000 });

    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 7; i++) {
      const r = await request(`${url}/d/app/x`, { headers: h(k2.key) });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers['retry-after'] as string;
    }
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
    assert.equal(statuses[6], 429);
    assert.equal(retryAfter, '2');
    assert.equal((await request(`${url}/d/app/x`, { headers: h(k3.key) })).status, 200, 'other keys unaffected');

    const down = await request(`${url}/d/down/x`, { headers: h(k3.key) });
    assert.equal(down.status, 502);
    assert.equal(json(down).error.code, 'upstream_error');
    const slow = await request(`${url}/d/app/slow`, { headers: h(k3.key) });
    assert.equal(slow.status, 504);
    assert.equal(json(slow).error.code, 'upstream_timeout');
  });

  test('metrics count requests by deployment and status, bytes and latency', async (t) => {
    const up = await startUpstream(t);
    const { url, backend, gw } = await startGateway(t, { fastLane });
    backend.put({ name: 'llm', upstreamUrl: up.url });
    const { key } = backend.addKey();
    await request(`${url}/d/llm/a`, { headers: { 'x-aloft-key': key } });
    await request(`${url}/d/llm/b`, { headers: { 'x-aloft-key': key } });
    await request(`${url}/d/llm/b`);
    // The server books a request when its response closes, which may trail the client's read.
    let text = '';
    for (let i = 0; i < 200 && !/deployment="_none",status="401"\} 1/.test(text); i++) {
      text = await gw.metrics.registry.metrics();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match(text, /aloft_gateway_requests_total\{deployment="llm",status="200"\} 2/);
    assert.match(text, /aloft_gateway_requests_total\{deployment="_none",status="401"\} 1/);
    assert.match(text, /aloft_gateway_request_duration_seconds_count\{deployment="llm"\} 2/);
    assert.match(text, /aloft_gateway_bytes_total\{deployment="llm",direction="out"\} [1-9]/);
    assert.match(text, /aloft_gateway_open_streams\{deployment="llm"\} 0/);
  });

  test('SSE: response headers reach the client before the first event (a model still loading)', async (t) => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const up = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      void released.then(() => res.end('data: late\n\n'));
    });
    const { url, backend } = await startGateway(t, { fastLane });
    backend.put({ name: 'llm', upstreamUrl: up.url });
    const { key } = backend.addKey();
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(`${url}/d/llm/api/generate`, { headers: { 'x-aloft-key': key }, agent: false }, (res) => {
          assert.equal(res.headers['content-type'], 'text/event-stream');
          // Only now may the machine send its first event.
          release();
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(b));
        })
        .on('error', reject);
    });
    assert.equal(body, 'data: late\n\n');
  });

  test('a client that never finishes its headers is cut off (slowloris)', async (t) => {
    const { url } = await startGateway(t, { fastLane, timeouts: { clientHeadersMs: 400 } });
    const { port } = new URL(url);
    const sock = net.connect(Number(port), '127.0.0.1');
    t.after(() => sock.destroy());
    await once(sock, 'connect');
    sock.write('GET /d/llm/ HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const started = Date.now();
    let answer = '';
    sock.on('data', (d) => (answer += d));
    await once(sock, 'close');
    assert.ok(Date.now() - started < 10_000);
    assert.match(answer, /^HTTP\/1\.1 408/);
  });
}
