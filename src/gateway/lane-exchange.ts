/**
 * One request and its answer in the fast lane (lane.ts): the request head and body go to a
 * pooled connection to the machine; the answer's head is rewritten for the client and its
 * body passed on chunk by chunk as it arrives, with backpressure both ways. The exchange
 * ends when the answer's framing says so (or the machine closes a close-delimited one);
 * the connection to the machine goes back to the pool only when both sides ended cleanly.
 */
import { isHopByHopResponseHeader, forwardedHeaders } from './headers.js';
import { Hold, type LaneConnection } from './lane-connection.js';
import { rawError, UPSTREAM_ERRORS, type GatewayError } from './respond.js';
import { upstreamPath, parsedBase } from './route.js';
import type { RouteTarget } from './types.js';
import type { Upstream, UpstreamConnectError, UpstreamOwner } from './upstream-pool.js';
import type { RequestHead } from './wire-request.js';
import { ChunkedReader, parseResponseHead, type ResponseHead } from './wire-response.js';

/** Longest answer head read from a machine. */
const MAX_RESPONSE_HEAD = 64 * 1024;
const enum Deadline {
  None,
  Headers,
  Body,
}

export class Exchange implements UpstreamOwner {
  /** Request body bytes the client has still to send. */
  bodyLeft: number;
  private readonly head: string;
  private up: Upstream | null = null;
  private upReused = false;
  private retried = false;
  /** Body bytes read before the machine's connection was there. */
  private pending: Buffer[] | null = null;
  private rbuf: Buffer | null = null;
  private res: ResponseHead | null = null;
  private resLeft = 0;
  private chunked: ChunkedReader | null = null;
  /** The machine's connection may serve another request. */
  private clean = true;
  private status = 0;
  private bytesIn: number;
  private bytesOut = 0;
  private deadline = 0;
  private deadlineKind = Deadline.None;
  private upPaused = false;
  private finished = false;
  private readonly endActivity: () => void;

  constructor(
    private readonly conn: LaneConnection,
    private readonly req: RequestHead,
    private readonly target: RouteTarget,
    path: string,
    private readonly t0: number,
  ) {
    const o = conn.opts;
    this.endActivity = o.activity.open(target.deploymentId);
    o.metrics.streamOpened(target.name);
    const base = parsedBase(target.upstreamUrl!);
    const headers = forwardedHeaders(
      req.rawHeaders,
      { connection: req.fields.connection, host: req.fields.host, remoteAddress: conn.remoteAddress },
      { secretHeader: target.upstreamSecretHeader ?? o.secretHeader, secret: target.upstreamSecret, tls: o.tls },
    );
    let head = `${req.method} ${upstreamPath(base, path)} HTTP/1.1\r\nhost: ${base.host}\r\n`;
    for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    this.head = head + '\r\n';
    this.bodyLeft = req.contentLength;
    this.bytesIn = req.headBytes;
  }

  /** Takes the body bytes already read and asks for a connection to the machine. */
  start(): void {
    const conn = this.conn;
    if (this.bodyLeft > 0 && conn.buf !== null) {
      conn.buf = this.clientBody(conn.buf);
      conn.taken();
    }
    conn.opts.pool.acquire(this.target, this);
  }

  onUpstreamReady(err: UpstreamConnectError | null, up: Upstream | null): void {
    if (this.finished) {
      // The client left while we connected; nothing was sent on it.
      if (up) this.conn.opts.pool.release(up);
      return;
    }
    if (err || !up) {
      if (err?.timedOut) return this.fail(UPSTREAM_ERRORS.connectTimeout);
      return this.fail(UPSTREAM_ERRORS.unreachable);
    }
    this.up = up;
    this.upReused = up.reused;
    const s = up.socket;
    if (this.pending !== null) {
      s.cork();
      s.write(this.head, 'latin1');
      for (const p of this.pending) s.write(p);
      s.uncork();
      this.pending = null;
      if (this.bodyLeft > 0 && !s.writableNeedDrain) this.conn.release(Hold.Upstream);
    } else s.write(this.head, 'latin1');
    const ms = this.conn.opts.upstream.headersMs;
    if (ms > 0) this.setDeadline(Deadline.Headers, ms);
  }

