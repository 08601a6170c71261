/**
 * Routes one request of the Hetzner double to its handler: servers (in
 * hetzner-double-routes.ts), firewalls, SSH keys, volumes, images, actions and the
 * read-only catalog endpoints.
 */
import { ApiError, type FirewallRec, type HetznerCloud, type VolumeRec } from './hetzner-double-cloud.js';
import { LOCATIONS, pricing, serverTypes } from './hetzner-double-data.js';
import { createServer, deleteServer, fingerprintOf, invalid, labelsOf, page, serverAction, str, uniqueName, type Answer } from './hetzner-double-routes.js';

type Body = Record<string, unknown>;

function rulesOf(body: Body): FirewallRec['rules'] {
  const rules = body.rules ?? [];
  if (!Array.isArray(rules) || rules.length > 50) throw invalid('must be an array of at most 50 rules', 'rules');
  return rules.map((r: Record<string, unknown>) => {
    if (r.direction !== 'in' && r.direction !== 'out') throw invalid('direction must be in or out', 'rules');
    if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(r.protocol as string)) throw invalid('unknown protocol', 'rules');
    const port = (r.port as string | null | undefined) ?? null;
    if ((r.protocol === 'tcp' || r.protocol === 'udp') && (typeof port !== 'string' || !/^(\d+(-\d+)?|any)$/.test(port))) throw invalid('port is required for tcp/udp', 'rules');
    const src = (r.source_ips as string[] | undefined) ?? [];
    if (r.direction === 'in' && src.length === 0) throw invalid('source_ips is required for inbound rules', 'rules');
    return { direction: r.direction, protocol: r.protocol as string, port, source_ips: src, destination_ips: (r.destination_ips as string[] | undefined) ?? [], description: (r.description as string | undefined) ?? null };
  });
}

function applyTargets(c: HetznerCloud, list: unknown, field: string): number[] {
  if (!Array.isArray(list)) throw invalid('must be an array', field);
  return list.map((t: { type?: string; server?: { id?: number } }) => {
    if (t.type !== 'server' || typeof t.server?.id !== 'number') throw invalid('only server targets are supported by the double', field);
    c.findServer(t.server.id);
    return t.server.id;
  });
}

const notFound = (what: string, id: number) => new ApiError(404, 'not_found', `${what} with ID '${id}' not found`);

function firewalls(c: HetznerCloud, method: string, parts: string[], q: URLSearchParams, body: Body): Answer {
  if (parts.length === 1 && method === 'GET') return page('firewalls', [...c.firewalls.values()], q, (f) => c.firewallJson(f));
  if (parts.length === 1 && method === 'POST') {
    const name = str(body, 'name')!;
    uniqueName(c.firewalls.values(), name, 'firewall');
    const f: FirewallRec = { id: c.id(), name, labels: labelsOf(body), created: c.now(), rules: rulesOf(body), servers: [] };
    const targets = body.apply_to === undefined ? [] : applyTargets(c, body.apply_to, 'apply_to');
    c.firewalls.set(f.id, f);
    const actions = targets.map((sid) => c.action('apply_firewall', [{ id: f.id, type: 'firewall' }, { id: sid, type: 'server' }], () => f.servers.push(sid), undefined, true));
    return { status: 201, body: { firewall: c.firewallJson(f), actions: actions.map((a) => c.actionJson(a)) } };
  }
  const f = c.firewalls.get(Number(parts[1]));
  if (!f) throw notFound('firewall', Number(parts[1]));
  if (parts.length === 2 && method === 'GET') return { status: 200, body: { firewall: c.firewallJson(f) } };
  if (parts.length === 2 && method === 'PUT') {
    if (body.name !== undefined) f.name = str(body, 'name')!;
    if (body.labels !== undefined) f.labels = labelsOf(body);
    return { status: 200, body: { firewall: c.firewallJson(f) } };
  }
  if (parts.length === 2 && method === 'DELETE') {
    if (f.servers.length > 0) throw new ApiError(422, 'resource_in_use', 'firewall is still applied to a resource');
    c.firewalls.delete(f.id);
    return { status: 204 };
  }
  if (parts[2] === 'actions' && method === 'POST') {
    const fwRes = { id: f.id, type: 'firewall' };
    if (parts[3] === 'set_rules') {
      if (!Array.isArray(body.rules)) throw invalid('is required', 'rules');
      f.rules = rulesOf(body);
      const actions = [c.action('set_firewall_rules', [fwRes]), ...f.servers.map((sid) => c.action('apply_firewall', [fwRes, { id: sid, type: 'server' }], undefined, undefined, true))];
      return { status: 201, body: { actions: actions.map((a) => c.actionJson(a)) } };
    }
    if (parts[3] === 'apply_to_resources') {
      const targets = applyTargets(c, body.apply_to, 'apply_to');
      for (const sid of targets) if (f.servers.includes(sid)) throw new ApiError(422, 'firewall_already_applied', 'firewall already applied');
      const actions = targets.map((sid) => c.action('apply_firewall', [fwRes, { id: sid, type: 'server' }], () => f.servers.push(sid), undefined, true));
      return { status: 201, body: { actions: actions.map((a) => c.actionJson(a)) } };
    }
    if (parts[3] === 'remove_from_resources') {
      const targets = applyTargets(c, body.remove_from, 'remove_from');
      const actions = targets.map((sid) => c.action('remove_firewall', [fwRes, { id: sid, type: 'server' }], () => (f.servers = f.servers.filter((x) => x !== sid)), undefined, true));
      return { status: 201, body: { actions: actions.map((a) => c.actionJson(a)) } };
    }
  }
  throw new ApiError(404, 'not_found', 'not found');
}

