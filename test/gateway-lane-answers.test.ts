/**
 * The gateway's fast lane (src/gateway/lane*.ts), answer side, on raw sockets: the
 * shapes of answers a machine sends (chunked with trailers, close-delimited, HEAD, 204,
 * 103, hop-by-hop headers, broken ones, HTTP/1.0), a client hanging up mid-answer,
 * machine connection reuse and retry, machine timeouts, and 8 MB bodies both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { startUpstream, until } from './gateway-helpers.js';
import {
  RawClient,
  body,
  errorCode,
  gatewayFor,
  get,
  hdr,
  parseResponse,
  rawUpstream,
  sleep,
  viaNodeHttp,
  writeParts,
} from './helpers/raw-http.js';

const T = { timeout: 5_000 };

const PLAIN_OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok';

test('a chunked answer with a chunk extension and a trailer passes byte for byte; the connection stays usable', T, async (t) => {
  const up = await rawUpstream(t, (req, sock) => {
    if (req.url === '/plain') return void sock.write(PLAIN_OK);
    // Split mid-extension, mid-data and mid-trailer.
    void writeParts(sock, [
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5;name=val',
      'ue\r\nhel',
      'lo\r\n6\r\n world\r\n0\r\nX-Check',
      'sum: abc\r\n\r\n',
    ]);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/chunked', key));
  const a = await c.next();
  assert.equal(a.status, 200);
  assert.equal(hdr(a, 'transfer-encoding'), 'chunked');
  assert.equal(hdr(a, 'content-length'), undefined);
  assert.equal(hdr(a, 'connection'), undefined);
  assert.equal(a.body.toString('latin1'), '5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n');

  c.send(get('/d/app/plain', key));
  const b = await c.next();
  assert.equal(b.status, 200);
  assert.equal(b.body.toString(), 'ok');
  assert.equal(c.rest(), '');
  assert.equal(up.connections, 1, 'the machine connection was reused after the chunked answer');
});

test('a close-delimited answer: the whole body, connection: close, then the connection closes', T, async (t) => {
  const up = await rawUpstream(t, (_req, sock) => {
    void writeParts(sock, ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart1-', 'part2-', 'part3']).then(() => sock.end());
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/stream', key));
  const a = await c.next();
  assert.equal(a.status, 200);
  assert.equal(hdr(a, 'connection'), 'close');
  assert.equal(a.body.toString(), 'part1-part2-part3');
  await c.waitClosed();
});

test('HEAD: a Content-Length without a body; the next request on the connection works', T, async (t) => {
  const up = await rawUpstream(t, (req, sock) => {
    if (req.method === 'HEAD') sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n');
    else sock.write(PLAIN_OK);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/thing', key, '', 'HEAD'));
  const a = await c.next('HEAD');
  assert.equal(a.status, 200);
  assert.equal(hdr(a, 'content-length'), '10');
  assert.equal(a.body.length, 0);
  c.send(get('/d/app/thing', key));
  const b = await c.next();
  assert.equal(b.status, 200, `the GET after HEAD: ${b.head}`);
  assert.equal(b.body.toString(), 'ok');
  assert.equal(c.rest(), '');
  assert.deepEqual(up.requests.map((r) => `${r.method} ${r.conn}`), ['HEAD 1', 'GET 1'], 'one machine connection for both');
});

test('204 without a body; the next request on the connection works', T, async (t) => {
  const up = await rawUpstream(t, (req, sock) => {
    if (req.url === '/empty') sock.write('HTTP/1.1 204 No Content\r\nX-Done: yes\r\n\r\n');
    else sock.write(PLAIN_OK);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/empty', key, '', 'DELETE'));
  const a = await c.next('DELETE');
  assert.equal(a.status, 204);
  assert.equal(hdr(a, 'x-done'), 'yes');
  assert.equal(a.body.length, 0);
  c.send(get('/d/app/plain', key));
  const b = await c.next();
  assert.equal(b.status, 200);
  assert.equal(b.body.toString(), 'ok');
  assert.equal(c.rest(), '');
});

test('103 Early Hints before the 200: the client gets only the 200 (hints apart and in the same write)', T, async (t) => {
  const hints = 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n';
  const up = await rawUpstream(t, (req, sock) => {
    if (req.url === '/apart') void writeParts(sock, [hints, PLAIN_OK]);
    else sock.write(hints + hints + PLAIN_OK);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/apart', key));
  const a = await c.next();
  assert.equal(a.status, 200);
  assert.equal(a.body.toString(), 'ok');
  c.send(get('/d/app/joined', key));
  const b = await c.next();
  assert.equal(b.status, 200);
  assert.equal(b.body.toString(), 'ok');
  const all = c.bytes().toString('latin1');
  assert.ok(all.startsWith('HTTP/1.1 200 '), all.slice(0, 80));
  assert.ok(!all.includes('103') && !/link:/i.test(all), 'no trace of the hints');
});

test('hop-by-hop answer headers (Connection, Keep-Alive and the headers Connection names) stay behind', T, async (t) => {
  const up = await rawUpstream(t, (_req, sock) => {
    sock.write(
      'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=30\r\nX-Internal: secret\r\nX-Public: yes\r\nContent-Length: 2\r\n\r\nok',
    );
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/x', key));
  const r = await c.next();
  assert.equal(r.status, 200);
  assert.equal(hdr(r, 'x-public'), 'yes');
  assert.equal(hdr(r, 'x-internal'), undefined);
  assert.equal(hdr(r, 'keep-alive'), undefined);
  assert.equal(hdr(r, 'connection'), undefined);
  assert.equal(r.body.toString(), 'ok');
});

// Answers whose head is bad: the client gets a 502 of the gateway's own.
const BAD_HEADS: Array<[name: string, answer: string]> = [
  ['two differing Content-Length headers', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  ['an obs-fold header line', 'HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\nContent-Length: 2\r\n\r\nok'],
  ['garbage instead of a status line', 'SPAM SPAM SPAM\r\nEggs: yes\r\n\r\n'],
  ['a 101 nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'],
];
for (const [name, answer] of BAD_HEADS) {
  test(`an answer with ${name} → 502 upstream_error`, T, async (t) => {
    const up = await rawUpstream(t, (_req, sock) => void sock.write(answer));
    const { url, key } = await gatewayFor(t, up.url);
    const c = await RawClient.open(t, url);
    c.send(get('/d/app/x', key));
    const a = await c.next();
    assert.equal(a.status, 502);
    assert.match(hdr(a, 'content-type') ?? '', /^application\/json/);
    assert.equal(errorCode(a), 'upstream_error');
    assert.ok(
      !a.raw.toString('latin1').includes('hello') && !a.raw.toString('latin1').includes('Folded'),
      'nothing of the bad answer leaks',
    );
    await until(() => up.closedConnections === 1, 'the bad machine connection to be closed', 2_000);
  });
}

// Answers whose body goes bad after the head has been relayed: all the lane can do is cut the client off.
const BAD_BODIES: Array<[name: string, answer: string]> = [
  ['a broken chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n'],
  ['a Content-Length body the machine cuts short', 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this'],
];
for (const [name, answer] of BAD_BODIES) {
  test(`${name} after the head went out: the client connection is cut, the stream closed`, T, async (t) => {
    const up = await rawUpstream(t, (_req, sock) => {
      const h = answer.indexOf('\r\n\r\n') + 4;
      void writeParts(sock, [answer.slice(0, h), answer.slice(h)], 30).then(() => {
        if (name.includes('short')) setTimeout(() => sock.destroy(), 20);
      });
    });
    const { gw, url, key, dep } = await gatewayFor(t, up.url);
    const c = await RawClient.open(t, url);
    c.send(get('/d/app/x', key));
    await c.waitClosed();
    const all = c.bytes().toString('latin1');
    assert.match(all, /^HTTP\/1\.1 200 /, 'the head had gone out');
    assert.ok(!all.includes('XX'), 'nothing past the broken framing');
    let whole = false;
    try {
      const p = parseResponse(c.bytes(), 0, 'GET', false);
      whole = p !== null && 'resp' in p;
    } catch {
      // Framing the parser rejects is just as incomplete.
    }
    assert.equal(whole, false, 'the client can tell the answer is incomplete');
    await until(() => up.closedConnections === 1, 'the machine connection to be closed', 2_000);
    await until(() => gw.activity.openStreams(dep.deploymentId) === 0, 'no open stream', 2_000);
  });
}

test('an HTTP/1.0 answer without keep-alive: relayed as HTTP/1.1, the client connection stays, the machine connection is not reused', T, async (t) => {
  const up = await rawUpstream(t, (req, sock) =>
    void sock.write(`HTTP/1.0 200 OK\r\nContent-Length: ${req.url.length}\r\n\r\n${req.url}`));
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  for (const p of ['/one', '/two']) {
    c.send(get(`/d/app${p}`, key));
    const r = await c.next();
    assert.match(r.head, /^HTTP\/1\.1 200 /);
    assert.equal(hdr(r, 'connection'), undefined);
    assert.equal(r.body.toString(), p);
  }
  assert.equal(c.closed, false);
  assert.deepEqual(up.requests.map((r) => r.conn), [1, 2]);
});

test('a client that hangs up mid-answer: the machine connection is closed and the stream counted closed', T, async (t) => {
  const up = await rawUpstream(t, (_req, sock) =>
    void sock.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n'));
  const { gw, url, key, dep } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/events', key));
  await until(() => c.bytes().toString().includes('data: 1'), 'the first event', 2_000);
  assert.equal(gw.activity.openStreams(dep.deploymentId), 1);
  c.sock.destroy();
  await until(() => up.closedConnections === 1, 'the machine connection to be closed', 2_000);
  await until(() => gw.activity.openStreams(dep.deploymentId) === 0, 'no open stream', 2_000);
});

test('five sequential requests on one client connection use one machine connection', T, async (t) => {
  const up = await startUpstream(t);
  let conns = 0;
  up.server.on('connection', () => conns++);
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  for (let i = 0; i < 5; i++) {
    c.send(get(`/d/app/n${i}`, key));
    const r = await c.next();
    assert.equal(r.status, 200);
    assert.equal(body(r).path, `/n${i}`);
  }
  assert.equal(up.seen.length, 5);
  assert.equal(conns, 1);
});

test('a machine that closes each connection right after answering (no connection: close): every request succeeds', T, async (t) => {
  const up = await rawUpstream(t, (req, sock) => {
    sock.end(`HTTP/1.1 200 OK\r\nContent-Length: ${req.url.length}\r\n\r\n${req.url}`);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  for (let i = 0; i < 5; i++) {
    c.send(get(`/d/app/n${i}`, key));
    const r = await c.next();
    assert.equal(r.status, 200, `request ${i}: ${r.body.toString()}`);
    assert.equal(r.body.toString(), `/n${i}`);
  }
  assert.equal(up.requests.filter((r) => r.index === 1).length, 5);
});

test('a reused machine connection closed before answering: a GET is retried once on a fresh one; a POST with a body is not', T, async (t) => {
  // Each connection answers its first request and drops at the second.
  const up = await rawUpstream(t, (req, sock) => {
    if (req.index > 1) return void sock.destroy();
    sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${req.url.length}\r\n\r\n${req.url}`);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  for (let i = 0; i < 4; i++) {
    c.send(get(`/d/app/n${i}`, key));
    const r = await c.next();
    assert.equal(r.status, 200, `request ${i}: ${r.body.toString()}`);
    assert.equal(r.body.toString(), `/n${i}`);
  }
  assert.deepEqual(
    up.requests.map((r) => `${r.url}@${r.conn}.${r.index}`),
    ['/n0@1.1', '/n1@1.2', '/n1@2.1', '/n2@2.2', '/n2@3.1', '/n3@3.2', '/n3@4.1'],
  );

  c.send(get('/d/app/post', key, 'Content-Length: 4\r\n', 'POST') + 'data');
  const p = await c.next('POST');
  assert.equal(p.status, 502);
  assert.equal(errorCode(p), 'upstream_error');
  assert.deepEqual(
    up.requests.slice(7).map((r) => `${r.url}@${r.conn}.${r.index}`),
    ['/post@4.2'],
    'no retry: the body is gone',
  );
  assert.equal(up.connections, 4);
});

test('a machine that never answers → 504 upstream_timeout after headersMs; its connection is dropped', T, async (t) => {
  const up = await rawUpstream(t, () => {});
  const { url, key } = await gatewayFor(t, up.url, { timeouts: { headersMs: 200 } });
  const c = await RawClient.open(t, url);
  const t0 = performance.now();
  c.send(get('/d/app/slow', key));
  const r = await c.next();
  const took = performance.now() - t0;
  assert.equal(r.status, 504);
  assert.equal(errorCode(r), 'upstream_timeout');
  assert.ok(took >= 180, `504 after ${took.toFixed(0)} ms`);
  await until(() => up.closedConnections === 1, 'the machine connection to be closed', 2_000);
});

test('a machine that stalls mid-body past bodyIdleMs: the client is cut off without the rest; no stream stays open', T, async (t) => {
  const up = await rawUpstream(t, (_req, sock) => {
    sock.write('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100\r\n\r\n0123456789');
  });
  const { gw, url, key, dep } = await gatewayFor(t, up.url, { timeouts: { bodyIdleMs: 200 } });
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/big', key));
  await until(() => c.bytes().toString('latin1').endsWith('0123456789'), 'the first 10 body bytes', 2_000);
  const got = performance.now();
  assert.equal(gw.activity.openStreams(dep.deploymentId), 1, 'the stream is open while the body flows');
  await c.waitClosed(2_000);
  const all = c.bytes().toString('latin1');
  assert.match(all, /^HTTP\/1\.1 200 /);
  assert.ok(all.endsWith('\r\n\r\n0123456789'), 'exactly the 10 bytes the machine sent');
  assert.ok(c.closedAt - got >= 150, `cut off after ${(c.closedAt - got).toFixed(0)} ms`);
  await until(() => gw.activity.openStreams(dep.deploymentId) === 0, 'no open stream', 2_000);
  assert.match(await gw.metrics.registry.metrics(), /aloft_gateway_open_streams\{deployment="app"\} 0/);
  await until(() => up.closedConnections === 1, 'the machine connection to be closed', 2_000);
});

const BIG = 8 * 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('an 8 MB request body with Content-Length reaches the machine whole', T, async (t) => {
  const up = await startUpstream(t, (req, res) => {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (chunk: Buffer) => {
      n += chunk.length;
      h.update(chunk);
    });
    req.on('end', () => res.end(JSON.stringify({ bytes: n, sha: h.digest('hex') })));
  }, { streamBody: true });
  const { url, key } = await gatewayFor(t, up.url);
  const upload = randomBytes(BIG);
  const c = await RawClient.open(t, url);
  c.send(get('/d/app/upload', key, `Content-Length: ${BIG}\r\n`, 'POST'));
  c.send(upload);
  const r = await c.next('POST', 4_000);
  assert.equal(r.status, 200);
  assert.ok(!viaNodeHttp(r), 'the lane carried it');
  assert.deepEqual(body(r), { bytes: BIG, sha: sha(upload) });
  c.send(get('/d/app/after', key, 'Content-Length: 0\r\n', 'POST'));
  assert.equal((await c.next('POST')).status, 200);
});

test('an 8 MB answer to a client that reads late arrives intact', T, async (t) => {
  const payload = randomBytes(BIG);
  const up = await startUpstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
    res.end(payload);
  });
  const { url, key } = await gatewayFor(t, up.url);
  const c = await RawClient.open(t, url);
  // The client reads nothing for 300 ms while the answer is on its way.
  c.sock.pause();
  c.send(get('/d/app/download', key));
  await sleep(300);
  c.sock.resume();
  const r = await c.next('GET', 4_000);
  assert.equal(r.status, 200);
  assert.equal(hdr(r, 'content-length'), String(BIG));
  assert.equal(r.body.length, BIG);
  assert.equal(sha(r.body), sha(payload));
  c.send(get('/d/app/again', key));
  const again = await c.next('GET', 4_000);
  assert.equal(again.status, 200);
  assert.equal(sha(again.body), sha(payload));
});
