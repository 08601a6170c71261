/**
 * HTTP/1.1 on raw sockets for the fast-lane tests: a client that writes bytes as given
 * and reads answers by their framing, a machine stand-in that answers with whatever
 * bytes a test writes, and a gateway with one deployment and one key.
 */
import net, { type AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { MemoryBackend } from '../../src/gateway/memory-backend.js';
import type { Gateway, GatewayOptions } from '../../src/gateway/server.js';
import type { RouteTarget } from '../../src/gateway/types.js';
import { startGateway } from '../gateway-helpers.js';

/** One whole answer as it came off the wire. */
export interface Resp {
  status: number;
  /** The status line and headers, without the blank line after them. */
  head: string;
  /** Header values by lowercased name, in the order they came. */
  headers: Map<string, string[]>;
  /** The body as sent: still chunk-framed when the answer is chunked. */
  body: Buffer;
  /** The whole answer: head, blank line and body. */
  raw: Buffer;
}

/** The body of an answer as text, with the chunk framing taken off. */
export function content(r: Resp): string {
  if (!/chunked$/i.test(hdr(r, 'transfer-encoding') ?? '')) return r.body.toString();
  const b = r.body;
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const le = b.indexOf('\r\n', i, 'latin1');
    const size = parseInt(b.toString('latin1', i, le).split(';')[0], 16);
    if (size === 0) return Buffer.concat(out).toString();
    out.push(b.subarray(le + 2, le + 2 + size));
    i = le + 2 + size + 2;
  }
}

/** The body of an answer, parsed as JSON. */
export function body(r: Resp): any {
  return JSON.parse(content(r));
}

/** One header of an answer (repeats joined with ", "); undefined when absent. */
export function hdr(r: Resp, name: string): string | undefined {
  const v = r.headers.get(name.toLowerCase());
  return v === undefined ? undefined : v.join(', ');
}

/** True when node:http wrote the answer (it adds `Keep-Alive: timeout=`; the lane does not). */
export function viaNodeHttp(r: Resp): boolean {
  return /^keep-alive: *timeout=/im.test(r.head);
}

/**
 * Where a chunked body that starts at `start` ends (just past its last CRLF, trailers
 * included), or -1 while it is incomplete. Throws on broken framing.
 */
