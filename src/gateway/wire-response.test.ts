import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkedReader, parseResponseHead, WireError, type ResponseHead } from './wire-response.js';

/** Parses a head given as a latin1 string that ends with CRLF CRLF. */
function parse(s: string, method = 'GET'): ResponseHead {
  const buf = Buffer.from(s, 'latin1');
  const end = buf.indexOf('\r\n\r\n');
  assert.ok(end !== -1, 'test head lacks CRLF CRLF');
  return parseResponseHead(buf, end, method);
}

/** A status line and header lines joined by CRLF, closed by CRLF CRLF. */
function head(statusLine: string, ...lines: string[]): string {
  return [statusLine, ...lines].join('\r\n') + '\r\n\r\n';
}

function throwsWire(s: string, method = 'GET'): void {
  assert.throws(() => parse(s, method), WireError, JSON.stringify(s));
}

// --- parseResponseHead ---

test('a 200 with Content-Length: status, reason, raw headers in order and case, length framing', () => {
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Type: application/json', 'content-LENGTH: \t 42 ', 'X-Request-Id:abc', 'Date: Mon, 01 Jan 2024 00:00:00 GMT'));
  assert.equal(r.status, 200);
  assert.equal(r.reason, 'OK');
  assert.deepEqual(r.rawHeaders, ['Content-Type', 'application/json', 'content-LENGTH', '42', 'X-Request-Id', 'abc', 'Date', 'Mon, 01 Jan 2024 00:00:00 GMT']);
  assert.deepEqual(r.framing, { kind: 'length', length: 42 });
  assert.equal(r.keepAlive, true);
  assert.equal(r.keepAliveTimeoutS, null);
});

test('Content-Length: 0 is a length of 0, not close framing', () => {
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Length: 0'));
  assert.deepEqual(r.framing, { kind: 'length', length: 0 });
  assert.equal(r.keepAlive, true);
});

test('a status line with no reason or an empty reason is fine; a reason may hold spaces and obs-text', () => {
  const none = parse(head('HTTP/1.1 200', 'Content-Length: 1'));
  assert.equal(none.status, 200);
  assert.equal(none.reason, '');
  const empty = parse(head('HTTP/1.1 200 ', 'Content-Length: 1'));
  assert.equal(empty.status, 200);
  assert.equal(empty.reason, '');
  assert.equal(parse(head('HTTP/1.1 404 Not  Found\t', 'Content-Length: 1')).reason, 'Not  Found\t');
  assert.equal(parse(head('HTTP/1.1 200 Tr\xe8s bien', 'Content-Length: 1')).reason, 'Tr\u00e8s bien');
  assert.equal(parse(head('HTTP/1.1 599 x', 'Content-Length: 1')).status, 599);
});

test('a head of a status line only is read', () => {
  const r = parse('HTTP/1.1 200 OK\r\n\r\n');
  assert.deepEqual(r.rawHeaders, []);
  assert.deepEqual(r.framing, { kind: 'close' });
  assert.equal(r.keepAlive, false);
});

test('a malformed status line is a WireError', () => {
  for (const line of [
    'HTTP/2 200 OK',
    'HTTP/2.0 200 OK',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 20 OK',
    'HTTP/1.1 20',
    'HTTP/1.1 2000 x',
    'HTTP/1.1 2000',
    'HTTP/1.1 20a OK',
    'HTTP/1.1 099 x',
    'HTTP/1.1 000 x',
    'HTTP/1.1200 OK',
    'HTTP/1.1  200 OK',
    'HTTP/1.1\t200 OK',
    'http/1.1 200 OK',
    'Http/1.1 200 OK',
    ' HTTP/1.1 200 OK',
    'HTTP/1.1 200\tOK',
    'HTTP/1.1 200 O\x00K',
    'HTTP/1.1 200 O\x7fK',
    'HTTP/1.1 200 O\nK',
    'HTTP/1.1 200 OK\n',
    'HTTP/1.1 200 O\rK',
    'ICY 200 OK',
    '',
  ]) {
    throwsWire(head(line, 'Content-Length: 1'));
  }
});

