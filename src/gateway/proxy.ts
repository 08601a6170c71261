/**
 * Forwards one HTTP request to a machine and streams the answer back, with undici's
 * dispatcher (keep-alive pools per upstream) and a lean handler: no body is buffered,
 * each upstream chunk is written to the client as it arrives, backpressure pauses the
 * upstream, and a client that goes away aborts the upstream request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { errors, type Agent, type Dispatcher } from 'undici';
import { clientResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { sendError, UPSTREAM_ERRORS, type GatewayError } from './respond.js';
import { parsedBase, upstreamPath } from './route.js';
import type { RouteTarget } from './types.js';

export interface UpstreamTimeouts {
  /** TCP (and TLS) connect to the machine. */
  connectMs: number;
  /** Until the response headers arrive: model loads are slow. */
  headersMs: number;
  /** Longest silence between two body chunks; 0 disables. */
  bodyIdleMs: number;
}

export const DEFAULT_UPSTREAM_TIMEOUTS: UpstreamTimeouts = { connectMs: 10_000, headersMs: 600_000, bodyIdleMs: 600_000 };

export interface ForwardOptions {
  dispatcher: Agent;
  secretHeader: string;
  maxBodyBytes: number;
  timeouts: UpstreamTimeouts;
  tls: boolean;
}

/** Resolves when the exchange is over (answered, failed or abandoned). */
export function forward(req: IncomingMessage, res: ServerResponse, target: RouteTarget, path: string, opts: ForwardOptions): Promise<void> {
  const base = parsedBase(target.upstreamUrl!);
  let body: Readable | null = null;
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  if (te !== undefined) {
    // No declared length: count as it streams and stop at the limit.
    body = req.pipe(limitBytes(opts.maxBodyBytes));
    req.on('error', (err) => body!.destroy(err));
  } else if (cl !== undefined && cl !== '0') {
    body = req;
  }

  return new Promise<void>((resolve) => {
    const handler = new ForwardHandler(res, resolve);
    // The client went away before the answer ended: stop the machine's work too.
    res.once('close', handler.onClientClose);
    opts.dispatcher.dispatch(
      {
        origin: base.origin,
        path: upstreamPath(base, path),
        method: req.method as Dispatcher.HttpMethod,
        headers: upstreamRequestHeaders(req, { secretHeader: target.upstreamSecretHeader ?? opts.secretHeader, secret: target.upstreamSecret, tls: opts.tls }),
        body,
        headersTimeout: opts.timeouts.headersMs,
        bodyTimeout: opts.timeouts.bodyIdleMs,
      },
      handler,
    );
  });
}

class ForwardHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private done = false;
  private drainHooked = false;
  private corked = false;
  private wroteBody = false;
  private readonly uncork = (): void => {
    this.corked = false;
    // end() uncorks fully by itself; a second uncork could touch the next response on this socket.
    if (!this.res.writableEnded) this.res.uncork();
  };
  constructor(
    private readonly res: ServerResponse,
    private readonly resolve: () => void,
  ) {}

  onClientClose = (): void => {
    if (this.done) return;
    this.controller?.abort(new errors.RequestAbortedError('client closed the connection'));
    this.finish();
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new errors.RequestAbortedError('client closed the connection'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200 || this.done) return;
    const res = this.res;
    res.writeHead(statusCode, clientResponseHeaders(headers));
    // Streams (SSE, chunked): the headers must not wait for the first event, which may be a
    // model load away. If body bytes came in the same read they carry the headers in one write.
    if (headers['content-length'] === undefined || String(headers['content-type']).startsWith('text/event-stream')) {
      process.nextTick(this.flushHeaders);
    }
  }

  private readonly flushHeaders = (): void => {
    if (!this.wroteBody && !this.done && !this.res.destroyed) this.res.flushHeaders();
  };

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.wroteBody = true;
    // Chunks parsed from one upstream read arrive in the same tick: send them to the client
    // in one write at the end of the tick (no added latency) instead of one syscall each.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    if (this.res.write(chunk)) return;
    // The client reads slower than the machine writes: pause the machine until it drains.
    controller.pause();
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', () => this.controller?.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
    this.finish();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (!this.done) {
      const e = describeUpstreamError(err);
      if (this.res.headersSent) this.res.destroy();
      else sendError(this.res, e.status, e.code, e.message, e.status === 413 ? { connection: 'close' } : {});
    }
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.resolve();
  }
}

export class BodyTooLargeError extends Error {
  readonly code = 'body_too_large';
}

function limitBytes(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(new BodyTooLargeError(`The request body exceeds ${max} bytes`));
      else cb(null, chunk);
    },
  });
}

export function describeUpstreamError(err: Error): GatewayError {
  if (err instanceof BodyTooLargeError) return { status: 413, code: 'body_too_large', message: err.message };
  if (err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError) return UPSTREAM_ERRORS.answerTimeout;
  if (err instanceof errors.ConnectTimeoutError) return UPSTREAM_ERRORS.connectTimeout;
  return UPSTREAM_ERRORS.unreachable;
}
