import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFieldValue, isToken, MAX_HEAD_BYTES, parseRequestHead, trimOws } from './wire-request.js';

/** Parses a head given as a latin1 string that ends with CRLF CRLF. */
function parse(s: string) {
  const buf = Buffer.from(s, 'latin1');
  const end = buf.indexOf('\r\n\r\n');
  assert.ok(end !== -1, 'test head lacks CRLF CRLF');
  return parseRequestHead(buf, end);
}

/** A request line and header lines joined by CRLF, closed by CRLF CRLF. */
function head(requestLine: string, ...lines: string[]): string {
  return [requestLine, ...lines].join('\r\n') + '\r\n\r\n';
}

/** A GET with a Host header plus the given lines; must be accepted unless a line breaks it. */
function withHost(...lines: string[]) {
  return parse(head('GET /v1/models HTTP/1.1', 'Host: gw.example.com', ...lines));
}

test('a normal GET: method, url, raw headers in order and case, trimmed values, fields, defaults', () => {
  const s = head(
    'GET /api/tags?x=1&y=%20 HTTP/1.1',
    'Host: gw.example.com',
    'user-AGENT:  \tcurl/8.5.0\t ',
    'Accept: application/json',
    'Authorization: Bearer abc',
    'X-Aloft-Key:aloft_k',
    'X-Ollama-Key: \t aloft_o',
    'Connection: Keep-Alive',
    'X-Empty:',
    'X-Inner: a  b\tc',
  );
  const r = parse(s);
  assert.ok(r);
  assert.equal(r.method, 'GET');
  assert.equal(r.url, '/api/tags?x=1&y=%20');
  assert.deepEqual(r.rawHeaders, [
    'Host', 'gw.example.com',
    'user-AGENT', 'curl/8.5.0',
    'Accept', 'application/json',
    'Authorization', 'Bearer abc',
    'X-Aloft-Key', 'aloft_k',
    'X-Ollama-Key', 'aloft_o',
    'Connection', 'Keep-Alive',
    'X-Empty', '',
    'X-Inner', 'a  b\tc',
  ]);
  assert.deepEqual(r.fields, {
    host: 'gw.example.com',
    authorization: 'Bearer abc',
    'x-aloft-key': 'aloft_k',
    'x-ollama-key': 'aloft_o',
    accept: 'application/json',
    connection: 'keep-alive',
  });
  assert.equal(r.contentLength, 0);
  assert.equal(r.keepAlive, true);
  assert.equal(r.headBytes, Buffer.byteLength(s, 'latin1'));
  assert.equal(r.headBytes, s.indexOf('\r\n\r\n') + 4);
});

test('headBytes counts only the head when the body or a next request follows it in the buffer', () => {
  const s = head('POST /api/chat HTTP/1.1', 'Host: x', 'Content-Length: 2') + '{}GET / HTTP/1.1\r\n\r\n';
  const buf = Buffer.from(s, 'latin1');
  const end = buf.indexOf('\r\n\r\n');
  const r = parseRequestHead(buf, end);
  assert.ok(r);
  assert.equal(r.headBytes, end + 4);
  assert.equal(buf.subarray(r.headBytes, r.headBytes + r.contentLength).toString(), '{}');
});