test('keep-alive: HTTP/1.1 keeps unless close; HTTP/1.0 closes unless keep-alive', () => {
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1')).keepAlive, true);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: close')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: CLOSE')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: Keep-Alive, Close')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: keep-alive', 'Connection: close')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: x-trace,close ')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: keep-alive')).keepAlive, true);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Connection: closed')).keepAlive, true);

  const old = parse(head('HTTP/1.0 200 OK', 'Content-Length: 1'));
  assert.equal(old.keepAlive, false);
  assert.deepEqual(old.framing, { kind: 'length', length: 1 });
  assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive')).keepAlive, true);
  assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: Keep-Alive')).keepAlive, true);
  assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: keep-alive, close')).keepAlive, true);
  assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Connection: close')).keepAlive, false);
  assert.equal(parse(head('HTTP/1.0 200 OK', 'Content-Length: 1', 'Keep-Alive: timeout=5')).keepAlive, false);
});

test('Transfer-Encoding ending in chunked is chunked framing', () => {
  for (const te of ['chunked', 'Chunked', 'CHUNKED', 'gzip, chunked', 'gzip,chunked', 'gzip ,\tchunked ']) {
    const r = parse(head('HTTP/1.1 200 OK', `Transfer-Encoding: ${te}`));
    assert.deepEqual(r.framing, { kind: 'chunked' }, te);
    assert.equal(r.keepAlive, true, te);
  }
  // Over two header lines, the list is the two joined.
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip', 'Transfer-Encoding: chunked')).framing, { kind: 'chunked' });
});

test('Transfer-Encoding not ending in chunked is close framing and closes', () => {
  for (const tes of [['chunked, gzip'], ['gzip'], ['identity'], [''], ['chunked', 'gzip'], ['chunkedx']]) {
    const r = parse(head('HTTP/1.1 200 OK', 'Connection: keep-alive', ...tes.map((te) => `Transfer-Encoding: ${te}`)));
    assert.deepEqual(r.framing, { kind: 'close' }, JSON.stringify(tes));
    assert.equal(r.keepAlive, false, JSON.stringify(tes));
  }
});

test('Transfer-Encoding wins over Content-Length, in either order', () => {
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Content-Length: 10')).framing, { kind: 'chunked' });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 10', 'Transfer-Encoding: chunked')).framing, { kind: 'chunked' });
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Length: 10', 'Transfer-Encoding: gzip'));
  assert.deepEqual(r.framing, { kind: 'close' });
  assert.equal(r.keepAlive, false);
});

test('no length and no Transfer-Encoding is close framing, even when the server says keep-alive', () => {
  for (const v of ['HTTP/1.1', 'HTTP/1.0']) {
    const r = parse(head(`${v} 200 OK`, 'Connection: keep-alive', 'Content-Type: text/plain'));
    assert.deepEqual(r.framing, { kind: 'close' }, v);
    assert.equal(r.keepAlive, false, v);
  }
});

test('a HEAD answer, 1xx, 204 and 304 have no body, whatever their length headers say', () => {
  const head200 = parse(head('HTTP/1.1 200 OK', 'Content-Length: 1234'), 'HEAD');
  assert.deepEqual(head200.framing, { kind: 'none' });
  assert.equal(head200.keepAlive, true);
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked'), 'HEAD').framing, { kind: 'none' });
  assert.deepEqual(parse(head('HTTP/1.1 404 Not Found'), 'HEAD').framing, { kind: 'none' });
  assert.equal(parse(head('HTTP/1.1 404 Not Found'), 'HEAD').keepAlive, true);
  // Only HEAD, and only spelled so: a GET is length framed.
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5'), 'GET').framing, { kind: 'length', length: 5 });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5'), 'POST').framing, { kind: 'length', length: 5 });
  for (const status of [100, 101, 102, 103, 199, 204, 304]) {
    for (const lines of [[], ['Content-Length: 10'], ['Transfer-Encoding: chunked']]) {
      const r = parse(head(`HTTP/1.1 ${status} x`, ...lines));
      assert.equal(r.status, status);
      assert.deepEqual(r.framing, { kind: 'none' }, `${status} ${lines.join()}`);
      assert.equal(r.keepAlive, true, `${status} ${lines.join()}`);
    }
  }
  // 200, 205, 206, 303, 404 and 500 have bodies.
  for (const status of [200, 205, 206, 303, 404, 500]) {
    assert.deepEqual(parse(head(`HTTP/1.1 ${status} x`, 'Content-Length: 3')).framing, { kind: 'length', length: 3 }, String(status));
  }
});

