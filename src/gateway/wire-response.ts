/**
 * The fast lane's response reader (lane.ts): the head of a machine's answer and how its body
 * ends (RFC 9112 §6.3), strictly. Unlike requests, an answer cannot be handed to another
 * parser, so this reads every answer a conforming server may send; one that is malformed or
 * ambiguous (differing Content-Lengths, obs-fold, a bad status line) is an error, which
 * the lane turns into a 502 (what RFC 9112 §5.2 asks of a proxy for obs-fold).
 */
import { isFieldValue, isToken, trimOws } from './wire-request.js';

export type Framing =
  /** No body: HEAD, 1xx, 204, 304. */
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  /** Passed through as it is; the end is found by ChunkedReader. */
  | { kind: 'chunked' }
  /** The body ends when the machine closes the connection. */
  | { kind: 'close' };

export interface ResponseHead {
  status: number;
  /** The status line's reason phrase (may be empty). */
  reason: string;
  rawHeaders: string[];
  /** The header names in lowercase, one per rawHeaders pair. */
  names: string[];
  framing: Framing;
  /** False when the machine will close this connection after the answer. */
  keepAlive: boolean;
  /** Seconds from `Keep-Alive: timeout=N`, when the machine says how long it keeps idle connections. */
  keepAliveTimeoutS: number | null;
  /** Other headers the Connection header names (hop-by-hop, not passed on), in lowercase; null when none. */
  connectionHeaders: Set<string> | null;
}

export class WireError extends Error {}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;

/** Reads buf[0, end) where `end` is the index of the CRLF CRLF that closes the head. */
export function parseResponseHead(buf: Buffer, end: number, requestMethod: string): ResponseHead {
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = STATUS_LINE.exec(lines[0]!);
  if (!m) throw new WireError('malformed status line');
  const http10 = m[1] === '0';
  const status = Number(m[2]);
  const reason = m[3] ?? '';
  if (status < 100 || !isFieldValue(reason)) throw new WireError('malformed status line');
  const rawHeaders: string[] = [];
  const names: string[] = [];
  let contentLength = -1;
  let chunked = false;
  let hasTe = false;
  let connection = '';
  let keepAliveTimeoutS: number | null = null;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new WireError('malformed header line');
    const name = line.slice(0, colon);
    if (!isToken(name)) throw new WireError('malformed header name');
    const value = trimOws(line.slice(colon + 1));
    if (!isFieldValue(value)) throw new WireError('malformed header value');
    const lc = name.toLowerCase();
    if (lc === 'content-length') {
      // `Content-Length: 5, 5` and repeated equal values are one length (RFC 9110 §8.6).
      for (const part of value.indexOf(',') === -1 ? [value] : value.split(',')) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) throw new WireError('malformed content-length');
        if (contentLength !== -1 && Number(v) !== contentLength) throw new WireError('conflicting content-length');
        contentLength = Number(v);
      }
    } else if (lc === 'transfer-encoding') {
      hasTe = true;
      const codings = value.toLowerCase().split(',');
      chunked = codings[codings.length - 1]!.trim() === 'chunked';
    } else if (lc === 'connection') {
      connection += ',' + value.toLowerCase();
    } else if (lc === 'keep-alive') {
      const t = /(?:^|[,;\s])timeout=(\d+)/i.exec(value);
      if (t) keepAliveTimeoutS = Number(t[1]);
    }
    rawHeaders.push(name, value);
    names.push(lc);
  }
  // Nearly every machine sends none or just `keep-alive`: no token list to build.
  const tokens = connection === '' ? [] : connection === ',keep-alive' ? ['keep-alive'] : connection.split(',').map((t) => t.trim());
  let connectionHeaders: Set<string> | null = null;
  for (const t of tokens) if (t && t !== 'close' && t !== 'keep-alive') (connectionHeaders ??= new Set()).add(t);
  let keepAlive = http10 ? tokens.includes('keep-alive') : !tokens.includes('close');
  let framing: Framing;
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) framing = { kind: 'none' };
  else if (hasTe) {
    // Transfer-Encoding wins over Content-Length; not ending in chunked: read until close.
    framing = chunked ? { kind: 'chunked' } : { kind: 'close' };
  } else if (contentLength !== -1) framing = { kind: 'length', length: contentLength };
  else framing = { kind: 'close' };
  // Chunked framing in an HTTP/1.0 answer is faulty (RFC 9112 §6.1): read it, then close.
  if (framing.kind === 'close' || (http10 && hasTe)) keepAlive = false;
  return { status, reason, rawHeaders, names, framing, keepAlive, keepAliveTimeoutS, connectionHeaders };
}

const enum Chunk {
  Size,
  SizeExt,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  Trailer,
  TrailerLf,
  Done,
}

/**
 * Follows a chunked body (RFC 9112 §7.1) byte by byte to find where it ends, without
 * copying it: the lane forwards the bytes as they are, chunk framing and trailers included.
 */
export class ChunkedReader {
  private state = Chunk.Size;
  private size = 0;
  private digits = 0;
  private left = 0;
  /** Characters on the current trailer line (0: the empty line that ends the message). */
  private lineLength = 0;

  get done(): boolean {
    return this.state === Chunk.Done;
  }

  /** Reads buf from `start`; returns the offset just past the body's end, or -1 when it goes on. */
  feed(buf: Buffer, start = 0): number {
    let i = start;
    const n = buf.length;
    while (i < n) {
      if (this.state === Chunk.Data) {
        const take = Math.min(this.left, n - i);
        this.left -= take;
        i += take;
        if (this.left === 0) this.state = Chunk.DataCr;
        continue;
      }
      const c = buf[i++]!;
      switch (this.state) {
        case Chunk.Size: {
          const d = hexValue(c);
          if (d !== -1) {
            if (++this.digits > 12) throw new WireError('chunk size too large');
            this.size = this.size * 16 + d;
          } else if (this.digits === 0) throw new WireError('malformed chunk size');
          else if (c === 0x0d) this.state = Chunk.SizeLf;
          else if (c === 0x3b || c === 0x20 || c === 0x09) this.state = Chunk.SizeExt;
          else throw new WireError('malformed chunk size');
          break;
        }
        case Chunk.SizeExt:
          if (c === 0x0d) this.state = Chunk.SizeLf;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) throw new WireError('malformed chunk extension');
          break;
        case Chunk.SizeLf:
          if (c !== 0x0a) throw new WireError('malformed chunk size line');
          if (this.size === 0) {
            this.state = Chunk.Trailer;
            this.lineLength = 0;
          } else {
            this.left = this.size;
            this.state = Chunk.Data;
          }
          this.size = 0;
          this.digits = 0;
          break;
        case Chunk.DataCr:
          if (c !== 0x0d) throw new WireError('chunk data longer than its size');
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (c !== 0x0a) throw new WireError('chunk data longer than its size');
          this.state = Chunk.Size;
          break;
        case Chunk.Trailer:
          if (c === 0x0d) this.state = Chunk.TrailerLf;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) throw new WireError('malformed trailer');
          else this.lineLength++;
          break;
        case Chunk.TrailerLf:
          if (c !== 0x0a) throw new WireError('malformed trailer');
          if (this.lineLength === 0) {
            this.state = Chunk.Done;
            return i;
          }
          this.lineLength = 0;
          this.state = Chunk.Trailer;
          break;
        case Chunk.Done:
          return i - 1;
      }
    }
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
