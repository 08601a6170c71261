/**
 * Kept-alive raw connections to machines, for the fast lane (lane.ts): one idle list per
 * upstream (URL and pinned certificate), newest first. A cloud machine's key proxy is
 * reached over TLS trusting exactly the certificate the control plane issued to it
 * (RouteTarget.upstreamCaPem, no host name check: it is reached by IP), like the slow path's
 * pinned undici Agents (pinned-dispatchers.ts).
 *
 * Each socket gets its listeners once, when it is made, and passes events to whoever holds it
 * (`owner`): binding and unbinding listeners on every request would cost more than the rest
 * of the bookkeeping. An idle socket that the machine closes leaves the list at once; one idle
 * for longer than the machine keeps it (its `Keep-Alive: timeout`) or than `idleMs` is closed
 * by `sweep`, so a request rarely lands on a socket the machine is closing.
 */
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { pinnedTls } from '../lib/self-signed.js';
import { parsedBase } from './route.js';
import type { RouteTarget } from './types.js';

/** Whoever holds a socket gets its events. */
export interface UpstreamOwner {
  /** The answer to acquire(): a connection, or why there is none. */
  onUpstreamReady(err: UpstreamConnectError | null, up: Upstream | null): void;
  onUpstreamData(chunk: Buffer): void;
  onUpstreamDrain(): void;
  /** The socket closed (err: why, when it failed). */
  onUpstreamClose(err: Error | null): void;
}

export interface Upstream {
  socket: Socket;
  /** Pool key: the upstream URL and the pinned certificate. */
  key: string;
  owner: UpstreamOwner | null;
  /** Served at least one request before: the machine may be closing it right now. */
  reused: boolean;
  /** When it went back to the pool (performance.now()). */
  idleSince: number;
  /** How long the machine keeps an idle connection, from its Keep-Alive header. */
  keepAliveMs: number;
  error: Error | null;
}

export class UpstreamConnectError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface UpstreamPoolOptions {
  connectMs: number;
  /** Longest an idle connection is kept. Default 30 s. */
  idleMs?: number;
  /** Idle connections kept per upstream. Default 256. */
  maxIdle?: number;
}

export interface UpstreamPool {
  /** An idle connection or a new one, given to owner.onUpstreamReady once; `fresh` skips the idle ones. */
  acquire(target: RouteTarget, owner: UpstreamOwner, fresh?: boolean): void;
  release(up: Upstream): void;
  /** Closes connections idle for too long; call it now and then. */
  sweep(now: number): void;
  close(): void;
}

export function createUpstreamPool(opts: UpstreamPoolOptions): UpstreamPool {
  const idleMs = opts.idleMs ?? 30_000;
  const maxIdle = opts.maxIdle ?? 256;
  const idle = new Map<string, Upstream[]>();
  const all = new Set<Upstream>();
  function dropIdle(up: Upstream): void {
    const list = idle.get(up.key);
    if (!list) return;
    const i = list.indexOf(up);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) idle.delete(up.key);
  }

  function connect(target: RouteTarget, key: string, url: URL, owner: UpstreamOwner): void {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const secure = url.protocol === 'https:';
    const port = Number(url.port) || (secure ? 443 : 80);
    const socket: Socket = secure
      ? tls.connect({
          host,
          port,
          ALPNProtocols: ['http/1.1'],
          ...(target.upstreamCaPem === undefined ? { servername: net.isIP(host) ? undefined : host } : pinnedTls(target.upstreamCaPem)),
        })
      : net.connect({ host, port });
    socket.setNoDelay(true);
    const up: Upstream = { socket, key, owner, reused: false, idleSince: 0, keepAliveMs: idleMs, error: null };
    all.add(up);
    let settled = false;
    const timer = setTimeout(() => socket.destroy(new UpstreamConnectError('Could not connect to the deployment in time', true)), opts.connectMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      settled = true;
      owner.onUpstreamReady(null, up);
    });
    socket.on('data', (chunk: Buffer) => {
      if (up.owner) up.owner.onUpstreamData(chunk);
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      else socket.destroy();
    });
    socket.on('drain', () => up.owner?.onUpstreamDrain());
    socket.on('error', (err) => {
      up.error = err;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      all.delete(up);
      dropIdle(up);
      if (!settled) {
        settled = true;
        const timedOut = up.error instanceof UpstreamConnectError && up.error.timedOut;
        owner.onUpstreamReady(new UpstreamConnectError(timedOut ? up.error!.message : 'Could not reach the deployment', timedOut), null);
        return;
      }
      const o = up.owner;
      up.owner = null;
      o?.onUpstreamClose(up.error);
    });
  }

  return {
    acquire(target, owner, fresh = false) {
      // Local machines (no pinned certificate) are keyed by their URL alone: no string built per request.
      const key = target.upstreamCaPem === undefined ? target.upstreamUrl! : target.upstreamUrl! + '\n' + target.upstreamCaPem;
      if (!fresh) {
        const list = idle.get(key);
        const up = list?.pop();
        if (up) {
          if (list!.length === 0) idle.delete(key);
          up.owner = owner;
          up.reused = true;
          owner.onUpstreamReady(null, up);
          return;
        }
      }
      connect(target, key, parsedBase(target.upstreamUrl!), owner);
    },
    release(up) {
      up.owner = null;
      const list = idle.get(up.key);
      if (up.socket.destroyed || (list && list.length >= maxIdle)) {
        up.socket.destroy();
        return;
      }
      up.idleSince = performance.now();
      if (list) list.push(up);
      else idle.set(up.key, [up]);
    },
    sweep(now) {
      for (const list of idle.values()) {
        for (const up of [...list]) {
          // A second early: the machine's own timer may fire while our request is on the wire.
          if (now - up.idleSince >= Math.min(idleMs, up.keepAliveMs - 1000)) up.socket.destroy();
        }
      }
    },
    close() {
      for (const up of all) up.socket.destroy();
      idle.clear();
    },
  };
}