test('a request line with only a Host is read; one without any header line is declined (no Host)', () => {
  const r = parse('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(r);
  assert.equal(r.url, '/');
  assert.deepEqual(r.rawHeaders, ['Host', 'x']);
  assert.deepEqual(r.fields, { host: 'x' });
  assert.equal(r.headBytes, 27);
  assert.equal(parse('GET / HTTP/1.1\r\n\r\n'), null);
});

test('a POST with Content-Length carries its length', () => {
  const r = parse(head('POST /api/generate HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'content-length:  1234 '));
  assert.ok(r);
  assert.equal(r.method, 'POST');
  assert.equal(r.contentLength, 1234);
  assert.deepEqual(r.rawHeaders.slice(4), ['content-length', '1234']);
  const zero = parse(head('POST / HTTP/1.1', 'Host: x', 'Content-Length: 0'));
  assert.equal(zero?.contentLength, 0);
  const fifteen = parse(head('POST / HTTP/1.1', 'Host: x', 'Content-Length: 000000000000042'));
  assert.equal(fifteen?.contentLength, 42);
  const big = parse(head('POST / HTTP/1.1', 'Host: x', 'Content-Length: 999999999999999'));
  assert.equal(big?.contentLength, 999999999999999);
});

test('Connection: close (any case) turns keep-alive off; keep-alive or none keeps it on', () => {
  for (const v of ['close', 'Close', 'CLOSE', ' close\t']) {
    const r = withHost(`Connection: ${v}`);
    assert.ok(r, v);
    assert.equal(r.keepAlive, false, v);
    assert.equal(r.fields.connection, 'close', v);
  }
  assert.equal(withHost('Connection: keep-alive')?.keepAlive, true);
  assert.equal(withHost()?.keepAlive, true);
  assert.equal(withHost()?.fields.connection, undefined);
});

test('the common methods are taken; others (CONNECT, WebDAV, unknown, lowercase) go to node:http', () => {
  for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']) {
    assert.equal(parse(head(`${m} / HTTP/1.1`, 'Host: x'))?.method, m, m);
  }
  for (const m of ['CONNECT', 'TRACE', 'PROPFIND', 'M-SEARCH', 'FOO', 'get', "X!#$%&'*+-.^_`|~9"]) {
    assert.equal(parse(head(`${m} / HTTP/1.1`, 'Host: x')), null, m);
  }
});

test('a request line that is not HTTP/1.1, origin-form and single-spaced is declined', () => {
  const bad = [
    'GET / HTTP/1.0',
    'GET / HTTP/2.0',
    'GET / HTTP/1.2',
    'GET / http/1.1',
    'GET / HTTP/1.1 ',
    ' GET / HTTP/1.1',
    'GET  / HTTP/1.1',
    'GET /  HTTP/1.1',
    'GET /\tHTTP/1.1',
    'GET\t/ HTTP/1.1',
    'GET /',
    'GET / ',
    'GET',
    '/ HTTP/1.1',
    'GET http://x/ HTTP/1.1',
    'GET x/y HTTP/1.1',
    'OPTIONS * HTTP/1.1',
    'CONNECT example.com:443 HTTP/1.1',
    'CONNECT / HTTP/1.1',
    'GE T / HTTP/1.1',
    'G(T / HTTP/1.1',
    'G:T / HTTP/1.1',
    'G"T / HTTP/1.1',
    'G\x00T / HTTP/1.1',
    'G\xe9T / HTTP/1.1',
  ];
  for (const line of bad) assert.equal(parse(head(line, 'Host: x')), null, JSON.stringify(line));
});

test('a target with a control char, DEL or a byte >= 0x80 is declined', () => {
  for (const c of ['\x00', '\x01', '\x09', '\x1f', '\x7f', '\x80', '\xe9', '\xff']) {
    assert.equal(parse(head(`GET /a${c}b HTTP/1.1`, 'Host: x')), null, JSON.stringify(c));
  }
  // Every visible ASCII character is fine.
  let visible = '/';
  for (let c = 0x21; c < 0x7f; c++) visible += String.fromCharCode(c);
  assert.equal(parse(head(`GET ${visible} HTTP/1.1`, 'Host: x'))?.url, visible);
});

test('Transfer-Encoding, Upgrade, Expect and HTTP2-Settings are declined in any case and with any value', () => {
  for (const name of ['Transfer-Encoding', 'transfer-encoding', 'TRANSFER-ENCODING', 'tRaNsFeR-eNcOdInG', 'Upgrade', 'upgrade', 'Expect', 'EXPECT', 'HTTP2-Settings', 'http2-settings']) {
    for (const value of ['chunked', 'identity', 'gzip, chunked', '', 'h2c', '100-continue', 'AAMAAABkAAQAAP__']) {
      assert.equal(withHost(`${name}: ${value}`), null, `${name}: ${value}`);
    }
  }
  assert.equal(parse(head('POST / HTTP/1.1', 'Content-Length: 5', 'Transfer-Encoding: chunked')), null);
  assert.equal(parse(head('POST / HTTP/1.1', 'Transfer-Encoding: chunked', 'Content-Length: 5')), null);
});

test('two Content-Length headers are declined, even with equal values', () => {
  assert.equal(parse(head('POST / HTTP/1.1', 'Content-Length: 5', 'Content-Length: 5')), null);
  assert.equal(parse(head('POST / HTTP/1.1', 'Content-Length: 5', 'content-length: 6')), null);
  assert.equal(parse(head('POST / HTTP/1.1', 'Content-Length: 5', 'X-A: b', 'CONTENT-LENGTH: 5')), null);
});

test('a Content-Length that is not 1 to 15 plain digits is declined', () => {
  for (const v of ['', 'abc', '5a', '0x5', '+5', '-5', '5 5', '5\t5', '1,1', '5, 5', '1.0', '1e3', '0000000000000001', '1234567890123456', '\u0665']) {
    assert.equal(parse(head('POST / HTTP/1.1', 'Host: x', `Content-Length: ${v}`)), null, JSON.stringify(v));
  }
});

test('whitespace before the colon, obs-fold, a line without a colon or an empty name are declined', () => {
  for (const lines of [
    ['Host : x'],
    ['Host\t: x'],
    ['Host: x', 'X-A : b'],
    ['Host: x', 'X-A: b', ' folded'],
    ['Host: x', 'X-A: b', '\tfolded'],
    ['Host: x', ' X-B: c'],
    [' Host: x'],
    ['Host: x', 'X-A b'],
    ['Host: x', 'no-colon'],
    ['Host: x', ': value'],
    [':'],
    ['Host: x', 'X(A): b'],
    ['Host: x', 'X-\xe9: b'],
    ['Host: x', 'X-A\x00: b'],
  ]) {
    assert.equal(parse(head('GET / HTTP/1.1', ...lines)), null, JSON.stringify(lines));
  }
});

test('a bare LF or bare CR inside the request line, a name or a value is declined', () => {
  const heads = [
    // Smuggling attempts: a second header hidden behind a bare LF or CR.
    head('POST / HTTP/1.1', 'Host: x', 'X-A: b\nTransfer-Encoding: chunked'),
    head('POST / HTTP/1.1', 'Host: x', 'X-A: b\rTransfer-Encoding: chunked'),
    head('POST / HTTP/1.1', 'Host: x', 'X-A: b\nContent-Length: 5'),
    head('GET / HTTP/1.1', 'Host: x', 'X-A: b\n'),
    head('GET / HTTP/1.1', 'Host: x', 'X-A: \rb'),
    head('GET / HTTP/1.1', 'Host: x', 'X-A: b\r'),
    head('GET / HTTP/1.1', 'Host: x', 'X\n-A: b'),
    head('GET / HTTP/1.1', 'Host: x', 'X\r-A: b'),
    head('GET / HTTP/1.1', 'Host: x', '\nX-A: b'),
    head('GET / HTTP/1.1\nHost: x'),
    head('GET / HTTP/1.1\rHost: x'),
    head('GET / HTTP/1.1\n', 'Host: x'),
    head('GET /a\nb HTTP/1.1', 'Host: x'),
    head('GET /a\rb HTTP/1.1', 'Host: x'),
    head('G\nT / HTTP/1.1', 'Host: x'),
    head('GET / HTTP/1.1', 'Host: x\nHost: y'),
  ];
  for (const s of heads) assert.equal(parse(s), null, JSON.stringify(s));
});

test('a control char or DEL in a value is declined; HTAB and obs-text are values', () => {
  for (const c of ['\x00', '\x01', '\x08', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f']) {
    assert.equal(withHost(`X-A: b${c}c`), null, JSON.stringify(c));
  }
  const r = withHost('X-A: caf\xe9 \t ok');
  assert.ok(r);
  assert.equal(r.rawHeaders[3], 'caf\u00e9 \t ok');
  assert.equal(withHost('X-A: \x80\xff')?.rawHeaders[3], '\u0080\u00ff');
});

test('a second Host, Authorization, X-Aloft-Key, X-Ollama-Key, Accept or Connection is declined', () => {
  const pairs: [string, string][] = [
    ['Host: a', 'host: a'],
    ['Host: a', 'Host: b'],
    ['Authorization: Bearer a', 'AUTHORIZATION: Bearer b'],
    ['X-Aloft-Key: a', 'x-aloft-key: b'],
    ['X-Ollama-Key: a', 'X-OLLAMA-KEY: a'],
    ['Accept: */*', 'accept: text/html'],
    ['Connection: keep-alive', 'Connection: keep-alive'],
    ['Connection: keep-alive', 'Connection: close'],
  ];
  for (const [a, b] of pairs) {
    const host = a.toLowerCase().startsWith('host') ? [] : ['Host: h'];
    assert.equal(parse(head('GET / HTTP/1.1', ...host, a, 'X-Between: 1', b)), null, `${a} / ${b}`);
    // One of each alone is fine.
    assert.ok(parse(head('GET / HTTP/1.1', ...host, a, 'X-Between: 1')), a);
  }
  // Other headers may repeat.
  const r = withHost('X-Trace: 1', 'x-trace: 2', 'Cookie: a=1', 'Cookie: b=2');
  assert.deepEqual(r?.rawHeaders.slice(2), ['X-Trace', '1', 'x-trace', '2', 'Cookie', 'a=1', 'Cookie', 'b=2']);
});

test('a Connection other than a plain keep-alive or close is declined', () => {
  for (const v of ['keep-alive, x-trace', 'close, keep-alive', 'upgrade', 'Upgrade', 'keep-alive,', 'x-trace', '', 'keep-alive close', 'TE']) {
    assert.equal(withHost(`Connection: ${v}`), null, JSON.stringify(v));
  }
});

test('at most 100 header lines', () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);
  const r = parse(head('GET / HTTP/1.1', 'Host: x', ...lines(99)));
  assert.ok(r);
  assert.equal(r.rawHeaders.length, 200);
  assert.equal(r.rawHeaders[199], '98');
  assert.equal(parse(head('GET / HTTP/1.1', 'Host: x', ...lines(100))), null);
  assert.equal(parse(head('GET / HTTP/1.1', 'Host: x', ...lines(1000))), null);
});

test('a long header name is kept as an ordinary header', () => {
  const r = withHost('Access-Control-Request-Headers: content-type', 'X-A-Very-Long-Header-Name-Indeed: v', 'X-Twenty-One-Chars-Hd: w');
  assert.ok(r);
  assert.deepEqual(r.rawHeaders.slice(2), ['Access-Control-Request-Headers', 'content-type', 'X-A-Very-Long-Header-Name-Indeed', 'v', 'X-Twenty-One-Chars-Hd', 'w']);
  assert.deepEqual(r.fields, { host: 'gw.example.com' });
  assert.equal(r.contentLength, 0);
  assert.equal(MAX_HEAD_BYTES, 16 * 1024);
});

test('the buffer is read only up to end', () => {
  const buf = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\nTransfer-Encoding: chunked\r\n\r\n', 'latin1');
  const r = parseRequestHead(buf, buf.indexOf('\r\n\r\n'));
  assert.ok(r);
  assert.deepEqual(r.rawHeaders, ['Host', 'x']);
});

test('a request without Host is declined (RFC 9112 §3.2: node:http answers it with a 400)', () => {
  assert.equal(parse(head('GET / HTTP/1.1', 'Accept: */*')), null);
});

test('isToken', () => {
  assert.equal(isToken(''), false);
  assert.equal(isToken('a'), true);
  assert.equal(isToken("!#$%&'*+-.^_`|~09AZaz"), true);
  for (const c of ['(', ')', ',', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '{', '}', '"', ' ', '\t', '\x00', '\r', '\n', '\x7f', '\x80', '\xe9', '\u0100', '\u{1F600}']) {
    assert.equal(isToken(`a${c}b`), false, JSON.stringify(c));
    assert.equal(isToken(c), false, JSON.stringify(c));
  }
});

test('isFieldValue', () => {
  assert.equal(isFieldValue(''), true);
  assert.equal(isFieldValue('a b\tc ~!'), true);
  assert.equal(isFieldValue('\x80\xe9\xff'), true);
  for (const c of ['\x00', '\x01', '\n', '\r', '\x1f', '\x7f']) assert.equal(isFieldValue(`a${c}b`), false, JSON.stringify(c));
});

test('trimOws trims only spaces and tabs at both ends', () => {
  assert.equal(trimOws(''), '');
  assert.equal(trimOws(' '), '');
  assert.equal(trimOws(' \t \t'), '');
  assert.equal(trimOws('a'), 'a');
  assert.equal(trimOws(' a'), 'a');
  assert.equal(trimOws('a\t'), 'a');
  assert.equal(trimOws('\t a b \t'), 'a b');
  assert.equal(trimOws('a \t b'), 'a \t b');
  assert.equal(trimOws('\na\r'), '\na\r');
  assert.equal(trimOws('\u00a0a\u00a0'), '\u00a0a\u00a0');
  assert.equal(trimOws('\x0ba\x0c'), '\x0ba\x0c');
  const s = 'unchanged';
  assert.equal(trimOws(s), s);
});
