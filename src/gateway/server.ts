/**
 * The gateway server, in front of every deployment with `access.gateway: true`: a node:http(s)
 * server (no framework) whose connections go first to the fast lane (lane.ts), which proxies
 * plain HTTP/1.1 requests on raw sockets and hands any other request, with its connection,
 * back to node:http and undici (onRequest, onUpgrade below). Both paths admit alike (admission.ts):
 *
 *   /d/<deployment>/<path>  or  Host: <deployment>.<domain>
 *     → key check (401) → deployment (404) → scope (403) → rate limit (429)
 *     → wake if stopped (held, or 503 + Retry-After) → forward, streaming both ways.
 *
 * `GET /_aloft/health` answers 200 without a key (load balancers, readiness).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createActivityTracker, type ActivityTracker } from './activity.js';
import { acceptsHtml } from './headers.js';
import { createAdmission, type Admitted } from './admission.js';
import { createKeyVerifier } from './keys.js';
import { createLane, type Lane } from './lane.js';
import { createGatewayMetrics, NO_DEPLOYMENT, type GatewayMetrics } from './metrics.js';
import { DEFAULT_UPSTREAM_TIMEOUTS, forward, type UpstreamTimeouts } from './proxy.js';
import { createRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { sendError, sendSocketError } from './respond.js';
import { createUpstreamDispatchers } from './pinned-dispatchers.js';
import { loadTls, type TlsConfig } from './tls.js';
import type { GatewayBackend } from './types.js';
import { createUpstreamPool } from './upstream-pool.js';
import { forwardUpgrade } from './upgrade.js';
import { createWakeCoordinator, type WakeCoordinator } from './wake.js';

export const DEFAULT_GATEWAY_PORT = 7080;
export const DEFAULT_SECRET_HEADER = 'X-Aloft-Upstream-Secret';

export interface GatewayOptions {
  host?: string;
  port?: number;
  tls?: TlsConfig;
  /** Enables Host routing: `<deployment>.<domain>`. */
  domain?: string | null;
  upstreamSecretHeader?: string;
  /** Largest request body; 413 above it. Default 100 MiB. */
  maxBodyBytes?: number;
  /** Per key; null turns it off. Default 100/s with a burst of 200. */
  rateLimit?: RateLimitOptions | null;
  timeouts?: Partial<UpstreamTimeouts> & {
    /** Time a client has to send its request headers (slowloris). Default 30 s. */
    clientHeadersMs?: number;
    /** Time a client has to send a whole request; 0 disables. Default 10 min. */
    clientRequestMs?: number;
    /** Idle keep-alive connection to a client. Default 60 s. */
    clientKeepAliveMs?: number;
  };
  backend: GatewayBackend;
  activityFlushMs?: number;
  /** Retry-After (s) on the starting page and on 503 while waking. Default 5 / 10. */
  retryAfter?: { page?: number; timeout?: number };
  wakePollMs?: number;
  metrics?: GatewayMetrics;
  /**
   * Plain HTTP/1.1 requests on raw sockets (lane.ts); node:http takes what the lane declines.
   * Default true; false sends every request through node:http and undici.
   */
  fastLane?: boolean;
  onError?: (err: unknown) => void;
}

export interface Gateway {
  listen(): Promise<{ url: string }>;
  close(): Promise<void>;
  activity: ActivityTracker;
  metrics: GatewayMetrics;
  wake: WakeCoordinator;
  server: http.Server;
}

