/**
 * A local double of EC2 (Query API, 2016-11-15) and SSM (JSON 1.1, GetParameter only) on one
 * node:http server at 127.0.0.1:0. Every request must carry a valid SigV4 signature for a
 * known key; the region comes from the signature's credential scope, as on AWS.
 *
 * Faults on demand (`inject`): latency, throttling (RequestLimitExceeded), 5xx, no capacity
 * (InsufficientInstanceCapacity), dropped connections, or any EC2 error code, optionally only
 * for some actions or requests, for a number of times.
 *
 * Use: const d = await startEc2Double(); ...; await d.close();
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type SigV4Key } from './aws-sigv4.js';
import { Ec2World, type Timing } from './ec2-double-state.js';
import * as inst from './ec2-double-instances.js';
import * as res from './ec2-double-resources.js';
import * as ebs from './ec2-double-storage.js';
import { Ec2Fault, EC2_VERSION, parseQuery, type QueryObject, xmlError, xmlResponse } from './ec2-wire.js';

const ACTIONS: Record<string, inst.Handler> = {
  RunInstances: inst.runInstances,
  DescribeInstances: inst.describeInstances,
  StartInstances: inst.startInstances,
  StopInstances: inst.stopInstances,
  TerminateInstances: inst.terminateInstances,
  GetConsoleOutput: inst.getConsoleOutput,
  CreateSecurityGroup: res.createSecurityGroup,
  DescribeSecurityGroups: res.describeSecurityGroups,
  AuthorizeSecurityGroupIngress: res.authorizeSecurityGroupIngress,
  RevokeSecurityGroupIngress: res.revokeSecurityGroupIngress,
  DeleteSecurityGroup: res.deleteSecurityGroup,
  CreateVolume: ebs.createVolume,
  DescribeVolumes: ebs.describeVolumes,
  AttachVolume: ebs.attachVolume,
  DetachVolume: ebs.detachVolume,
  DeleteVolume: ebs.deleteVolume,
  CreateSnapshot: ebs.createSnapshot,
  DescribeSnapshots: ebs.describeSnapshots,
  DeleteSnapshot: ebs.deleteSnapshot,
  DescribeImages: res.describeImages,
  CreateTags: res.createTags,
  DescribeAccountAttributes: res.describeAccountAttributes,
  DescribeAvailabilityZones: res.describeAvailabilityZones,
};

/**
 * drop: the connection is cut before the request is handled; drop-after: the request IS
 * handled, then the connection is cut (the client never learns that it worked).
 */
export type FaultKind = 'latency' | 'throttle' | '5xx' | 'capacity' | 'drop' | 'drop-after' | 'error';
export interface Fault {
  kind: FaultKind;
  /** Only for these actions (EC2 Action or SSM operation name). */
  action?: string | string[];
  /** Only for requests this accepts (parsed EC2 params or SSM JSON body). */
  match?: (params: QueryObject | Record<string, unknown>) => boolean;
  /** How many matching requests it hits (default 1; Infinity for always). */
  times?: number;
  /** latency: delay before answering normally. */
  ms?: number;
  /** latency: handle the request first, then hold the answer (the work is done, the caller waits). */
  afterHandling?: boolean;
  /** error: the EC2 code, message and HTTP status. */
  code?: string;
  message?: string;
  status?: number;
  /** Sent as a Retry-After header with throttle/error faults. */
  retryAfterSeconds?: number;
}

export interface RecordedRequest {
  service: 'ec2' | 'ssm';
  action: string;
  region: string;
  params: QueryObject | Record<string, unknown>;
  at: number;
}

export interface RecordedResponse {
  service: 'ec2' | 'ssm';
  action: string;
  status: number;
  body: string;
}

export interface Ec2DoubleOptions {
  keys?: SigV4Key[];
  timing?: Partial<Timing>;
  /** The public IPv4 given to each running instance (default: from 203.0.113.0/24, TEST-NET-3). */
  publicIp?: () => string;
}

export interface Ec2Double {
  url: string;
  world: Ec2World;
  requests: RecordedRequest[];
  /** Every answer sent, with its body (for checking the double's output against the API). */
  responses: RecordedResponse[];
  inject(f: Fault): void;
  clearFaults(): void;
  /** The requests for one action, newest last. */
  calls(action: string): RecordedRequest[];
  close(): Promise<void>;
}

export const TEST_KEY: SigV4Key = { accessKeyId: 'AKIAALOFTTESTKEY0001', secretAccessKey: 'aloft-test-secret/0123456789abcdefghijklmnop' };

const CANNED: Record<Exclude<FaultKind, 'latency' | 'drop' | 'drop-after' | 'error'>, [string, string, number]> = {
  throttle: ['RequestLimitExceeded', 'Request limit exceeded.', 503],
  '5xx': ['InternalError', 'An internal error has occurred', 500],
  capacity: ['InsufficientInstanceCapacity', 'We currently do not have sufficient capacity in the Availability Zone you requested.', 500],
};

