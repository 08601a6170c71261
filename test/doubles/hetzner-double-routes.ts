/**
 * The Hetzner double's endpoints: the subset of API v1 Aloft uses, with the real
 * request checks (required fields, label syntax, unique names, known types and
 * locations, resources in use) and the real answer shapes.
 */
import { createHash } from 'node:crypto';
import { ApiError, type HetznerCloud, type ServerRec } from './hetzner-double-cloud.js';
import { LOCATIONS, SYSTEM_IMAGES, pricing, serverTypes } from './hetzner-double-data.js';
import { parseSelector, type Labels } from './label-selector.js';

export interface Answer {
  status: number;
  body?: unknown;
}
type Body = Record<string, unknown>;

const LABEL_VALUE = /^(|[a-z0-9A-Z]|[a-z0-9A-Z][a-z0-9A-Z._-]{0,61}[a-z0-9A-Z])$/;
const invalid = (msg: string, field?: string) =>
  new ApiError(400, 'invalid_input', `invalid input in field '${field ?? 'body'}'`, field ? { fields: [{ name: field, messages: [msg] }] } : {});

function labelsOf(body: Body): Labels {
  const l = body.labels ?? {};
  if (typeof l !== 'object' || Array.isArray(l) || l === null) throw invalid('must be an object', 'labels');
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'string' || !LABEL_VALUE.test(v) || k.length === 0) throw invalid(`invalid label ${k}`, 'labels');
  }
  return { ...(l as Labels) };
}

function str(body: Body, field: string, required = true): string | undefined {
  const v = body[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw invalid('is required and must be a string', field);
  return v;
}

function uniqueName<T extends { name: string }>(items: Iterable<T>, name: string, what: string): void {
  for (const i of items) if (i.name === name) throw new ApiError(409, 'uniqueness_error', `${what} name is already used`, { fields: [{ name: 'name' }] });
}

/** Filters by label_selector/name/type, then paginates like the API (per_page ≤ 50). */
function page<T extends object>(key: string, items: T[], q: URLSearchParams, toJson: (t: T) => unknown): Answer {
  let list = items;
  const sel = q.get('label_selector');
  if (sel) {
    let match: (l: Labels) => boolean;
    try {
      match = parseSelector(sel);
    } catch (e) {
      throw invalid((e as Error).message, 'label_selector');
    }
    list = list.filter((i) => match((i as { labels?: Labels }).labels ?? {}));
  }
  const name = q.get('name');
  if (name) list = list.filter((i) => (i as { name?: string }).name === name);
  const perPage = Math.min(50, Math.max(1, Number(q.get('per_page') ?? 25) || 25));
  const pageNo = Math.max(1, Number(q.get('page') ?? 1) || 1);
  const last = Math.max(1, Math.ceil(list.length / perPage));
  const slice = list.slice((pageNo - 1) * perPage, pageNo * perPage);
  return {
    status: 200,
    body: {
      [key]: slice.map(toJson),
      meta: {
        pagination: {
          page: pageNo,
          per_page: perPage,
          previous_page: pageNo > 1 ? pageNo - 1 : null,
          next_page: pageNo < last ? pageNo + 1 : null,
          last_page: last,
          total_entries: list.length,
        },
      },
    },
  };
}

const fingerprintOf = (pub: string) => {
  const blob = pub.trim().split(/\s+/)[1];
  if (!blob || !/^ssh-|^ecdsa-/.test(pub.trim())) throw invalid('invalid public key', 'public_key');
  return createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').match(/../g)!.join(':');
};

function createServer(c: HetznerCloud, body: Body): Answer {
  const name = str(body, 'name')!;
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(name)) throw invalid('must be a valid hostname', 'name');
  const labels = labelsOf(body);
  const typeName = str(body, 'server_type')!;
  const type = serverTypes().find((t) => t.name === typeName || String(t.id) === typeName);
  if (!type) throw invalid(`server type ${typeName} not found`, 'server_type');
  const locName = str(body, 'location', false) ?? 'fsn1';
  const location = LOCATIONS.find((l) => l.name === locName);
  if (!location) throw invalid(`location ${locName} not found`, 'location');
  if (type.deprecated) throw new ApiError(412, 'deprecated_server_type', `server type ${type.name} is deprecated`);
  if (!type.locations.some((l) => l.name === location.name)) throw new ApiError(412, 'resource_unavailable', `server type ${type.name} is unavailable in ${location.name}`);
  const imageName = str(body, 'image')!;
  const image = SYSTEM_IMAGES.find((i) => i.name === imageName || String(i.id) === imageName);
  if (!image && !c.images.has(Number(imageName))) throw invalid(`image ${imageName} not found`, 'image');
  const userData = body.user_data;
  if (userData !== undefined && (typeof userData !== 'string' || userData.length > 32 * 1024)) throw invalid('user_data is limited to 32 KiB', 'user_data');
  const firewalls = ((body.firewalls as { firewall: number }[] | undefined) ?? []).map((f) => {
    if (!c.firewalls.has(f?.firewall)) throw invalid(`firewall ${f?.firewall} not found`, 'firewalls');
    return f.firewall;
  });
  const sshKeys = ((body.ssh_keys as string[] | undefined) ?? []).map((k) => {
    const found = [...c.sshKeys.values()].find((s) => String(s.id) === String(k) || s.name === k);
    if (!found) throw invalid(`ssh key ${k} not found`, 'ssh_keys');
    return found.id;
  });
  uniqueName(c.servers.values(), name, 'server');
  const live = [...c.servers.values()].filter((s) => s.status !== 'deleting').length;
  if (c.opts.serverLimit !== undefined && live >= c.opts.serverLimit) {
    throw new ApiError(403, 'resource_limit_exceeded', 'server limit exceeded');
  }
  const id = c.id();
  const s: ServerRec = {
    id,
    name,
    status: 'initializing',
    created: c.now(),
    labels,
    location,
    type,
    image,
    ipv4: c.newIpv4(),
    ipv6: `2001:db8:${id.toString(16)}::/64`,
    userData: userData as string | undefined,
    sshKeys,
    volumes: [],
  };
  c.servers.set(id, s);
  for (const f of firewalls) c.firewalls.get(f)!.servers.push(id);
  const startAfter = body.start_after_create !== false;
  const action = c.action('create_server', [{ id, type: 'server' }], () => {
    s.status = startAfter ? 'running' : 'off';
  });
  return {
    status: 201,
    body: { server: c.serverJson(s), action: c.actionJson(action), next_actions: [], root_password: sshKeys.length ? null : 'YItygq1v3GYjjMomLaKc' },
  };
}

