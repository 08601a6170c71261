/**
 * A local, stateful double of the Hetzner Cloud API v1 for tests: node:http on
 * 127.0.0.1 and a free port, Bearer token checked, rate-limit headers on every answer,
 * and faults on demand.
 *
 *   const double = await startHetznerDouble();
 *   double.faults.push({ match: 'POST /servers', error: 'resource_unavailable', times: 1 });
 *   double.faults.push({ match: 'GET /servers/*', latencyMs: 200 });
 *   double.faults.push({ match: /^GET \/actions/, drop: true });
 *   double.faults.push({ match: 'POST /servers', dropAfter: true }); // made, but the answer is lost
 *   ...
 *   await double.close();
 *
 * `match` is "METHOD /path" where `*` stands for one path segment, or a RegExp tested
 * against "METHOD /path". A fault applies `times` times (default 1; Infinity for ever).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dispatch } from './hetzner-double-dispatch.js';
import { ApiError, HetznerCloud, type CloudOptions } from './hetzner-double-cloud.js';

export interface HetznerFault {
  match: string | RegExp;
  /** Hetzner error code to answer with (resource_unavailable, rate_limit_exceeded, …). */
  error?: string;
  /** HTTP status; defaults to the one Hetzner uses for `error`. */
  status?: number;
  /** Destroy the socket without answering (a dropped connection). */
  drop?: boolean;
  /** Carry the request out, then destroy the socket instead of answering (the answer is lost). */
  dropAfter?: boolean;
  /** Delay before answering (or before the error/drop). */
  latencyMs?: number;
  /** For rate_limit_exceeded: seconds until RateLimit-Reset (default 1). */
  resetInS?: number;
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
}

export interface HetznerDouble {
  url: string;
  token: string;
  cloud: HetznerCloud;
  faults: HetznerFault[];
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const STATUS: Record<string, number> = {
  unauthorized: 401,
  forbidden: 403,
  invalid_input: 400,
  json_error: 400,
  locked: 423,
  not_found: 404,
  rate_limit_exceeded: 429,
  resource_limit_exceeded: 403,
  resource_unavailable: 403,
  placement_error: 412,
  server_error: 500,
  service_error: 503,
  unavailable: 503,
  timeout: 504,
  maintenance: 503,
  conflict: 409,
  uniqueness_error: 409,
};

function matches(f: HetznerFault, line: string): boolean {
  if (f.match instanceof RegExp) return f.match.test(line);
  const re = new RegExp(`^${f.match.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`);
  return re.test(line);
}

export async function startHetznerDouble(opts: Partial<CloudOptions> & { token?: string } = {}): Promise<HetznerDouble> {
  const token = opts.token ?? 'test-token-hetzner-double';
  const cloud = new HetznerCloud({ actionMs: opts.actionMs ?? 150, ipv4For: opts.ipv4For, serverLimit: opts.serverLimit });
  const faults: HetznerFault[] = [];
  const requests: RecordedRequest[] = [];
  const rate = { limit: 3600, remaining: 3600 };

  function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
    rate.remaining = Math.max(0, rate.remaining - 1);
    const headers: Record<string, string> = {
      'ratelimit-limit': String(rate.limit),
      'ratelimit-remaining': String(rate.remaining),
      'ratelimit-reset': String(Math.floor(Date.now() / 1000) + (rate.limit - rate.remaining)),
      ...extra,
    };
    if (status === 204 || body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  const errorBody = (code: string, message: string, details: unknown = {}) => ({ error: { code, message, details } });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://double');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = req.method ?? 'GET';
    // Served under /v1 like the real API; faults and records use the path after it.
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    const line = `${method} ${path}`;
    const rec: RecordedRequest = { method, path, query: url.search, body: undefined, status: 0 };
    requests.push(rec);

    const fault = faults.find((f) => matches(f, line));
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      if (fault.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.drop) {
        rec.status = -1;
        req.socket.destroy();
        return;
      }
      if (fault.error) {
        rec.status = fault.status ?? STATUS[fault.error] ?? 500;
        const extra: Record<string, string> = {};
        if (fault.error === 'rate_limit_exceeded') {
          rate.remaining = 0;
          extra['ratelimit-reset'] = String(Math.floor(Date.now() / 1000) + (fault.resetInS ?? 1));
        }
        send(res, rec.status, errorBody(fault.error, `injected fault: ${fault.error}`), extra);
        if (fault.error === 'rate_limit_exceeded') rate.remaining = rate.limit;
        return;
      }
    }

    if (req.headers.authorization !== `Bearer ${token}`) {
      rec.status = 401;
      return send(res, 401, errorBody('unauthorized', 'unable to authenticate'));
    }
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
        rec.body = body;
      } catch {
        rec.status = 400;
        return send(res, 400, errorBody('json_error', 'invalid JSON'));
      }
    }
    cloud.tick();
    try {
      const answer = dispatch(cloud, method, path, url.searchParams, body);
      rec.status = answer.status;
      if (fault?.dropAfter) {
        req.socket.destroy();
        return;
      }
      send(res, answer.status, answer.body);
    } catch (err) {
      if (!(err instanceof ApiError)) {
        rec.status = 500;
        return send(res, 500, errorBody('server_error', `double bug: ${(err as Error).message}`));
      }
      rec.status = err.status;
      send(res, err.status, errorBody(err.code, err.message, err.details));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, errorBody('server_error', String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    token,
    cloud,
    faults,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