test('Content-Length: a list or repeat of one value is that value', () => {
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5, 5')).framing, { kind: 'length', length: 5 });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5,5,5')).framing, { kind: 'length', length: 5 });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 5')).framing, { kind: 'length', length: 5 });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'content-length: 005')).framing, { kind: 'length', length: 5 });
  assert.deepEqual(parse(head('HTTP/1.1 200 OK', 'Content-Length: 999999999999999')).framing, { kind: 'length', length: 999999999999999 });
});

test('differing Content-Lengths are a WireError', () => {
  throwsWire(head('HTTP/1.1 200 OK', 'Content-Length: 5, 6'));
  throwsWire(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'));
  throwsWire(head('HTTP/1.1 200 OK', 'Content-Length: 5', 'X-A: b', 'content-length: 0'));
  throwsWire(head('HTTP/1.1 200 OK', 'Content-Length: 5, 5', 'Content-Length: 6'));
});

test('a malformed Content-Length is a WireError', () => {
  for (const v of ['', 'abc', '5a', '0x5', '+5', '-5', '5 5', '1.0', '1e3', '5,', ',5', '5,,5', '1234567890123456', '\u0665']) {
    throwsWire(head('HTTP/1.1 200 OK', `Content-Length: ${v}`));
  }
});

test('obs-fold, whitespace before the colon, a line without a colon or a bad name is a WireError', () => {
  for (const lines of [
    ['Content-Length: 1', 'X-A: b', ' folded'],
    ['Content-Length: 1', 'X-A: b', '\tfolded'],
    ['Content-Length: 1', ' X-A: b'],
    ['Content-Length : 1'],
    ['Content-Length: 1', 'X-A\t: b'],
    ['Content-Length: 1', 'no-colon'],
    ['Content-Length: 1', ': b'],
    ['Content-Length: 1', 'X(A): b'],
    ['Content-Length: 1', 'X-\xe9: b'],
    ['Content-Length: 1', 'X\nA: b'],
  ]) {
    throwsWire(head('HTTP/1.1 200 OK', ...lines));
  }
});

test('a control char, bare CR or bare LF in a value is a WireError; obs-text is not', () => {
  for (const c of ['\x00', '\x01', '\x0b', '\x1f', '\x7f', '\r', '\n']) {
    throwsWire(head('HTTP/1.1 200 OK', 'Content-Length: 1', `X-A: b${c}c`));
  }
  throwsWire(head('HTTP/1.1 200 OK', 'X-A: b\nContent-Length: 1', 'Transfer-Encoding: chunked'));
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'X-A: caf\xe9\t!'));
  assert.deepEqual(r.rawHeaders, ['Content-Length', '1', 'X-A', 'caf\u00e9\t!']);
});

test('Keep-Alive: timeout=N gives keepAliveTimeoutS', () => {
  const t = (v: string) => parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', `Keep-Alive: ${v}`)).keepAliveTimeoutS;
  assert.equal(t('timeout=5, max=100'), 5);
  assert.equal(t('max=100, timeout=7'), 7);
  assert.equal(t('max=100,timeout=8'), 8);
  assert.equal(t('Timeout=9'), 9);
  assert.equal(t('timeout=0'), 0);
  assert.equal(t('max=100'), null);
  assert.equal(t('xtimeout=5'), null);
  assert.equal(t('timeout=x'), null);
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Length: 1', 'keep-alive: timeout=15'));
  assert.equal(r.keepAliveTimeoutS, 15);
  assert.deepEqual(r.rawHeaders, ['Content-Length', '1', 'keep-alive', 'timeout=15']);
});

test('raw headers keep order, case and repeats', () => {
  const r = parse(head('HTTP/1.1 200 OK', 'set-cookie: a=1', 'Content-Length: 0', 'SET-COOKIE: b=2', 'Connection: keep-alive', 'Vary: Accept', 'x-empty:'));
  assert.deepEqual(r.rawHeaders, ['set-cookie', 'a=1', 'Content-Length', '0', 'SET-COOKIE', 'b=2', 'Connection', 'keep-alive', 'Vary', 'Accept', 'x-empty', '']);
});

test('the buffer is read only up to end', () => {
  const buf = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n', 'latin1');
  const r = parseResponseHead(buf, buf.indexOf('\r\n\r\n'), 'GET');
  assert.deepEqual(r.rawHeaders, ['Content-Length', '3']);
  assert.deepEqual(r.framing, { kind: 'length', length: 3 });
});

