/**
 * One client connection in the fast lane (lane.ts): reads requests one after the other,
 * admits each, forwards it on a pooled connection to the machine (lane-exchange.ts) and, once
 * its answer has ended, reads the next. A request sent before the previous answer ended
 * (pipelining) waits in `buf`.
 */
import type { Socket } from 'node:net';
import type { Admitted } from './admission.js';
import { acceptsHtmlValue } from './headers.js';
import { Exchange } from './lane-exchange.js';
import type { LaneOptions } from './lane.js';
import { NO_DEPLOYMENT } from './metrics.js';
import { rawAnswer, rawError } from './respond.js';
import { MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from './wire-request.js';

/** Why reading from the client is paused (bits). */
export enum Hold {
  /** Pipelined bytes wait in `buf` beyond MAX_PENDING. */
  Pending = 1,
  /** The machine's connection is not taking the request body as fast as it comes. */
  Upstream = 2,
}

const enum Phase {
  /** Waiting for (the rest of) a request head. */
  Idle,
  /** A request is being admitted or forwarded. */
  Busy,
  /** The last answer is out; the connection ends. */
  Closing,
  /** Given to node:http, or destroyed. */
  Gone,
}

/** Pipelined bytes kept while an answer is in flight before reading pauses. */
const MAX_PENDING = 64 * 1024;
/** A head still incomplete after this many reads goes to node:http. */
const MAX_HEAD_READS = 4;

export class LaneConnection {
  private phase = Phase.Idle;
  /** Bytes read and not yet used: the next request(s). */
  buf: Buffer | null = null;
  private headStartedAt = 0;
  /** Reads that ended inside the current head. */
  private headReads = 0;
  private idleSince = performance.now();
  private clientEnded = false;
  private exchange: Exchange | null = null;
  /** Called when the client goes away (a request held while its deployment wakes). */
  private closeHooks: (() => void)[] | null = null;
  private req: RequestHead | null = null;
  private t0 = 0;
  /** Why reading from the client is paused now (Hold bits); it reads while none holds it. */
  private holds = 0;
  /** Read once: socket.remoteAddress asks the kernel each time. */
  readonly remoteAddress: string | undefined;

  constructor(
    readonly socket: Socket,
    readonly opts: LaneOptions,
    private readonly forget: () => void,
  ) {
    socket.setNoDelay(true);
    this.remoteAddress = socket.remoteAddress;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', noop);
    socket.on('drain', this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    const ex = this.exchange;
    if (ex !== null && ex.bodyLeft > 0) {
      const rest = ex.clientBody(chunk);
      if (rest === null) return;
      chunk = rest;
    }
    this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.phase === Phase.Idle) this.next();
    else if (this.buf.length > MAX_PENDING) this.hold(Hold.Pending);
  };

  hold(reason: Hold): void {
    if (this.holds === 0) this.socket.pause();
    this.holds |= reason;
  }

  release(reason: Hold): void {
    if ((this.holds & reason) === 0) return;
    this.holds &= ~reason;
    if (this.holds === 0 && this.phase !== Phase.Gone) this.socket.resume();
  }

  /** `buf` shrank (a request or its body was taken from it): read on if there is room. */
  taken(): void {
    if (this.buf === null || this.buf.length <= MAX_PENDING) this.release(Hold.Pending);
  }

  /**
   * The client closed its side. Like node:http (httpAllowHalfOpen off) and nginx, that ends
   * the request in flight too: a client that hung up stops the machine's work.
   */
  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.phase === Phase.Idle || this.phase === Phase.Closing) this.socket.end();
    else this.socket.destroy();
  };

  private readonly onDrain = (): void => {
    this.exchange?.clientDrained();
  };

  private readonly onClose = (): void => {
    const hooks = this.closeHooks;
    this.closeHooks = null;
    if (hooks) for (const fn of hooks) fn();
    this.exchange?.clientClosed();
    this.phase = Phase.Gone;
    this.forget();
  };

  /** Reads the next request from `buf`, if a whole head is there. */
  private next(): void {
    const buf = this.buf;
    if (buf === null || this.phase !== Phase.Idle) return;
    const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
    if (end === -1) {
      // A head that is too long (node:http answers 431), or that trickles in over several
      // reads: llhttp reads it incrementally, where each read here would copy and scan it all again.
      if (buf.length > MAX_HEAD_BYTES || ++this.headReads > MAX_HEAD_READS) return this.handOff();
      if (this.headStartedAt === 0) this.headStartedAt = performance.now();
      return;
    }
    this.headReads = 0;
    const head = end + 4 <= MAX_HEAD_BYTES ? parseRequestHead(buf, end) : null;
    if (head === null) return this.handOff();
    this.buf = buf.length > head.headBytes ? buf.subarray(head.headBytes) : null;
    this.headStartedAt = 0;
    this.phase = Phase.Busy;
    this.req = head;
    this.t0 = performance.now();
    if (head.url === '/_aloft/health') {
      // A body sent along is dropped, not read as the next request; one still coming closes the connection.
      const keep = head.keepAlive && this.bodyBuffered(head);
      this.socket.write(rawAnswer(200, 'application/json', '{"ok":true}', {}, { close: !keep, head: head.method === 'HEAD' }));
      return this.done(keep);
    }
    if (head.contentLength > this.opts.maxBodyBytes) {
      const msg = `The request body exceeds ${this.opts.maxBodyBytes} bytes`;
      return this.answer(413, NO_DEPLOYMENT, rawError(413, 'body_too_large', msg, {}, { close: true, head: head.method === 'HEAD' }), false);
    }
    const accept = head.fields.accept;
    this.opts
      .admit({ url: head.url, host: head.fields.host, keyHeaders: head.fields, wantsHtml: accept !== undefined && acceptsHtmlValue(accept), onClose: this.onCloseHook })
      .then(this.onAdmitted, this.onAdmitFailed);
  }

  private readonly onCloseHook = (fn: () => void): void => {
    (this.closeHooks ??= []).push(fn);
  };

  private readonly onAdmitted = (a: Admitted): void => {
    this.closeHooks = null;
    const req = this.req!;
    if (this.phase !== Phase.Busy) return;
    if (!a.ok) {
      const head = req.method === 'HEAD';
      // A body the client is still sending would be read as the next request: close after the answer.
      const keep = req.keepAlive && this.bodyBuffered(req);
      const text = a.html
        ? rawAnswer(a.status, 'text/html; charset=utf-8', a.html, a.headers, { close: !keep, head })
        : rawError(a.status, a.code, a.message, a.headers, { close: !keep, head });
      return this.answer(a.status, NO_DEPLOYMENT, text, keep);
    }
    const ex = new Exchange(this, req, a.target, a.path, this.t0);
    this.exchange = ex;
    ex.start();
  };

  private readonly onAdmitFailed = (err: unknown): void => {
    this.opts.onError(err);
    if (this.phase !== Phase.Busy) return;
    this.answer(500, NO_DEPLOYMENT, rawError(500, 'internal', 'The gateway failed to handle this request', {}, { close: true }), false);
  };

  /** True when the request's whole body is in `buf`; it is then dropped from it. */
  private bodyBuffered(req: RequestHead): boolean {
    const n = req.contentLength;
    if (n === 0) return true;
    if (this.buf === null || this.buf.length < n) return false;
    this.buf = this.buf.length > n ? this.buf.subarray(n) : null;
    this.taken();
    return true;
  }

  /** Answers from the gateway itself (refusals, errors): counted like proxied answers. */
  answer(status: number, label: string, text: string, keepAlive: boolean): void {
    // UTF-8: messages may carry names and '…'; the head itself is ASCII.
    const out = Buffer.byteLength(text);
    this.socket.write(text);
    this.opts.metrics.answered(label, status, (performance.now() - this.t0) / 1000, this.req!.headBytes, out);
    this.done(keepAlive);
  }

  /** The exchange is over; `keepAlive`: the connection may carry another request. */
  done(keepAlive: boolean): void {
    this.exchange = null;
    this.req = null;
    if (this.phase !== Phase.Busy) return;
    if (!keepAlive || this.clientEnded) {
      this.phase = Phase.Closing;
      this.socket.end();
      return;
    }
    this.phase = Phase.Idle;
    this.idleSince = performance.now();
    this.release(Hold.Upstream);
    this.taken();
    this.next();
  }

  /** Gives the connection to node:http with the bytes not yet read by it. */
  private handOff(): void {
    this.phase = Phase.Gone;
    this.forget();
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('end', this.onEnd);
    s.removeListener('close', this.onClose);
    s.removeListener('error', noop);
    s.removeListener('drain', this.onDrain);
    // Paused while nobody listens, so no byte is emitted to no one; node:http reads the
    // unshifted bytes first (on the next tick, before any new read from the network).
    s.pause();
    if (this.buf !== null) s.unshift(this.buf);
    this.buf = null;
    this.opts.handOff(s);
    s.resume();
  }

  /** Timeouts, from the lane's sweep. */
  check(now: number): void {
    const c = this.opts.client;
    if (this.phase === Phase.Idle) {
      if (this.headStartedAt !== 0 && c.headersMs > 0 && now - this.headStartedAt > c.headersMs) {
        this.phase = Phase.Closing;
        this.socket.end(rawError(408, 'request_timeout', 'The request headers took too long', {}, { close: true }));
      } else if (this.headStartedAt === 0 && this.buf === null && now - this.idleSince > c.keepAliveMs) {
        this.phase = Phase.Gone;
        this.socket.destroy();
      }
      return;
    }
    this.exchange?.check(now);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function noop(): void {}