export function chunkedEnd(buf: Buffer, start: number): number {
  let i = start;
  for (;;) {
    const le = buf.indexOf('\r\n', i, 'latin1');
    if (le === -1) return -1;
    const line = buf.toString('latin1', i, le);
    const size = parseInt(line.split(';')[0].trim(), 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(line)}`);
    i = le + 2;
    if (size === 0) {
      // The trailer section: header lines up to an empty line.
      for (;;) {
        const te = buf.indexOf('\r\n', i, 'latin1');
        if (te === -1) return -1;
        if (te === i) return i + 2;
        i = te + 2;
      }
    }
    if (buf.length < i + size + 2) return -1;
    if (buf.toString('latin1', i + size, i + size + 2) !== '\r\n') throw new Error('chunk data longer than its size');
    i += size + 2;
  }
}

/** What parseResponse found: a whole answer and where it ends, or how many bytes it needs. */
export type Parsed = { resp: Resp; end: number } | { need: number };

/**
 * Reads the answer that starts at `pos` in `buf`: null while incomplete (or `need` when
 * the Content-Length says how much is still to come). `method` tells a HEAD answer (no
 * body); `closed` says the connection has ended, which ends a close-delimited body.
 */
export function parseResponse(buf: Buffer, pos: number, method: string, closed: boolean): Parsed | null {
  const e = buf.indexOf('\r\n\r\n', pos, 'latin1');
  if (e === -1) return null;
  const head = buf.toString('latin1', pos, e);
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
  const status = Number(m[1]);
  const headers = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    const k = l.slice(0, c).toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(c + 1).trim()]);
  }
  const bodyStart = e + 4;
  const done = (end: number): Parsed => ({
    resp: { status, head, headers, body: buf.subarray(bodyStart, end), raw: buf.subarray(pos, end) },
    end,
  });
  // Answers that never have a body, whatever their headers say.
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return done(bodyStart);
  const te = headers.get('transfer-encoding');
  if (te !== undefined) {
    if (!/chunked$/i.test(te.join(','))) return closed ? done(buf.length) : null;
    const end = chunkedEnd(buf, bodyStart);
    return end === -1 ? null : done(end);
  }
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    const n = Number(cl[0]);
    return buf.length >= bodyStart + n ? done(bodyStart + n) : { need: bodyStart + n };
  }
  return closed ? done(buf.length) : null;
}

/**
 * A client on a raw socket: `send` writes bytes exactly as given (pipelining, broken
 * requests, bodies in pieces) and `next` reads the answers one by one by their framing.
 */
export class RawClient {
  private chunks: Buffer[] = [];
  private total = 0;
  /** Where the next unread answer starts. */
  private pos = 0;
  /** The byte count the answer being read needs before it is worth parsing again. */
  private need = 0;
  private waiters: Array<() => void> = [];
  closed = false;
  /** performance.now() when the connection closed. */
  closedAt = 0;

  constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.total += d.length;
      this.wake();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.closed = true;
      this.closedAt = performance.now();
      this.wake();
    });
  }

  /** Connects to `url`; the socket is destroyed when the test ends. */
  static async open(t: TestContext, url: string): Promise<RawClient> {
    const { port, hostname } = new URL(url);
    const sock = net.connect(Number(port), hostname);
    t.after(() => void sock.destroy());
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    return new RawClient(sock);
  }

  send(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** Every byte received so far. */
  bytes(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** The bytes after the answers read so far, as text. */
  rest(): string {
    return this.bytes().toString('latin1', this.pos);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }

  /** Resolves when bytes arrive, the connection closes, or `deadline` (epoch ms) passes. */
  private changed(deadline: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The next whole answer (to a `method` request); throws if none comes within `ms`. */
  async next(method = 'GET', ms = 2_000): Promise<Resp> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.total >= this.need) {
        const p = parseResponse(this.bytes(), this.pos, method, this.closed);
        if (p !== null && 'resp' in p) {
          this.pos = p.end;
          this.need = 0;
          return p.resp;
        }
        this.need = p === null ? 0 : p.need;
      }
      if (this.closed) throw new Error(`the connection closed before a whole answer; got ${JSON.stringify(this.rest().slice(0, 300))}`);
      if (Date.now() >= deadline) throw new Error(`no whole answer within ${ms} ms; got ${JSON.stringify(this.rest().slice(0, 300))}`);
      await this.changed(deadline);
    }
  }

  /** Waits for the gateway to close the connection; throws if it is still open after `ms`. */
  async waitClosed(ms = 2_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() >= deadline) throw new Error(`the connection was still open after ${ms} ms`);
      await this.changed(deadline);
    }
  }
}

/** One request as the raw machine read it. */
export interface RawReq {
  method: string;
  url: string;
  head: string;
  /** Header values by lowercased name (the last one wins). */
  headers: Map<string, string>;
  body: Buffer;
  /** 1 for the first request on its connection, 2 for the second, ... */
  index: number;
  /** Which connection it came on: 1 for the first the machine accepted, ... */
  conn: number;
}

/** What a raw machine has seen so far. */
export interface RawUpstream {
  url: string;
  /** Connections accepted. */
  connections: number;
  requests: RawReq[];
  /** Connections that have closed (from either side). */
  closedConnections: number;
}

/**
 * A machine on a raw socket: it reads requests (Content-Length bodies only) and hands
 * each to `handle` with the socket, which writes whatever bytes the test wants.
 */
export async function rawUpstream(t: TestContext, handle: (req: RawReq, sock: net.Socket) => void): Promise<RawUpstream> {
  const state: RawUpstream = { url: '', connections: 0, requests: [], closedConnections: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    const conn = ++state.connections;
    let index = 0;
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => {
      sockets.delete(sock);
      state.closedConnections++;
    });
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const e = buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (e === -1) return;
        const head = buf.toString('latin1', 0, e);
        const lines = head.split('\r\n');
        const [method, url] = lines[0].split(' ');
        const headers = new Map<string, string>();
        for (const l of lines.slice(1)) {
          const c = l.indexOf(':');
          headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
        }
        const cl = Number(headers.get('content-length') ?? 0);
        if (buf.length < e + 4 + cl) return;
        const reqBody = buf.subarray(e + 4, e + 4 + cl);
        buf = buf.subarray(e + 4 + cl);
        const req: RawReq = { method, url, head, headers, body: reqBody, index: ++index, conn };
        state.requests.push(req);
        // Requests after the machine ended or dropped the connection are recorded, not answered.
        if (sock.writableEnded || sock.destroyed) return;
        handle(req, sock);
        if (sock.destroyed) return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `parts` one by one, `gapMs` apart, so that they arrive in separate reads. */
export async function writeParts(sock: net.Socket, parts: string[], gapMs = 15): Promise<void> {
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) await sleep(gapMs);
    if (sock.destroyed) return;
    sock.write(parts[i], 'latin1');
  }
}

/** A request head (and its blank line) for gw.test, with the key when one is given. */
export function get(path: string, key?: string, extra = '', method = 'GET'): string {
  return `${method} ${path} HTTP/1.1\r\nHost: gw.test\r\n${key ? `x-aloft-key: ${key}\r\n` : ''}${extra}\r\n`;
}

/** The `error.code` of a gateway error answer. */
export function errorCode(r: Resp): string {
  return body(r).error.code;
}

/** A gateway with the deployment `app` (upstream secret `sekret`) in front of `upstreamUrl`, and a key. */
export async function gatewayFor(
  t: TestContext,
  upstreamUrl: string,
  opts: Partial<GatewayOptions> = {},
): Promise<{ gw: Gateway; url: string; backend: MemoryBackend; dep: RouteTarget; key: string }> {
  const { gw, url, backend } = await startGateway(t, opts);
  const dep = backend.put({ name: 'app', upstreamUrl, upstreamSecret: 'sekret' });
  const { key } = backend.addKey();
  return { gw, url, backend, dep, key };
}
