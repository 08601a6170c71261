/**
 * The gateway's fast lane (src/gateway/lane*.ts), request side, on raw sockets:
 * pipelining, the hand-off to node:http, requests the lane declines, request bodies,
 * client timeouts, the body limit, refusals and the connection, the fastLane option
 * and /_aloft/health.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBackend } from '../src/gateway/memory-backend.js';
import { startGateway, startUpstream, until } from './gateway-helpers.js';
import {
  RawClient,
  body,
  content,
  errorCode,
  gatewayFor,
  get,
  hdr,
  rawUpstream,
  sleep,
  viaNodeHttp,
} from './helpers/raw-http.js';

const T = { timeout: 5_000 };

test('two pipelined GETs in one write: two whole answers, in order; the machine sees the secret, never the key', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/one', key) + get('/d/app/two?x=1', key));
  const a = await c.next();
  const b = await c.next();
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.deepEqual(body(a), { path: '/one', method: 'GET', body: '' });
  assert.deepEqual(body(b), { path: '/two?x=1', method: 'GET', body: '' });
  assert.ok(!viaNodeHttp(a) && !viaNodeHttp(b), 'the lane answered both');
  assert.equal(c.rest(), '', 'nothing after the two answers');
  assert.equal(c.closed, false, 'the connection stays open');
  assert.deepEqual(up.seen.map((s) => s.url), ['/one', '/two?x=1']);
  for (const s of up.seen) {
    assert.equal(s.headers['x-aloft-upstream-secret'], 'sekret');
    assert.equal(s.headers['x-aloft-key'], undefined);
    assert.ok(!JSON.stringify(s.rawHeaders).includes(key), 'the key appears nowhere upstream');
  }
});

/** A chunked POST: the lane declines it, node:http takes it with the connection. */
const CHUNKED_POST = (key: string): string =>
  get('/d/app/upload', key, 'Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n', 'POST') +
  '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';

test('one connection: a lane GET, a chunked POST (handed to node:http), another GET: all answered in order', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/first', key));
  const a = await c.next();
  assert.equal(a.status, 200);
  assert.equal(body(a).path, '/first');
  assert.ok(!viaNodeHttp(a), 'the lane answered the first GET');

  c.send(CHUNKED_POST(key));
  const b = await c.next('POST');
  assert.equal(b.status, 200);
  assert.deepEqual(body(b), { path: '/upload', method: 'POST', body: 'hello world' });
  assert.ok(viaNodeHttp(b), 'node:http answered the chunked POST');

  c.send(get('/d/app/third', key));
  const d = await c.next();
  assert.equal(d.status, 200);
  assert.equal(body(d).path, '/third');
  assert.ok(viaNodeHttp(d), 'node:http keeps the connection once it has it');

  assert.deepEqual(up.seen.map((s) => `${s.method} ${s.url}`), ['GET /first', 'POST /upload', 'GET /third']);
  assert.equal(up.seen[1].body, 'hello world');
  for (const s of up.seen) assert.equal(s.headers['x-aloft-key'], undefined);
});

test('the same three requests pipelined in one write: the declined one and the one behind it reach node:http intact', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/first', key) + CHUNKED_POST(key) + get('/d/app/third', key));
  const a = await c.next();
  const b = await c.next('POST');
  const d = await c.next();
  assert.deepEqual([a.status, b.status, d.status], [200, 200, 200]);
  assert.equal(body(a).path, '/first');
  assert.deepEqual(body(b), { path: '/upload', method: 'POST', body: 'hello world' });
  assert.equal(body(d).path, '/third');
  assert.deepEqual(
    up.seen.map((s) => `${s.method} ${s.url} ${s.body}`).sort(),
    ['GET /first ', 'GET /third ', 'POST /upload hello world'],
  );
  assert.equal(up.seen[0].url, '/first');
});