function sshKeys(c: HetznerCloud, method: string, parts: string[], q: URLSearchParams, body: Body): Answer {
  if (parts.length === 1 && method === 'GET') {
    const fp = q.get('fingerprint');
    return page('ssh_keys', [...c.sshKeys.values()].filter((k) => !fp || k.fingerprint === fp), q, (k) => c.sshKeyJson(k));
  }
  if (parts.length === 1 && method === 'POST') {
    const name = str(body, 'name')!;
    const publicKey = str(body, 'public_key')!;
    const fingerprint = fingerprintOf(publicKey);
    uniqueName(c.sshKeys.values(), name, 'SSH key');
    if ([...c.sshKeys.values()].some((k) => k.fingerprint === fingerprint)) throw new ApiError(409, 'uniqueness_error', 'SSH key with the same fingerprint already exists', { fields: [{ name: 'public_key' }] });
    const k = { id: c.id(), name, public_key: publicKey, fingerprint, labels: labelsOf(body), created: c.now() };
    c.sshKeys.set(k.id, k);
    return { status: 201, body: { ssh_key: c.sshKeyJson(k) } };
  }
  const k = c.sshKeys.get(Number(parts[1]));
  if (!k) throw notFound('ssh_key', Number(parts[1]));
  if (method === 'GET') return { status: 200, body: { ssh_key: c.sshKeyJson(k) } };
  if (method === 'DELETE') {
    c.sshKeys.delete(k.id);
    return { status: 204 };
  }
  throw new ApiError(404, 'not_found', 'not found');
}

