/**
 * The gateway's fast lane: plain HTTP/1.1 requests proxied on raw sockets. node:http in front
 * of undici costs ~50 µs of CPU per proxied request on a small VM, most of it in the request
 * and response objects, their streams and events on both sides (bench/README.md, "Gateway");
 * nginx costs ~22. Here a request is read from the client's bytes (wire-request.ts), admitted
 * like any other (admission.ts), and written to a kept-alive connection to the machine
 * (upstream-pool.ts) as one string; the answer's head is read (wire-response.ts), rewritten,
 * and its body passed on as the bytes arrive, never buffered, until its framing says it ended.
 *
 * The lane takes only what it reads strictly: a request it declines (HTTP/1.0, a chunked
 * body, Expect, an Upgrade, anything malformed or unusual) is handed, with the connection,
 * to node:http, which answers it and every later request on that connection as before.
 * Client timeouts (headers, whole request, keep-alive) and upstream ones (headers, body
 * silence) are checked by one sweep for all connections instead of a timer per request.
 */
import type { Socket } from 'node:net';
import type { ActivityTracker } from './activity.js';
import type { AdmitRequest, Admitted } from './admission.js';
import { LaneConnection } from './lane-connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { UpstreamTimeouts } from './proxy.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface LaneOptions {
  admit: (req: AdmitRequest) => Promise<Admitted>;
  pool: UpstreamPool;
  secretHeader: string;
  maxBodyBytes: number;
  upstream: UpstreamTimeouts;
  client: {
    /** Time a client has to send its request headers; 0 disables. */
    headersMs: number;
    /** Time a client has to send a whole request; 0 disables. */
    requestMs: number;
    /** Idle keep-alive connection. */
    keepAliveMs: number;
  };
  /** The client connection is TLS (x-forwarded-proto). */
  tls: boolean;
  metrics: GatewayMetrics;
  activity: ActivityTracker;
  /** Gives the connection to node:http (its unread bytes, a request the lane declined first, are back in the socket). */
  handOff(socket: Socket): void;
  onError(err: unknown): void;
}

export interface Lane {
  accept(socket: Socket): void;
  close(): void;
}

export function createLane(opts: LaneOptions): Lane {
  const conns = new Set<LaneConnection>();
  const limits = [opts.client.headersMs, opts.client.requestMs, opts.client.keepAliveMs, opts.upstream.headersMs, opts.upstream.bodyIdleMs].filter((ms) => ms > 0);
  // A quarter of the shortest timeout, so none fires more than 25% late; at most once a second.
  const sweepMs = Math.max(10, Math.min(1000, Math.floor(Math.min(...limits, 4000) / 4)));
  const sweeper = setInterval(() => {
    const now = performance.now();
    for (const c of conns) c.check(now);
    opts.pool.sweep(now);
  }, sweepMs);
  sweeper.unref();

  return {
    accept(socket) {
      const c = new LaneConnection(socket, opts, () => conns.delete(c));
      conns.add(c);
    },
    close() {
      clearInterval(sweeper);
      for (const c of conns) c.destroy();
      conns.clear();
      opts.pool.close();
    },
  };
}
