/**
 * Route handlers of the Exoscale API double (paths relative to /v2). Each returns the
 * JSON the real API returns — mutations answer with an async operation — and validates
 * what the real API would refuse (unknown ids, missing fields, resources in use).
 */
import { randomUUID } from 'node:crypto';
import { INSTANCE_TYPES, TEMPLATES, type DoubleState, type Json } from './exoscale-double-state.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Ctx {
  s: DoubleState;
  params: string[];
  body: Json;
  query: URLSearchParams;
  /** Consumes a one-shot fault of this kind for this request, if one is armed. */
  takeFault(kind: 'capacity' | 'quota'): boolean;
}

type Handler = (c: Ctx) => Json;

const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new HttpError(404, `${what} not found`);
  return v;
};
const bad = (msg: string): never => {
  throw new HttpError(400, msg);
};

function createInstance(c: Ctx): Json {
  const { s, body } = c;
  const type = s.typeById(String((body['instance-type'] as Json | undefined)?.id ?? '')) ?? bad('invalid instance-type');
  const template = TEMPLATES.find((t) => t.id === (body.template as Json | undefined)?.id) ?? bad('invalid template');
  const disk = body['disk-size'];
  if (typeof disk !== 'number' || disk < 10 || disk > 51200) bad('disk-size must be between 10 and 51200');
  const groups = ((body['security-groups'] as Json[] | undefined) ?? []).map((g) => String(g.id));
  for (const g of groups) if (!s.securityGroups.has(g)) bad(`security group ${g} not found`);
  const userData = body['user-data'];
  if (userData !== undefined) {
    if (typeof userData !== 'string' || userData.length > 32768 || !/^[A-Za-z0-9+/]+={0,2}$/.test(userData)) bad('user-data must be base64, at most 32768 bytes');
  }
  if (type.authorized === false) throw new HttpError(403, `Instance type ${type.family}.${type.size} is not authorized for this organization`);
  if (c.takeFault('quota')) throw new HttpError(403, 'Quota exceeded: instance limit reached (20)');
  const id = randomUUID();
  if (c.takeFault('capacity')) {
    return s.operationJson(s.operation(id, 'create-instance', undefined, { reason: 'unavailable', message: `no capacity available for ${type.family}.${type.size} in zone ${s.zone}` }));
  }
  const name = typeof body.name === 'string' ? body.name : `vm-${id.slice(0, 8)}`;
  // As on Exoscale, the instance is listed at once (starting) while its operation runs.
  s.instances.set(id, {
    id,
    name,
    state: 'starting',
    labels: { ...((body.labels as Record<string, string>) ?? {}) },
    typeId: type.id,
    templateId: template.id,
    securityGroups: groups,
    diskSize: disk as number,
    userData: userData as string | undefined,
    publicIp: s.nextIp(),
    createdAt: new Date().toISOString(),
    transitionAt: s.now() + s.bootMs,
  });
  const op = s.operation(id, 'create-instance');
  return s.operationJson(op);
}

function startStop(c: Ctx, action: 'start' | 'stop'): Json {
  const { s } = c;
  const i = need(s.instances.get(c.params[0]), 'instance');
  const [from, via, to] = action === 'start' ? ['stopped', 'starting', 'running'] : ['running', 'stopping', 'stopped'];
  if (i.state === to) return s.operationJson(s.operation(i.id, `${action}-instance`, undefined, undefined, 0));
  if (i.state !== from) throw new HttpError(409, `instance is ${i.state}, cannot ${action}`);
  i.state = via;
  i.transitionAt = s.now() + s.bootMs;
  return s.operationJson(s.operation(i.id, `${action}-instance`, undefined, undefined, s.bootMs));
}

function deleteInstance(c: Ctx): Json {
  const { s } = c;
  const i = need(s.instances.get(c.params[0]), 'instance');
  i.state = 'destroying';
  i.transitionAt = s.now() + s.opDelayMs;
  return s.operationJson(s.operation(i.id, 'delete-instance'));
}