function volumes(c: HetznerCloud, method: string, parts: string[], q: URLSearchParams, body: Body): Answer {
  const attach = (vol: VolumeRec, sid: number) => {
    vol.server = sid;
    c.servers.get(sid)?.volumes.push(vol.id);
  };
  if (parts.length === 1 && method === 'GET') return page('volumes', [...c.volumes.values()], q, (v) => c.volumeJson(v));
  if (parts.length === 1 && method === 'POST') {
    const name = str(body, 'name')!;
    const size = body.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 10 || size > 10240) throw invalid('size must be 10..10240 GB', 'size');
    const serverId = body.server as number | undefined;
    const server = serverId === undefined ? undefined : c.findServer(serverId);
    const locName = server?.location.name ?? str(body, 'location', false);
    const location = LOCATIONS.find((l) => l.name === locName);
    if (!location) throw invalid('location or server is required', 'location');
    uniqueName(c.volumes.values(), name, 'volume');
    const v: VolumeRec = { id: c.id(), name, size, server: null, status: 'creating', labels: labelsOf(body), location, format: (body.format as string | undefined) ?? null, created: c.now() };
    c.volumes.set(v.id, v);
    const action = c.action('create_volume', [{ id: v.id, type: 'volume' }], () => (v.status = 'available'));
    const next = server ? [c.action('attach_volume', [{ id: v.id, type: 'volume' }, { id: server.id, type: 'server' }], () => attach(v, server.id))] : [];
    return { status: 201, body: { volume: c.volumeJson(v), action: c.actionJson(action), next_actions: next.map((a) => c.actionJson(a)) } };
  }
  const v = c.volumes.get(Number(parts[1]));
  if (!v) throw notFound('volume', Number(parts[1]));
  if (parts.length === 2 && method === 'GET') return { status: 200, body: { volume: c.volumeJson(v) } };
  if (parts.length === 2 && method === 'DELETE') {
    if (v.server !== null) throw new ApiError(423, 'locked', 'volume is attached to a server');
    c.volumes.delete(v.id);
    return { status: 204 };
  }
  if (parts[2] === 'actions' && parts[3] === 'attach' && method === 'POST') {
    const s = c.findServer(Number(body.server));
    if (v.server !== null) throw new ApiError(422, 'volume_already_attached', 'volume is already attached');
    if (s.location.name !== v.location.name) throw invalid('volume and server must be in the same location', 'server');
    const a = c.action('attach_volume', [{ id: v.id, type: 'volume' }, { id: s.id, type: 'server' }], () => attach(v, s.id));
    return { status: 201, body: { action: c.actionJson(a) } };
  }
  if (parts[2] === 'actions' && parts[3] === 'detach' && method === 'POST') {
    const sid = v.server;
    const res = [{ id: v.id, type: 'volume' }, ...(sid === null ? [] : [{ id: sid, type: 'server' }])];
    const a = c.action('detach_volume', res, () => {
      v.server = null;
      const s = sid === null ? undefined : c.servers.get(sid);
      if (s) s.volumes = s.volumes.filter((x) => x !== v.id);
    });
    return { status: 201, body: { action: c.actionJson(a) } };
  }
  throw new ApiError(404, 'not_found', 'not found');
}

export function dispatch(c: HetznerCloud, method: string, path: string, q: URLSearchParams, body: Body): Answer {
  const parts = path.split('/').filter(Boolean);
  const [root, id] = parts;
  switch (root) {
    case 'servers': {
      if (parts.length === 1 && method === 'GET') {
        const statuses = q.getAll('status');
        const items = [...c.servers.values()].filter((s) => statuses.length === 0 || statuses.includes(s.status));
        return page('servers', items, q, (s) => c.serverJson(s));
      }
      if (parts.length === 1 && method === 'POST') return createServer(c, body);
      const s = c.findServer(Number(id));
      if (parts.length === 2 && method === 'GET') return { status: 200, body: { server: c.serverJson(s) } };
      if (parts.length === 2 && method === 'DELETE') return deleteServer(c, s);
      if (parts[2] === 'actions' && parts[3] && method === 'POST') return serverAction(c, s, parts[3], body);
      break;
    }
    case 'actions': {
      if (parts.length === 2 && method === 'GET') {
        const a = c.actions.get(Number(id));
        if (!a) throw notFound('action', Number(id));
        return { status: 200, body: { action: c.actionJson(a) } };
      }
      break;
    }
    case 'firewalls':
      return firewalls(c, method, parts, q, body);
    case 'ssh_keys':
      return sshKeys(c, method, parts, q, body);
    case 'volumes':
      return volumes(c, method, parts, q, body);
    case 'images': {
      if (parts.length === 1 && method === 'GET') {
        const types = q.getAll('type');
        const items = [...c.images.values()].filter((i) => types.length === 0 || types.includes(i.type));
        return page('images', items, q, (i) => c.imageJson(i));
      }
      const img = c.images.get(Number(id));
      if (!img) throw notFound('image', Number(id));
      if (parts.length === 2 && method === 'GET') return { status: 200, body: { image: c.imageJson(img) } };
      if (parts.length === 2 && method === 'DELETE') {
        c.images.delete(img.id);
        return { status: 204 };
      }
      break;
    }
    case 'server_types':
      if (method === 'GET' && parts.length === 1) return page('server_types', serverTypes(), q, (t) => t);
      break;
    case 'locations':
      if (method === 'GET' && parts.length === 1) return page('locations', LOCATIONS, q, (l) => l);
      break;
    case 'pricing':
      if (method === 'GET' && parts.length === 1) return { status: 200, body: { pricing: pricing() } };
      break;
  }
  throw new ApiError(404, 'not_found', `${method} ${path} is not served by the Hetzner double`);
}