test('declined requests: Content-Length with Transfer-Encoding → 400; a space before a colon → 400; HTTP/1.0 → proxied', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);

  const both = await RawClient.open(t, url);
  both.send(get('/d/app/smuggle', key, 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', 'POST') + '0\r\n\r\n');
  const r1 = await both.next('POST');
  assert.equal(r1.status, 400);
  await both.waitClosed();

  const spaced = await RawClient.open(t, url);
  spaced.send(get('/d/app/spaced', key, 'X-Thing : yes\r\n'));
  const r2 = await spaced.next();
  assert.equal(r2.status, 400);
  await spaced.waitClosed();
  assert.equal(up.seen.length, 0, 'the machine saw neither');

  const old = await RawClient.open(t, url);
  old.send(`GET /d/app/old HTTP/1.0\r\nHost: gw.test\r\nx-aloft-key: ${key}\r\n\r\n`);
  const r3 = await old.next();
  assert.equal(r3.status, 200);
  assert.deepEqual(body(r3), { path: '/old', method: 'GET', body: '' });
  assert.equal(up.seen.length, 1);
  assert.equal(up.seen[0].headers['x-aloft-upstream-secret'], 'sekret');
  assert.equal(up.seen[0].headers['x-aloft-key'], undefined);
});

test('more declined requests: no Host → 400; an unusual method and Expect: 100-continue → node:http proxies them', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);

  const noHost = await RawClient.open(t, url);
  noHost.send(`GET /d/app/nohost HTTP/1.1\r\nx-aloft-key: ${key}\r\n\r\n`);
  assert.equal((await noHost.next()).status, 400);
  await noHost.waitClosed();
  assert.equal(up.seen.length, 0);

  const c = await RawClient.open(t, url);
  c.send(get('/d/app/props', key, '', 'PROPFIND'));
  const p = await c.next('PROPFIND');
  assert.equal(p.status, 200);
  assert.deepEqual(body(p), { path: '/props', method: 'PROPFIND', body: '' });
  assert.ok(viaNodeHttp(p));

  const e = await RawClient.open(t, url);
  e.send(get('/d/app/expect', key, 'Expect: 100-continue\r\nContent-Length: 5\r\n', 'POST'));
  const cont = await e.next('POST');
  assert.equal(cont.status, 100);
  e.send('hello');
  const r = await e.next('POST');
  assert.equal(r.status, 200);
  assert.deepEqual(body(r), { path: '/expect', method: 'POST', body: 'hello' });
  for (const s of up.seen) assert.equal(s.headers['x-aloft-key'], undefined);
});

test('pipelined requests with bodies in one write: each body goes with its request, the next head is read after it', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  // A body that looks like a request: it must reach the machine as the body of /a.
  const fake = 'GET /d/app/not-a-request HTTP/1.1\r\nHost: gw.test\r\n\r\n';
  c.send(
    get('/d/app/a', key, `Content-Length: ${fake.length}\r\n`, 'POST') + fake +
    get('/d/app/b', key, 'Content-Length: 3\r\n', 'PUT') + 'xyz' +
    get('/d/app/c', key),
  );
  const a = await c.next('POST');
  const b = await c.next('PUT');
  const d = await c.next();
  assert.deepEqual(body(a), { path: '/a', method: 'POST', body: fake });
  assert.deepEqual(body(b), { path: '/b', method: 'PUT', body: 'xyz' });
  assert.deepEqual(body(d), { path: '/c', method: 'GET', body: '' });
  assert.ok(![a, b, d].some(viaNodeHttp), 'the lane carried all three');
  assert.deepEqual(up.seen.map((s) => s.url), ['/a', '/b', '/c']);
  assert.equal(c.rest(), '');
});

test('pipelined requests beyond 64 KiB wait while an answer is in flight, then go through', T, async (t) => {
  const up = await startUpstream(t, (req, res) => {
    let received = 0;
    req.on('data', (chunk: Buffer) => (received += chunk.length));
    req.on('end', () => setTimeout(() => res.end(JSON.stringify({ path: req.url, bytes: received })), req.url === '/slow' ? 150 : 0));
  }, { streamBody: true });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  const n = 300_000;
  c.send(get('/d/app/slow', key) + get('/d/app/upload', key, `Content-Length: ${n}\r\n`, 'POST'));
  c.send(Buffer.alloc(n, 98));
  c.send(get('/d/app/last', key));
  const a = await c.next();
  const b = await c.next('POST');
  const d = await c.next();
  assert.deepEqual(
    [body(a), body(b), body(d)],
    [{ path: '/slow', bytes: 0 }, { path: '/upload', bytes: n }, { path: '/last', bytes: 0 }],
  );
  assert.ok(![a, b, d].some(viaNodeHttp), 'the lane carried all three');
});

