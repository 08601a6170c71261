/**
 * WebSocket (and any HTTP/1.1 Upgrade) proxying: the handshake is replayed to the
 * machine with the upstream secret instead of the client's key; on 101 the two sockets
 * are piped to each other until either side closes. A refusal (any other status) is
 * relayed to the client as is.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { upstreamRequestHeaders } from './headers.js';
import { sendSocketError } from './respond.js';
import { upstreamPath } from './route.js';
import { pinnedTls } from '../lib/self-signed.js';
import type { RouteTarget } from './types.js';

export interface UpgradeOptions {
  secretHeader: string;
  connectMs: number;
  tls: boolean;
}

/** Resolves with the status the client got once the tunnel (or the refusal) is over. */
export function forwardUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: RouteTarget, path: string, opts: UpgradeOptions): Promise<number> {
  const base = new URL(target.upstreamUrl!);
  const mod = base.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve) => {
    let settled = false;
    const done = (status: number) => {
      if (!settled) {
        settled = true;
        resolve(status);
      }
    };
    const upReq = mod.request({
      protocol: base.protocol,
      hostname: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || (base.protocol === 'https:' ? 443 : 80),
      method: req.method,
      path: upstreamPath(base, path),
      headers: upstreamRequestHeaders(req, { secretHeader: target.upstreamSecretHeader ?? opts.secretHeader, secret: target.upstreamSecret, upgrade: true, tls: opts.tls }),
      timeout: opts.connectMs,
      // A cloud machine: trust exactly its certificate (it is reached by IP, which the certificate does not name).
      ...(base.protocol === 'https:' && target.upstreamCaPem ? { ...pinnedTls(target.upstreamCaPem), agent: false } : {}),
    });
    upReq.on('timeout', () => upReq.destroy(new Error('upstream timeout')));
    socket.on('error', () => upReq.destroy());
    let upgraded = false;
    socket.on('close', () => {
      if (upgraded) return;
      upReq.destroy();
      done(499);
    });

    upReq.on('upgrade', (upRes, upSocket, upHead) => {
      upgraded = true;
      upSocket.setTimeout(0);
      upSocket.setNoDelay(true);
      const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? 'Switching Protocols'}`];
      const raw = upRes.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
      socket.write(lines.join('\r\n') + '\r\n\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
      const end = () => {
        upSocket.destroy();
        socket.destroy();
        done(upRes.statusCode ?? 101);
      };
      upSocket.on('error', end);
      upSocket.on('close', end);
      socket.on('error', end);
      socket.on('close', end);
    });

    upReq.on('response', (upRes) => {
      // The machine refused the upgrade: relay its answer and close.
      const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`];
      const raw = upRes.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const lc = raw[i]!.toLowerCase();
        if (lc === 'connection' || lc === 'transfer-encoding' || lc === 'keep-alive') continue;
        lines.push(`${raw[i]}: ${raw[i + 1]}`);
      }
      lines.push('connection: close');
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks);
        if (upRes.headers['content-length'] === undefined) lines.push(`content-length: ${body.length}`);
        socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), body]));
        done(upRes.statusCode ?? 502);
      });
      upRes.on('error', () => {
        socket.destroy();
        done(502);
      });
    });

    upReq.on('error', () => {
      if (settled) return;
      sendSocketError(socket, 502, 'upstream_error', 'Could not reach the deployment');
      done(502);
    });
    upReq.end();
  });
}
