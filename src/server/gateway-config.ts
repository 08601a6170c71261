/**
 * The gateway's settings for `aloft server`, from flags (passed in) over environment
 * variables over defaults. Every deployment with `access.gateway: true` (the default) is
 * reached through it.
 *
 *   ALOFT_GATEWAY_HOST            listen address (127.0.0.1)
 *   ALOFT_GATEWAY_PORT            port (7080; 0 picks a free one)
 *   ALOFT_GATEWAY_TLS_CERT/_KEY   PEM files: serve HTTPS with them
 *   ALOFT_GATEWAY_TLS=self-signed generate one into <home>/gateway-tls/ (kept across starts)
 *   ALOFT_GATEWAY_DOMAIN          Host routing: <deployment>.<domain>
 *   ALOFT_GATEWAY_SECRET_HEADER   header carrying the upstream secret (X-Aloft-Upstream-Secret)
 *   ALOFT_GATEWAY_MAX_BODY        largest request body in bytes (104857600)
 *   ALOFT_GATEWAY_RATE            per-key "<per second>,<burst>" (100,200) or "off"
 *   ALOFT_GATEWAY_CONNECT_TIMEOUT_MS / _HEADERS_TIMEOUT_MS / _BODY_TIMEOUT_MS   upstream
 *   ALOFT_GATEWAY_CLIENT_HEADERS_TIMEOUT_MS   slow clients (30000)
 *   ALOFT_GATEWAY_FLUSH_MS        activity written to the store every … ms (5000)
 *   ALOFT_GATEWAY_FAST_LANE=off   every request through node:http + undici (the fast lane is on by default)
 */
import { join } from 'node:path';
import type { GatewayOptions } from '../gateway/server.js';
import { DEFAULT_GATEWAY_PORT } from '../lib/paths.js';

export type GatewaySettings = Omit<GatewayOptions, 'backend' | 'metrics' | 'onError'>;

export interface GatewayFlags {
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  selfSigned?: boolean;
  domain?: string;
}

export function gatewaySettings(env: NodeJS.ProcessEnv, home: string, flags: GatewayFlags = {}): GatewaySettings {
  const num = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, not ${v}`);
    return n;
  };
  const cert = flags.tlsCert ?? env.ALOFT_GATEWAY_TLS_CERT;
  const key = flags.tlsKey ?? env.ALOFT_GATEWAY_TLS_KEY;
  if (!!cert !== !!key) throw new Error('TLS needs both a certificate and a key (ALOFT_GATEWAY_TLS_CERT and ALOFT_GATEWAY_TLS_KEY)');
  const host = flags.host ?? env.ALOFT_GATEWAY_HOST ?? '127.0.0.1';
  const selfSigned = flags.selfSigned ?? env.ALOFT_GATEWAY_TLS === 'self-signed';
  const tls: GatewayOptions['tls'] = cert && key
    ? { certFile: cert, keyFile: key }
    : selfSigned
      ? { selfSigned: true, dir: join(home, 'gateway-tls'), hostnames: host === '0.0.0.0' || host === '::' ? [] : [host] }
      : undefined;
  return {
    host,
    port: flags.port ?? num('ALOFT_GATEWAY_PORT') ?? DEFAULT_GATEWAY_PORT,
    tls,
    domain: flags.domain ?? env.ALOFT_GATEWAY_DOMAIN ?? null,
    upstreamSecretHeader: env.ALOFT_GATEWAY_SECRET_HEADER || undefined,
    maxBodyBytes: num('ALOFT_GATEWAY_MAX_BODY'),
    rateLimit: parseRate(env.ALOFT_GATEWAY_RATE),
    timeouts: {
      connectMs: num('ALOFT_GATEWAY_CONNECT_TIMEOUT_MS'),
      headersMs: num('ALOFT_GATEWAY_HEADERS_TIMEOUT_MS'),
      bodyIdleMs: num('ALOFT_GATEWAY_BODY_TIMEOUT_MS'),
      clientHeadersMs: num('ALOFT_GATEWAY_CLIENT_HEADERS_TIMEOUT_MS'),
    },
    activityFlushMs: num('ALOFT_GATEWAY_FLUSH_MS'),
    fastLane: parseSwitch('ALOFT_GATEWAY_FAST_LANE', env.ALOFT_GATEWAY_FAST_LANE),
  };
}

function parseSwitch(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Error(`${name} takes "on" or "off", not ${v}`);
}

function parseRate(v: string | undefined): GatewayOptions['rateLimit'] {
  if (v === undefined || v === '') return undefined;
  if (v === 'off') return null;
  const m = /^(\d+(?:\.\d+)?)\s*,\s*(\d+)$/.exec(v);
  if (!m) throw new Error(`ALOFT_GATEWAY_RATE takes "<per second>,<burst>" or "off", not ${v}`);
  return { perSecond: Number(m[1]), burst: Number(m[2]) };
}