export function createGateway(opts: GatewayOptions): Gateway {
  const backend = opts.backend;
  const host = opts.host ?? '127.0.0.1';
  const domain = opts.domain ? opts.domain.toLowerCase().replace(/^\./, '') : null;
  const secretHeader = opts.upstreamSecretHeader ?? DEFAULT_SECRET_HEADER;
  const maxBodyBytes = opts.maxBodyBytes ?? 100 * 1024 * 1024;
  const timeouts: UpstreamTimeouts = { ...DEFAULT_UPSTREAM_TIMEOUTS, ...stripUndefined(opts.timeouts ?? {}) };
  const retryPage = opts.retryAfter?.page ?? 5;
  const retryTimeout = opts.retryAfter?.timeout ?? 10;
  const onError = opts.onError ?? (() => {});
  const metrics = opts.metrics ?? createGatewayMetrics();
  const limiter = opts.rateLimit === null ? null : createRateLimiter(opts.rateLimit ?? { perSecond: 100, burst: 200 });
  const activity = createActivityTracker({
    flushMs: opts.activityFlushMs,
    record: (b) => backend.recordActivity(b),
    touchKey: backend.keys.touch ? (id, at) => backend.keys.touch!(id, at) : undefined,
    onError,
  });
  const wake = createWakeCoordinator({ backend, pollMs: opts.wakePollMs, onWake: (t) => metrics.wake(t.name), onError });
  const dispatchers = createUpstreamDispatchers({
    connect: { timeout: timeouts.connectMs },
    keepAliveTimeout: 30_000,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyIdleMs,
  });
  let tlsOn = false;
  const tunnels = new Set<Duplex>();

  const admitRequest = createAdmission({ backend, domain, verifyKey: createKeyVerifier(), limiter, activity, wake, retryPage, retryTimeout });
  /** Admission of a node:http request or upgrade. */
  const admit = (req: IncomingMessage, conn: ServerResponse | Duplex, allowHtml: boolean): Promise<Admitted> =>
    admitRequest({ url: req.url ?? '/', host: req.headers.host, keyHeaders: req.headers, wantsHtml: allowHtml && acceptsHtml(req), onClose: (fn) => conn.once('close', fn) });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    if (req.url === '/_aloft/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    let label = NO_DEPLOYMENT;
    const sock = req.socket;
    const in0 = sock.bytesRead;
    const out0 = sock.bytesWritten;
    res.once('close', () => {
      metrics.answered(label, res.statusCode, (performance.now() - t0) / 1000, sock.bytesRead - in0, sock.bytesWritten - out0);
    });
    try {
      const len = req.headers['content-length'];
      if (len !== undefined && Number(len) > maxBodyBytes) {
        return sendError(res, 413, 'body_too_large', `The request body exceeds ${maxBodyBytes} bytes`, { connection: 'close' });
      }
      const a = await admit(req, res, true);
      if (!a.ok) {
        if (res.destroyed) return;
        if (a.html) {
          res.writeHead(a.status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...a.headers });
          res.end(a.html);
          return;
        }
        return sendError(res, a.status, a.code, a.message, a.headers);
      }
      if (res.destroyed) return;
      label = a.target.name;
      const id = a.target.deploymentId;
      const end = activity.open(id);
      metrics.streamOpened(label);
      try {
        await forward(req, res, a.target, a.path, { dispatcher: dispatchers.for(a.target), secretHeader, maxBodyBytes, timeouts, tls: tlsOn });
      } finally {
        end();
        metrics.streamClosed(label);
      }
    } catch (err) {
      onError(err);
      sendError(res, 500, 'internal', 'The gateway failed to handle this request');
    }
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const t0 = performance.now();
    socket.on('error', () => socket.destroy());
    // Upgraded sockets leave the server's books: close() must find them here.
    tunnels.add(socket);
    socket.once('close', () => tunnels.delete(socket));
    let label = NO_DEPLOYMENT;
    let status = 0;
    try {
      const a = await admit(req, socket, false);
      if (!a.ok) {
        status = a.status;
        return sendSocketError(socket, a.status, a.code, a.message, a.headers);
      }
      label = a.target.name;
      const end = activity.open(a.target.deploymentId);
      metrics.streamOpened(label);
      try {
        status = await forwardUpgrade(req, socket, head, a.target, a.path, { secretHeader, connectMs: timeouts.connectMs, tls: tlsOn });
      } finally {
        end();
        metrics.streamClosed(label);
      }
    } catch (err) {
      onError(err);
      status = 500;
      sendSocketError(socket, 500, 'internal', 'The gateway failed to handle this request');
    } finally {
      metrics.request(label, status, (performance.now() - t0) / 1000);
    }
  }

  const clientHeadersMs = opts.timeouts?.clientHeadersMs ?? 30_000;
  const clientRequestMs = opts.timeouts?.clientRequestMs ?? 600_000;
  const clientKeepAliveMs = opts.timeouts?.clientKeepAliveMs ?? 60_000;
  const serverOptions: http.ServerOptions = {
    headersTimeout: clientHeadersMs,
    // Node checks these timeouts on this interval (30 s by default): keep it below the timeout.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(clientHeadersMs / 4))),
    requestTimeout: clientRequestMs,
    keepAliveTimeout: clientKeepAliveMs,
    noDelay: true,
  };
  let server: http.Server = http.createServer(serverOptions);
  let lane: Lane | null = null;

  /**
   * Puts the fast lane in front of node:http: the server's own connection listener (on
   * 'secureConnection' for TLS, where the handshake is done) is taken off and kept for the
   * connections the lane hands over, so node:http still tracks and times those out.
   */
  function installLane(): void {
    const event = tlsOn ? 'secureConnection' : 'connection';
    const listeners = server.listeners(event);
    if (listeners.length !== 1) throw new Error(`the gateway expected one ${event} listener on node:http's server, found ${listeners.length}`);
    const httpListener = listeners[0] as (socket: Socket) => void;
    server.removeListener(event, httpListener);
    lane = createLane({
      admit: admitRequest,
      pool: createUpstreamPool({ connectMs: timeouts.connectMs }),
      secretHeader,
      maxBodyBytes,
      upstream: timeouts,
      client: { headersMs: clientHeadersMs, requestMs: clientRequestMs, keepAliveMs: clientKeepAliveMs },
      tls: tlsOn,
      metrics,
      activity,
      handOff: (socket) => httpListener.call(server, socket),
      onError,
    });
    const l = lane;
    server.on(event, (socket: Socket) => l.accept(socket));
  }

  const gateway: Gateway = {
    activity,
    metrics,
    wake,
    get server() {
      return server;
    },
    async listen() {
      if (opts.tls) {
        const m = await loadTls(opts.tls);
        server = https.createServer({ ...serverOptions, cert: m.cert, key: m.key });
        tlsOn = true;
      }
      server.on('request', (req, res) => void onRequest(req, res));
      server.on('upgrade', (req, socket, head) => void onUpgrade(req, socket, head));
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        if (!socket.writable) return void socket.destroy();
        const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      });
      if (opts.fastLane !== false) installLane();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? DEFAULT_GATEWAY_PORT, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      return { url: `${tlsOn ? 'https' : 'http'}://${h}:${addr.port}` };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        lane?.close();
        for (const s of tunnels) s.destroy();
      });
      await activity.close();
      await dispatchers.close();
    },
  };
  return gateway;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