test('an HTTP/1.0 answer with Transfer-Encoding is faulty framing and never kept alive (RFC 9112 §6.1)', () => {
  let r: ResponseHead | null = null;
  try {
    r = parse(head('HTTP/1.0 200 OK', 'Connection: keep-alive', 'Transfer-Encoding: chunked'));
  } catch (e) {
    assert.ok(e instanceof WireError);
  }
  if (r) assert.equal(r.keepAlive, false);
});

// --- ChunkedReader ---

const BODY = '5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\n\r\n';

test('a whole body in one buffer: the offset just past its end', () => {
  const r = new ChunkedReader();
  assert.equal(r.done, false);
  assert.equal(r.feed(Buffer.from(BODY, 'latin1')), BODY.length);
  assert.equal(r.done, true);
});

test('bytes after the body (the next answer) are not read', () => {
  const next = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  const r = new ChunkedReader();
  assert.equal(r.feed(Buffer.from(BODY + next, 'latin1')), BODY.length);
  assert.equal(r.done, true);
  // Even bytes that would be malformed as chunked framing.
  const r2 = new ChunkedReader();
  assert.equal(r2.feed(Buffer.from('0\r\n\r\n\x00\n\r garbage', 'latin1')), 5);
});

test('feed from a start offset returns an offset in the same buffer', () => {
  const prefix = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
  const r = new ChunkedReader();
  const buf = Buffer.from(prefix + BODY + 'next', 'latin1');
  assert.equal(r.feed(buf, prefix.length), prefix.length + BODY.length);
  // The head's own bytes are not read as chunk framing.
  const r2 = new ChunkedReader();
  assert.equal(r2.feed(Buffer.from('XYZ0\r\n\r\n', 'latin1'), 3), 8);
  // A start at the buffer's end reads nothing.
  const r3 = new ChunkedReader();
  assert.equal(r3.feed(Buffer.from('0\r\n\r\n', 'latin1'), 5), -1);
  assert.equal(r3.done, false);
});

test('the same body one byte at a time: -1 until the final LF', () => {
  const bytes = Buffer.from(BODY, 'latin1');
  const r = new ChunkedReader();
  for (let i = 0; i < bytes.length - 1; i++) {
    assert.equal(r.feed(bytes.subarray(i, i + 1)), -1, `byte ${i}`);
    assert.equal(r.done, false);
  }
  assert.equal(r.feed(bytes.subarray(bytes.length - 1)), 1);
  assert.equal(r.done, true);
});

test('one byte at a time inside a bigger buffer via start', () => {
  const bytes = Buffer.from(BODY + 'tail', 'latin1');
  const r = new ChunkedReader();
  let found = -1;
  for (let i = 0; i < bytes.length && found === -1; i++) found = r.feed(bytes.subarray(0, i + 1), i);
  assert.equal(found, BODY.length);
});

test('an empty body, only the last chunk', () => {
  const r = new ChunkedReader();
  assert.equal(r.feed(Buffer.from('0\r\n\r\n')), 5);
  assert.equal(r.done, true);
  const r2 = new ChunkedReader();
  assert.equal(r2.feed(Buffer.from('000\r\n\r\n')), 7);
});

test('chunk extensions, with BWS, quoted values and several parameters', () => {
  for (const body of [
    '5;name=value\r\nhello\r\n0\r\n\r\n',
    '5;a\r\nhello\r\n0;last\r\n\r\n',
    '5 ;a=1\r\nhello\r\n0\r\n\r\n',
    '5\t;a=1\r\nhello\r\n0\r\n\r\n',
    '5;a=1;b="x y\t;z"\r\nhello\r\n0;c=\xe9\r\n\r\n',
  ]) {
    const r = new ChunkedReader();
    assert.equal(r.feed(Buffer.from(body, 'latin1')), Buffer.byteLength(body, 'latin1'), JSON.stringify(body));
  }
});