test('a client that sends Connection: close gets connection: close and the connection ends after the answer', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/bye', key, 'Connection: close\r\n') + get('/d/app/ignored', key));
  const r = await c.next();
  assert.equal(r.status, 200);
  assert.equal(body(r).path, '/bye');
  assert.equal(hdr(r, 'connection'), 'close');
  await c.waitClosed();
  assert.equal(c.rest(), '', 'nothing answered after close');
  assert.deepEqual(up.seen.map((s) => s.url), ['/bye']);
});

test('a POST /_aloft/health with a body: the body is not read as a request', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  const inner = get('/d/app/smuggled', key);
  c.send(get('/_aloft/health', undefined, `Content-Length: ${inner.length}\r\n`, 'POST') + inner);
  const h = await c.next('POST');
  assert.equal(h.status, 200);
  assert.deepEqual(body(h), { ok: true });
  c.send(get('/d/app/real', key));
  const r = await c.next();
  assert.equal(body(r).path, '/real', 'the answer after the health check is the next real request');
  assert.deepEqual(up.seen.map((s) => s.url), ['/real'], 'the machine never saw the body as a request');
});

test('a body over 64 KiB that arrives while the key lookup is still pending reaches the machine', T, async (t) => {
  const up = await startUpstream(t);
  const backend = createMemoryBackend();
  // A slow key store: the body piles up while the lane waits for the lookup.
  const findByPrefix = backend.keys.findByPrefix;
  backend.keys.findByPrefix = async (prefix) => {
    await sleep(100);
    return findByPrefix(prefix);
  };
  const { url } = await startGateway(t, { timeouts: { headersMs: 1_000 } }, backend);
  backend.put({ name: 'app', upstreamUrl: up.url });
  const { key } = backend.addKey();
  const c = await RawClient.open(t, url);
  const n = 200_000;
  c.send(get('/d/app/upload', key, `Content-Length: ${n}\r\n`, 'POST'));
  c.send(Buffer.alloc(n, 97));
  const r = await c.next('POST', 2_500);
  assert.equal(r.status, 200);
  assert.equal(body(r).body.length, n);
});

test('a request head left hanging → 408, then the connection closes', T, async (t) => {
  const up = await startUpstream(t);
  const { url } = await gatewayFor(t, up.url, { timeouts: { clientHeadersMs: 200, clientKeepAliveMs: 300 } });
  const c = await RawClient.open(t, url);
  const t0 = performance.now();
  c.send('GET /d/app/x HTTP/1.1\r\nHost: gw.test\r\nX-Slow: ');
  const r = await c.next('GET', 2_000);
  const took = performance.now() - t0;
  assert.equal(r.status, 408);
  assert.equal(hdr(r, 'connection'), 'close');
  assert.ok(took >= 180, `408 after ${took.toFixed(0)} ms`);
  await c.waitClosed();
  assert.equal(up.seen.length, 0);
});

test('an idle keep-alive connection is closed after clientKeepAliveMs, before and after a request', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url, { timeouts: { clientHeadersMs: 200, clientKeepAliveMs: 300 } });

  const c = await RawClient.open(t, url);
  c.send(get('/d/app/x', key));
  assert.equal((await c.next()).status, 200);
  const answered = performance.now();
  await c.waitClosed(2_000);
  const idle = c.closedAt - answered;
  assert.ok(idle >= 250, `closed after ${idle.toFixed(0)} ms idle`);

  // A connection that never sends a byte.
  const opened = performance.now();
  const quiet = await RawClient.open(t, url);
  await quiet.waitClosed(2_000);
  const quietMs = quiet.closedAt - opened;
  assert.ok(quietMs >= 250, `closed after ${quietMs.toFixed(0)} ms`);
  assert.equal(quiet.bytes().length, 0, 'closed without a word');
});

test('a request body that stalls past clientRequestMs → 408 and the connection closes; the machine connection is dropped', T, async (t) => {
  const up = await rawUpstream(t, () => {});
  const { url, key } = await gatewayFor(t, up.url, { timeouts: { clientHeadersMs: 200, clientRequestMs: 300 } });
  const c = await RawClient.open(t, url);
  const t0 = performance.now();
  c.send(get('/d/app/upload', key, 'Content-Length: 100\r\n', 'POST') + 'x'.repeat(10));
  const r = await c.next('POST');
  const took = performance.now() - t0;
  assert.equal(r.status, 408);
  assert.equal(errorCode(r), 'request_timeout');
  assert.equal(hdr(r, 'connection'), 'close');
  assert.ok(took >= 280, `408 after ${took.toFixed(0)} ms`);
  await c.waitClosed();
  await until(() => up.closedConnections === 1, 'the machine connection to be closed', 2_000);
  assert.equal(up.requests.length, 0, 'the machine never got a whole request');
});