  /** Request body bytes from the client; returns what lies beyond the body (the next request). */
  clientBody(chunk: Buffer): Buffer | null {
    const n = Math.min(this.bodyLeft, chunk.length);
    const part = n === chunk.length ? chunk : chunk.subarray(0, n);
    this.bodyLeft -= n;
    this.bytesIn += n;
    if (!this.finished) {
      if (this.up !== null) {
        if (!this.up.socket.write(part)) this.conn.hold(Hold.Upstream);
      } else {
        (this.pending ??= []).push(part);
        if (this.pending.length > 64) this.conn.hold(Hold.Upstream);
      }
    }
    return n < chunk.length ? chunk.subarray(n) : null;
  }

  onUpstreamDrain(): void {
    this.conn.release(Hold.Upstream);
  }

  clientDrained(): void {
    if (this.upPaused && this.up !== null) {
      this.upPaused = false;
      this.up.socket.resume();
    }
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.finished) return;
    if (this.res !== null) return this.forwardBody(chunk);
    // The head may come in pieces: look for its end only in what is new (and the 3 bytes before).
    let from = this.rbuf === null ? 0 : Math.max(0, this.rbuf.length - 3);
    let buf = this.rbuf === null ? chunk : Buffer.concat([this.rbuf, chunk]);
    for (;;) {
      const end = buf.indexOf('\r\n\r\n', from, 'latin1');
      if (end === -1) {
        if (buf.length > MAX_RESPONSE_HEAD) return this.fail(UPSTREAM_ERRORS.invalid);
        this.rbuf = buf;
        return;
      }
      from = 0;
      let res: ResponseHead;
      try {
        res = parseResponseHead(buf, end, this.req.method);
      } catch {
        return this.fail(UPSTREAM_ERRORS.invalid);
      }
      const rest = buf.length > end + 4 ? buf.subarray(end + 4) : null;
      if (res.status >= 200) {
        this.rbuf = null;
        return this.startAnswer(res, rest);
      }
      // 1xx (103 Early Hints, a stray 100): informational, not relayed; 101 was never asked for.
      if (res.status === 101) return this.fail(UPSTREAM_ERRORS.invalid);
      if (rest === null) {
        this.rbuf = null;
        return;
      }
      buf = rest;
    }
  }

  private startAnswer(res: ResponseHead, rest: Buffer | null): void {
    this.res = res;
    this.status = res.status;
    const f = res.framing;
    const closeAfter = f.kind === 'close' || !this.req.keepAlive;
    const te = f.kind === 'chunked' || (f.kind === 'close' && res.names.includes('transfer-encoding'));
    let head = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
    const raw = res.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const lc = res.names[i >> 1]!;
      // With a Transfer-Encoding, a Content-Length must not be passed on (RFC 9112 §6.3).
      if (isHopByHopResponseHeader(lc) || (te && lc === 'content-length') || res.connectionHeaders?.has(lc)) continue;
      head += `${raw[i]}: ${raw[i + 1]}\r\n`;
    }
    if (closeAfter) head += 'connection: close\r\n';
    head += '\r\n';
    if (f.kind === 'length') this.resLeft = f.length;
    else if (f.kind === 'chunked') this.chunked = new ChunkedReader();
    const ms = this.conn.opts.upstream.bodyIdleMs;
    if (ms > 0) this.setDeadline(Deadline.Body, ms);
    else this.deadlineKind = Deadline.None;
    const s = this.conn.socket;
    if (f.kind === 'none' || (f.kind === 'length' && f.length === 0)) {
      this.write(head);
      if (rest !== null) this.clean = false;
      return this.complete();
    }
    // Head and the first body bytes leave in one write. A whole small answer (the usual JSON)
    // is joined into one buffer: cheaper than a corked writev of two.
    if (rest !== null && f.kind === 'length' && rest.length === f.length && rest.length <= 16 * 1024) {
      this.write(Buffer.concat([Buffer.from(head, 'latin1'), rest]));
      return this.complete();
    }
    s.cork();
    this.write(head);
    if (rest !== null) this.forwardBody(rest);
    s.uncork();
  }

  private forwardBody(chunk: Buffer): void {
    const f = this.res!.framing;
    let end = -1;
    if (f.kind === 'length') {
      if (chunk.length >= this.resLeft) {
        end = this.resLeft;
        this.resLeft = 0;
      } else this.resLeft -= chunk.length;
    } else if (f.kind === 'chunked') {
      try {
        end = this.chunked!.feed(chunk);
      } catch {
        // A broken chunked body: the client cannot be told after the head; cut both.
        return this.fail(UPSTREAM_ERRORS.invalid);
      }
    } else if (f.kind === 'none') end = 0;
    if (this.deadlineKind === Deadline.Body) this.deadline = performance.now() + this.conn.opts.upstream.bodyIdleMs;
    if (end === -1) return this.write(chunk);
    if (end > 0) this.write(end === chunk.length ? chunk : chunk.subarray(0, end));
    // Bytes past the end of the answer: the machine's framing cannot be trusted any more.
    if (end < chunk.length) this.clean = false;
    this.complete();
  }

  /** A string is a head, from latin1-read bytes: written back as latin1, byte for byte. */
  private write(data: string | Buffer): void {
    if (typeof data === 'string') {
      this.bytesOut += data.length;
      if (this.conn.socket.write(data, 'latin1')) return;
    } else {
      this.bytesOut += data.length;
      if (this.conn.socket.write(data)) return;
    }
    // The client reads slower than the machine writes: pause the machine until it drains.
    if (this.up !== null && !this.upPaused) {
      this.upPaused = true;
      this.up.socket.pause();
    }
  }

  onUpstreamClose(): void {
    const wasReused = this.upReused;
    this.up = null;
    if (this.finished) return;
    if (this.res === null) {
      // A kept-alive connection the machine closed just as we sent on it: once more on a new
      // one, when nothing of the request body is lost and nothing of an answer came.
      if (wasReused && !this.retried && this.req.contentLength === 0 && this.rbuf === null) {
        this.retried = true;
        this.conn.opts.pool.acquire(this.target, this, true);
        return;
      }
      return this.fail(UPSTREAM_ERRORS.unreachable);
    }
    if (this.res.framing.kind === 'close') {
      this.clean = false;
      return this.complete();
    }
    // Cut short: the client sees the connection end before the answer did.
    this.conn.socket.destroy();
    this.finish();
  }

  private complete(): void {
    const res = this.res!;
    const up = this.up;
    this.up = null;
    this.deadlineKind = Deadline.None;
    if (up !== null) {
      if (this.clean && res.keepAlive && this.bodyLeft === 0 && !this.upPaused) {
        if (res.keepAliveTimeoutS !== null) up.keepAliveMs = res.keepAliveTimeoutS * 1000;
        this.conn.opts.pool.release(up);
      } else {
        up.owner = null;
        up.socket.destroy();
      }
    }
    this.finish();
    this.conn.done(this.req.keepAlive && res.framing.kind !== 'close' && this.bodyLeft === 0);
  }

  /** Ends the exchange with an error answer, or by cutting the client off once a head went out. */
  private fail(e: GatewayError): void {
    if (this.finished) return;
    this.dropUpstream();
    if (this.res !== null) {
      this.conn.socket.destroy();
      this.finish();
      return;
    }
    this.status = e.status;
    const keep = this.req.keepAlive && this.bodyLeft === 0;
    this.write(Buffer.from(rawError(e.status, e.code, e.message, {}, { close: !keep, head: this.req.method === 'HEAD' })));
    this.finish();
    this.conn.done(keep);
  }

  clientClosed(): void {
    if (this.finished) return;
    // The client went away before the answer ended: stop the machine's work too.
    this.dropUpstream();
    this.finish();
  }

  check(now: number): void {
    if (this.finished) return;
    const requestMs = this.conn.opts.client.requestMs;
    if (this.bodyLeft > 0 && requestMs > 0 && now - this.t0 > requestMs) {
      return this.fail({ status: 408, code: 'request_timeout', message: 'The request body took too long' });
    }
    if (this.deadlineKind !== Deadline.None && now > this.deadline) {
      this.fail(UPSTREAM_ERRORS.answerTimeout);
    }
  }

  private setDeadline(kind: Deadline, ms: number): void {
    this.deadlineKind = kind;
    this.deadline = performance.now() + ms;
  }

  private dropUpstream(): void {
    const up = this.up;
    this.up = null;
    if (up !== null) {
      up.owner = null;
      up.socket.destroy();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.deadlineKind = Deadline.None;
    const m = this.conn.opts.metrics;
    const label = this.target.name;
    // 499: the client left before any answer (nginx's code for it).
    m.answered(label, this.status || 499, (performance.now() - this.t0) / 1000, this.bytesIn, this.bytesOut);
    this.endActivity();
    m.streamClosed(label);
  }
}