test('hex sizes in upper and lower case', () => {
  const data = 'x'.repeat(0xab);
  for (const size of ['ab', 'AB', 'aB', 'Ab', '0ab', '000000000AB']) {
    const body = `${size}\r\n${data}\r\n0\r\n\r\n`;
    const r = new ChunkedReader();
    assert.equal(r.feed(Buffer.from(body)), body.length, size);
  }
  const big = 'y'.repeat(0x1f3e);
  for (const size of ['1f3e', '1F3E']) {
    const body = `${size}\r\n${big}\r\n0\r\n\r\n`;
    assert.equal(new ChunkedReader().feed(Buffer.from(body)), body.length, size);
  }
  // 12 hex digits is the most: a size that would take longer than the buffer just goes on.
  assert.equal(new ChunkedReader().feed(Buffer.from('ffffffffffff\r\nabc')), -1);
});

test('chunk data may hold CR, LF and anything else', () => {
  const data = '\r\n0\r\n\r\n';
  const body = `${data.length}\r\n${data}\r\n0\r\n\r\n`;
  assert.equal(new ChunkedReader().feed(Buffer.from(body)), body.length);
  const bin = Buffer.concat([Buffer.from('4\r\n'), Buffer.from([0, 0xff, 0x0d, 0x0a]), Buffer.from('\r\n0\r\n\r\n')]);
  assert.equal(new ChunkedReader().feed(bin), bin.length);
});

test('trailers: one or two lines before the final CRLF', () => {
  for (const body of [
    '5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n',
    '5\r\nhello\r\n0\r\nX-Checksum: abc\r\nX-Other:\tdef \r\n\r\n',
    '0\r\nServer-Timing: total;dur=12\r\n\r\n',
    '0\r\nX-A: caf\xe9\r\n\r\n',
    '0\r\nX:\r\n\r\n',
    '0\r\nx\r\n\r\n',
  ]) {
    const buf = Buffer.from(body + 'HTTP/1.1 200 OK\r\n', 'latin1');
    const r = new ChunkedReader();
    assert.equal(r.feed(buf), Buffer.byteLength(body, 'latin1'), JSON.stringify(body));
    assert.equal(r.done, true);
    // And byte by byte.
    const r2 = new ChunkedReader();
    const n = Buffer.byteLength(body, 'latin1');
    for (let i = 0; i < n - 1; i++) assert.equal(r2.feed(buf.subarray(i, i + 1)), -1);
    assert.equal(r2.feed(buf.subarray(n - 1, n)), 1);
  }
});

test('a body cut short never ends', () => {
  for (const cut of ['5\r\nhel', '5\r\nhello\r\n', '5\r\nhello\r\n0\r\n', '5\r\nhello\r\n0\r\n\r', '0\r\nX-A: b\r\n', '0\r\nX-A: b\r\n\r']) {
    const r = new ChunkedReader();
    assert.equal(r.feed(Buffer.from(cut)), -1, JSON.stringify(cut));
    assert.equal(r.done, false);
  }
});