function addRule(c: Ctx): Json {
  const { s, body } = c;
  const g = need(s.securityGroups.get(c.params[0]), 'security group');
  const dir = body['flow-direction'];
  if (dir !== 'ingress' && dir !== 'egress') bad('flow-direction must be ingress or egress');
  if (!['tcp', 'udp', 'icmp', 'icmpv6', 'esp', 'gre', 'ah', 'ipip'].includes(body.protocol as string)) bad('invalid protocol');
  for (const k of ['start-port', 'end-port']) {
    const v = body[k];
    if (v !== undefined && (typeof v !== 'number' || v < 1 || v > 65535)) bad(`${k} must be between 1 and 65535`);
  }
  const rule = {
    id: randomUUID(),
    'flow-direction': dir as 'ingress' | 'egress',
    protocol: body.protocol as string,
    network: body.network as string | undefined,
    'start-port': body['start-port'] as number | undefined,
    'end-port': body['end-port'] as number | undefined,
    description: body.description as string | undefined,
  };
  return s.operationJson(s.operation(g.id, 'add-rule-to-security-group', () => g.rules.push(rule)));
}

function deleteGroup(c: Ctx): Json {
  const { s } = c;
  const g = need(s.securityGroups.get(c.params[0]), 'security group');
  const user = [...s.instances.values()].find((i) => i.securityGroups.includes(g.id));
  if (user) throw new HttpError(409, `Security Group ${g.id} is in use by instance ${user.id}`);
  return s.operationJson(s.operation(g.id, 'delete-security-group', () => s.securityGroups.delete(g.id)));
}

function createVolume(c: Ctx): Json {
  const { s, body } = c;
  const size = body.size;
  if (typeof size !== 'number' || size < 1) bad('size must be a positive integer');
  const id = randomUUID();
  const v = { id, name: String(body.name ?? ''), size: size as number, labels: { ...((body.labels as Record<string, string>) ?? {}) }, state: 'creating', createdAt: new Date().toISOString() };
  return s.operationJson(s.operation(id, 'create-block-storage-volume', () => s.volumes.set(id, { ...v, state: 'detached' })));
}

function attachVolume(c: Ctx): Json {
  const { s, body } = c;
  const v = need(s.volumes.get(c.params[0]), 'block storage volume');
  const inst = need(s.instances.get(String((body.instance as Json | undefined)?.id ?? '')), 'instance');
  if (v.instanceId) throw new HttpError(409, 'volume is already attached');
  return s.operationJson(s.operation(v.id, 'attach-block-storage-volume', () => Object.assign(v, { instanceId: inst.id, state: 'attached' })));
}

function detachVolume(c: Ctx): Json {
  const { s } = c;
  const v = need(s.volumes.get(c.params[0]), 'block storage volume');
  if (!v.instanceId) throw new HttpError(409, 'volume is not attached');
  return s.operationJson(s.operation(v.id, 'detach-block-storage-volume', () => Object.assign(v, { instanceId: undefined, state: 'detached' })));
}

function createSnapshot(c: Ctx): Json {
  const { s } = c;
  const i = need(s.instances.get(c.params[0]), 'instance');
  const id = randomUUID();
  const snap = { id, name: i.name, instanceId: i.id, size: i.diskSize, state: 'snapshotting', createdAt: new Date().toISOString() };
  s.snapshots.set(id, snap);
  return s.operationJson(s.operation(id, 'create-snapshot', () => (snap.state = 'ready')));
}