export async function startEc2Double(opts: Ec2DoubleOptions = {}): Promise<Ec2Double> {
  const keys = opts.keys ?? [TEST_KEY];
  let ipn = 0;
  const world = new Ec2World(
    { pendingMs: 150, stoppingMs: 150, shuttingDownMs: 200, volumeMs: 50, snapshotMs: 100, terminatedVisibleMs: 60 * 60_000, ...opts.timing },
    opts.publicIp ?? (() => `203.0.113.${(ipn++ % 250) + 2}`),
  );
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const responses: RecordedResponse[] = [];
  // Injected delays end early when the double closes, so no timer outlives a test.
  const closing = new AbortController();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      closing.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  /** The first live fault for this request, consuming one of its uses. */
  function takeFault(action: string, params: QueryObject | Record<string, unknown>, kinds: FaultKind[], afterHandling = false): Fault | undefined {
    const f = faults.find((x) => {
      if (!kinds.includes(x.kind) || (x.times ?? 1) <= 0 || Boolean(x.afterHandling) !== afterHandling) return false;
      const acts = x.action === undefined ? undefined : Array.isArray(x.action) ? x.action : [x.action];
      if (acts && !acts.includes(action)) return false;
      return !x.match || x.match(params);
    });
    if (f) f.times = (f.times ?? 1) - 1;
    return f;
  }

  const server = http.createServer((req, resp) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, resp, Buffer.concat(chunks)).catch((err) => {
        resp.writeHead(500, { 'content-type': 'text/xml' }).end(xmlError('InternalError', String(err)));
      });
    });
  });

  async function handle(req: http.IncomingMessage, resp: http.ServerResponse, body: Buffer): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const isSsm = target.startsWith('AmazonSSM.');
    let action: string;
    let params: QueryObject | Record<string, unknown>;
    try {
      if (isSsm) {
        action = target.slice('AmazonSSM.'.length);
        params = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } else {
        params = parseQuery(body.toString('utf8'));
        action = typeof params.Action === 'string' ? params.Action : '';
      }
    } catch {
      return sendError(resp, isSsm, 'MalformedQueryString', 'The request could not be parsed', 400, '?');
    }

    const auth = await verifySigV4({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers }, body, keys);
    if (!auth.ok) return sendError(resp, isSsm, isSsm ? 'UnrecognizedClientException' : 'AuthFailure', auth.message, 401, action);
    if (auth.service !== (isSsm ? 'ssm' : 'ec2')) return sendError(resp, isSsm, 'AuthFailure', `Credential should be scoped to correct service: '${isSsm ? 'ssm' : 'ec2'}'.`, 401, action);
    const region = auth.region;
    requests.push({ service: isSsm ? 'ssm' : 'ec2', action, region, params, at: Date.now() });

    const slow = takeFault(action, params, ['latency'], false);
    if (slow) await pause(slow.ms ?? 1000);
    if (takeFault(action, params, ['drop'])) {
      req.socket.destroy();
      return;
    }
    const bad = takeFault(action, params, ['throttle', '5xx', 'capacity', 'error']);
    if (bad) {
      const [code, message, status] = bad.kind === 'error' ? [bad.code ?? 'InternalError', bad.message ?? 'injected', bad.status ?? 400] : CANNED[bad.kind as 'throttle'];
      if (bad.retryAfterSeconds !== undefined) resp.setHeader('retry-after', String(bad.retryAfterSeconds));
      return sendError(resp, isSsm, isSsm && bad.kind === 'throttle' ? 'ThrottlingException' : code, message, status, action);
    }

    world.seedRegion(region);
    world.tick();
    if (isSsm) return ssm(resp, region, action, params as Record<string, unknown>);

    const p = params as QueryObject;
    if (p.Version !== EC2_VERSION) return sendError(resp, false, 'InvalidParameterValue', `Unsupported API version ${String(p.Version)}`, 400, action);
    const handler = ACTIONS[action];
    if (!handler) return sendError(resp, false, 'InvalidAction', `The action ${action} is not valid for this web service.`, 400, action);
    const cutAfter = takeFault(action, params, ['drop-after']);
    try {
      const out = handler(world, region, p);
      if (cutAfter) return void req.socket.destroy();
      const hold = takeFault(action, params, ['latency'], true);
      if (hold) await pause(hold.ms ?? 1000);
      const xml = xmlResponse(action, out);
      responses.push({ service: 'ec2', action, status: 200, body: xml });
      resp.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml);
    } catch (err) {
      if (err instanceof Ec2Fault) return sendError(resp, false, err.code, err.message, err.status, action);
      throw err;
    }
  }

  function ssm(resp: http.ServerResponse, region: string, action: string, body: Record<string, unknown>): void {
    if (action !== 'GetParameter') return sendError(resp, true, 'UnknownOperationException', `Unknown operation ${action}`, 400, action);
    const name = typeof body.Name === 'string' ? body.Name : '';
    const value = world.parameters.get(`${region} ${name}`);
    if (value === undefined) return sendError(resp, true, 'ParameterNotFound', '', 400, action);
    const Parameter = {
      Name: name,
      Type: 'String',
      Value: value,
      Version: 1,
      LastModifiedDate: Date.parse('2026-03-01T10:00:00Z') / 1000,
      ARN: `arn:aws:ssm:${region}::parameter${name}`,
      DataType: 'aws:ec2:image',
    };
    const out = JSON.stringify({ Parameter });
    responses.push({ service: 'ssm', action, status: 200, body: out });
    resp.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(out);
  }

  function sendError(resp: http.ServerResponse, isSsm: boolean, code: string, message: string, status: number, action: string): void {
    const body = isSsm ? JSON.stringify({ __type: code, message }) : xmlError(code, message);
    responses.push({ service: isSsm ? 'ssm' : 'ec2', action, status, body });
    if (isSsm) resp.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code }).end(body);
    else resp.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    world,
    requests,
    responses,
    inject: (f) => void faults.push({ times: 1, ...f }),
    clearFaults: () => void faults.splice(0),
    calls: (action) => requests.filter((r) => r.action === action),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