test('malformed chunked framing is a WireError', () => {
  const bad: [string, string][] = [
    ['non-hex size', 'g\r\nhello\r\n0\r\n\r\n'],
    ['non-hex after digits', '5g\r\nhello\r\n0\r\n\r\n'],
    ['0x prefix', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['sign', '+5\r\nhello\r\n0\r\n\r\n'],
    ['empty size line', '\r\nhello\r\n0\r\n\r\n'],
    ['empty size line after a chunk', '5\r\nhello\r\n\r\n0\r\n\r\n'],
    ['extension without a size', ';a\r\nhello\r\n0\r\n\r\n'],
    ['space before the size', ' 5\r\nhello\r\n0\r\n\r\n'],
    ['data longer than its size', '5\r\nhello!\r\n0\r\n\r\n'],
    ['data shorter than its size', '6\r\nhello\r\n0\r\n\r\n\r\n\r\n'],
    ['missing CRLF after data', '5\r\nhello0\r\n\r\n'],
    ['bare LF after data', '5\r\nhello\n0\r\n\r\n'],
    ['CR then not LF after data', '5\r\nhello\rx0\r\n\r\n'],
    ['another byte in place of the CR after data', '5\r\nhelloX\n0\r\n\r\n'],
    ['bare LF after the size', '5\nhello\r\n0\r\n\r\n'],
    ['bare LF after the last size', '5\r\nhello\r\n0\n\r\n'],
    ['CR then not LF after the size', '5\rxhello\r\n0\r\n\r\n'],
    ['more than 12 hex digits', '1000000000000\r\n'],
    ['13 leading zeros', '0000000000005\r\nhello\r\n0\r\n\r\n'],
    ['control char in an extension', '5;a\x01b\r\nhello\r\n0\r\n\r\n'],
    ['NUL in an extension', '5;a\x00\r\nhello\r\n0\r\n\r\n'],
    ['DEL in an extension', '5;a\x7f\r\nhello\r\n0\r\n\r\n'],
    ['bare LF in an extension', '5;a\nhello\r\n0\r\n\r\n'],
    ['bare LF in a trailer', '0\r\nX-A: b\nX-B: c\r\n\r\n'],
    ['bare LF ending a trailer', '0\r\nX-A: b\n\r\n'],
    ['bare LF as the last line', '0\r\n\n'],
    ['bare CR in a trailer', '0\r\nX-A: b\rc\r\n\r\n'],
    ['control char in a trailer', '0\r\nX-A: \x01\r\n\r\n'],
    ['DEL in a trailer', '0\r\nX-A: \x7f\r\n\r\n'],
  ];
  for (const [why, body] of bad) {
    assert.throws(() => new ChunkedReader().feed(Buffer.from(body, 'latin1')), WireError, why);
    // The same error when the bytes come one at a time.
    const bytes = Buffer.from(body, 'latin1');
    const r = new ChunkedReader();
    assert.throws(() => {
      for (let i = 0; i < bytes.length; i++) r.feed(bytes.subarray(i, i + 1));
    }, WireError, `${why} (byte by byte)`);
  }
});

test('12 hex digits are accepted as a size', () => {
  const r = new ChunkedReader();
  assert.equal(r.feed(Buffer.from('000000000005\r\nhello\r\n0\r\n\r\n')), 26);
});

/** mulberry32: a small seeded PRNG so a failing split can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random splits: the end is found exactly once, at the right place', () => {
  const chunks = [
    '1a;ext=1\r\n' + 'a'.repeat(0x1a) + '\r\n',
    '3\r\n\r\n0\r\n',
    'F;q="a;b"\r\n' + '\r\n0\r\n\r\n0\r\n\r\n\r\n\r\n'.slice(0, 15) + '\r\n',
    '100\r\n' + 'z'.repeat(0x100) + '\r\n',
    '1 ; x\r\nq\r\n',
  ];
  const body = chunks.join('') + '0;end\r\nX-Checksum: deadbeef\r\nX-Trailer-2: ok\r\n\r\n';
  const next = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  const all = Buffer.from(body + next, 'latin1');
  const want = Buffer.byteLength(body, 'latin1');
  const rand = prng(0xa10f7);
  for (let iter = 0; iter < 200; iter++) {
    const nCuts = 1 + Math.floor(rand() * 30);
    const cuts = new Set<number>();
    for (let k = 0; k < nCuts; k++) cuts.add(1 + Math.floor(rand() * (all.length - 1)));
    const points = [0, ...[...cuts].sort((a, b) => a - b), all.length];
    const r = new ChunkedReader();
    const found: number[] = [];
    for (let p = 0; p + 1 < points.length && found.length === 0; p++) {
      const piece = all.subarray(points[p]!, points[p + 1]!);
      // Half the time, the piece sits after some junk and is read from a start offset.
      const junk = rand() < 0.5 ? Math.floor(rand() * 4) : 0;
      const buf = junk ? Buffer.concat([Buffer.alloc(junk, 0x21), piece]) : piece;
      const at = r.feed(buf, junk);
      if (at !== -1) found.push(points[p]! + at - junk);
      else assert.equal(r.done, false);
    }
    assert.deepEqual(found, [want], `iteration ${iter}, cuts ${points.join(',')}`);
    assert.equal(r.done, true);
  }
});

test('headers the Connection header names are listed as hop-by-hop; close and keep-alive are not', () => {
  const r = parse(head('HTTP/1.1 200 OK', 'Content-Length: 0', 'Connection: keep-alive, X-Trace', 'connection: X-Other', 'X-Trace: 1'));
  assert.deepEqual([...(r.connectionHeaders ?? [])].sort(), ['x-other', 'x-trace']);
  assert.equal(r.keepAlive, true);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0', 'Connection: keep-alive')).connectionHeaders, null);
  assert.equal(parse(head('HTTP/1.1 200 OK', 'Content-Length: 0')).connectionHeaders, null);
});