function serverAction(c: HetznerCloud, s: ServerRec, command: string, body: Body): Answer {
  let a;
  switch (command) {
    case 'poweroff':
    case 'shutdown':
      if (s.status === 'off') {
        a = c.action(command === 'poweroff' ? 'stop_server' : 'shutdown_server', [{ id: s.id, type: 'server' }], undefined, 0);
        break;
      }
      a = c.action(command === 'poweroff' ? 'stop_server' : 'shutdown_server', [{ id: s.id, type: 'server' }], () => (s.status = 'off'));
      s.status = 'stopping';
      break;
    case 'poweron':
      if (s.status === 'running') {
        a = c.action('start_server', [{ id: s.id, type: 'server' }], undefined, 0);
        break;
      }
      a = c.action('start_server', [{ id: s.id, type: 'server' }], () => (s.status = 'running'));
      s.status = 'starting';
      break;
    case 'create_image': {
      const type = body.type ?? 'snapshot';
      if (type !== 'snapshot' && type !== 'backup') throw invalid('must be snapshot or backup', 'type');
      const labels = labelsOf(body);
      const img = {
        id: c.id(),
        type: 'snapshot' as const,
        status: 'creating' as const as 'creating' | 'available',
        description: typeof body.description === 'string' ? body.description : `${s.name} snapshot`,
        labels,
        created: c.now(),
        createdFrom: { id: s.id, name: s.name },
        diskSize: s.type.disk,
        imageSize: null as number | null,
      };
      c.images.set(img.id, img);
      a = c.action('create_image', [{ id: s.id, type: 'server' }, { id: img.id, type: 'image' }], () => {
        img.status = 'available';
        img.imageSize = 1.2;
      });
      return { status: 201, body: { image: c.imageJson(img), action: c.actionJson(a) } };
    }
    default:
      throw new ApiError(404, 'not_found', `action ${command} not found`);
  }
  return { status: 201, body: { action: c.actionJson(a) } };
}

function deleteServer(c: HetznerCloud, s: ServerRec): Answer {
  s.status = 'deleting';
  const a = c.action('delete_server', [{ id: s.id, type: 'server' }], () => {
    c.servers.delete(s.id);
    for (const f of c.firewalls.values()) f.servers = f.servers.filter((id) => id !== s.id);
    for (const v of c.volumes.values()) if (v.server === s.id) v.server = null;
  }, c.opts.actionMs, true);
  return { status: 200, body: { action: c.actionJson(a) } };
}

export { createServer, serverAction, deleteServer, labelsOf, str, uniqueName, page, fingerprintOf, invalid };
export const catalog = { serverTypes, pricing, LOCATIONS };