const TABLE: [string, RegExp, Handler][] = [
  ['GET', /^\/quota$/, ({ s }) => ({ quotas: s.quotas.map((q) => q.resource === 'instance' ? { ...q, usage: s.instances.size } : q) })],
  ['GET', /^\/instance-type$/, () => ({ 'instance-types': INSTANCE_TYPES })],
  ['GET', /^\/template$/, ({ query }) => ({ templates: TEMPLATES.filter((t) => !query.get('visibility') || t.visibility === query.get('visibility')) })],
  ['GET', /^\/operation\/UUID$/, ({ s, params }) => s.operationJson(need(s.operations.get(params[0]), 'operation'))],
  ['GET', /^\/instance$/, ({ s }) => ({ instances: [...s.instances.values()].map((i) => s.instanceJson(i)) })],
  ['POST', /^\/instance$/, createInstance],
  ['GET', /^\/instance\/UUID$/, ({ s, params }) => s.instanceJson(need(s.instances.get(params[0]), 'instance'))],
  ['DELETE', /^\/instance\/UUID$/, deleteInstance],
  ['PUT', /^\/instance\/UUID:start$/, (c) => startStop(c, 'start')],
  ['PUT', /^\/instance\/UUID:stop$/, (c) => startStop(c, 'stop')],
  ['POST', /^\/instance\/UUID:create-snapshot$/, createSnapshot],
  ['GET', /^\/security-group$/, ({ s }) => ({ 'security-groups': [...s.securityGroups.values()].map((g) => s.groupJson(g)) })],
  [
    'POST',
    /^\/security-group$/,
    ({ s, body }) => {
      if (typeof body.name !== 'string' || !body.name) bad('name is required');
      if ([...s.securityGroups.values()].some((g) => g.name === body.name)) throw new HttpError(409, `a Security Group named ${body.name} already exists`);
      const id = randomUUID();
      const g = { id, name: body.name as string, description: body.description as string | undefined, rules: [] };
      return s.operationJson(s.operation(id, 'create-security-group', () => s.securityGroups.set(id, g)));
    },
  ],
  ['GET', /^\/security-group\/UUID$/, ({ s, params }) => s.groupJson(need(s.securityGroups.get(params[0]), 'security group'))],
  ['DELETE', /^\/security-group\/UUID$/, deleteGroup],
  ['POST', /^\/security-group\/UUID\/rules$/, addRule],
  [
    'DELETE',
    /^\/security-group\/UUID\/rules\/UUID$/,
    ({ s, params }) => {
      const g = need(s.securityGroups.get(params[0]), 'security group');
      need(g.rules.find((r) => r.id === params[1]), 'rule');
      return s.operationJson(s.operation(g.id, 'delete-rule-from-security-group', () => (g.rules = g.rules.filter((r) => r.id !== params[1]))));
    },
  ],
  ['GET', /^\/block-storage$/, ({ s }) => ({ 'block-storage-volumes': [...s.volumes.values()].map((v) => s.volumeJson(v)) })],
  ['POST', /^\/block-storage$/, createVolume],
  ['GET', /^\/block-storage\/UUID$/, ({ s, params }) => s.volumeJson(need(s.volumes.get(params[0]), 'block storage volume'))],
  [
    'DELETE',
    /^\/block-storage\/UUID$/,
    ({ s, params }) => {
      const v = need(s.volumes.get(params[0]), 'block storage volume');
      if (v.instanceId) throw new HttpError(409, 'volume is attached; detach it first');
      return s.operationJson(s.operation(v.id, 'delete-block-storage-volume', () => s.volumes.delete(v.id)));
    },
  ],
  ['PUT', /^\/block-storage\/UUID:attach$/, attachVolume],
  ['PUT', /^\/block-storage\/UUID:detach$/, detachVolume],
  ['GET', /^\/snapshot$/, ({ s }) => ({ snapshots: [...s.snapshots.values()].map((x) => s.snapshotJson(x)) })],
  ['GET', /^\/snapshot\/UUID$/, ({ s, params }) => s.snapshotJson(need(s.snapshots.get(params[0]), 'snapshot'))],
  [
    'DELETE',
    /^\/snapshot\/UUID$/,
    ({ s, params }) => {
      const snap = need(s.snapshots.get(params[0]), 'snapshot');
      snap.state = 'deleting';
      return s.operationJson(s.operation(snap.id, 'delete-snapshot', () => s.snapshots.delete(snap.id)));
    },
  ],
];

/** [method, path pattern (relative to /v2), handler]; UUID in a pattern captures an id. */
export const ROUTES: [string, RegExp, Handler][] = TABLE.map(([m, re, h]) => [m, new RegExp(re.source.replaceAll('UUID', UUID)), h]);