test('a Content-Length above maxBodyBytes → 413 with connection: close; the machine sees nothing', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url, { maxBodyBytes: 1_000 });
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/upload', key, 'Content-Length: 5000\r\n', 'POST') + 'x'.repeat(100));
  const r = await c.next('POST');
  assert.equal(r.status, 413);
  assert.equal(hdr(r, 'connection'), 'close');
  assert.equal(errorCode(r), 'body_too_large');
  await c.waitClosed();
  assert.equal(up.seen.length, 0);

  // Exactly at the limit is fine.
  const ok = await RawClient.open(t, url);
  ok.send(get('/d/app/upload', key, 'Content-Length: 1000\r\n', 'POST') + 'y'.repeat(1_000));
  const r2 = await ok.next('POST');
  assert.equal(r2.status, 200);
  assert.equal(body(r2).body, 'y'.repeat(1_000));
});

test('a refused request (401) whose small body was fully sent keeps the connection; the next request works', T, async (t) => {
  const up = await startUpstream(t);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/nokey', undefined, 'Content-Length: 5\r\n', 'POST') + 'hello');
  const r = await c.next('POST');
  assert.equal(r.status, 401);
  assert.equal(errorCode(r), 'missing_key');
  assert.equal(hdr(r, 'connection'), undefined, 'kept alive');
  c.send(get('/d/app/withkey', key));
  const r2 = await c.next();
  assert.equal(r2.status, 200);
  assert.equal(body(r2).path, '/withkey');
  assert.deepEqual(up.seen.map((s) => s.url), ['/withkey']);
  assert.equal(c.closed, false);
});

test('a refused request (401) whose body has not arrived closes the connection (its body must not be read as a request)', T, async (t) => {
  const up = await startUpstream(t);
  const { url } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/nokey', undefined, 'Content-Length: 64\r\n', 'POST'));
  const r = await c.next('POST');
  assert.equal(r.status, 401);
  assert.equal(hdr(r, 'connection'), 'close');
  await c.waitClosed();
  assert.equal(up.seen.length, 0);
});

test('fastLane: false leaves node:http in charge and still proxies', T, async (t) => {
  const up = await startUpstream(t);
  const { gw, url, key } = await gatewayFor(t, up.url, { fastLane: false });
  const names = gw.server.listeners('connection').map((f) => f.name);
  assert.ok(names.includes('connectionListener'), `node:http's own listener is in place: ${names.join(',')}`);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/x', key));
  const r = await c.next();
  assert.equal(r.status, 200);
  assert.equal(body(r).path, '/x');
  assert.ok(viaNodeHttp(r), 'node:http answered');
  c.send(get('/_aloft/health'));
  const h = await c.next();
  assert.equal(h.status, 200);
  assert.equal(content(h), '{"ok":true}');
});

test('with the lane on, node:http is off the connection event and GET /_aloft/health answers without a key', T, async (t) => {
  const up = await startUpstream(t);
  const { gw, url } = await gatewayFor(t, up.url);
  const names = gw.server.listeners('connection').map((f) => f.name);
  assert.ok(!names.includes('connectionListener'), `node:http's listener is taken off: ${names.join(',')}`);
  assert.equal(gw.server.listeners('connection').length, 1);
  const c = await RawClient.open(t, url);
  c.send(get('/_aloft/health'));
  const h = await c.next();
  assert.equal(h.status, 200);
  assert.match(hdr(h, 'content-type') ?? '', /^application\/json/);
  assert.deepEqual(body(h), { ok: true });
  assert.ok(!viaNodeHttp(h), 'the lane answered');
  c.send(get('/_aloft/health', undefined, '', 'HEAD'));
  const hh = await c.next('HEAD');
  assert.equal(hh.status, 200);
  assert.equal(hdr(hh, 'content-length'), '11');
  c.send(get('/_aloft/health'));
  assert.equal((await c.next()).status, 200, 'the connection still serves after a HEAD');
  assert.equal(c.rest(), '', 'no body after the HEAD answer');
  assert.equal(up.seen.length, 0);
});
