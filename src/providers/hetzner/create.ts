/**
 * `create` on Hetzner, idempotent and leak-free:
 *  1. a live server labelled for the deployment already exists → return it (a crash
 *     after POST /servers, or a second call with the same key);
 *  2. the deployment's firewall (reused if an earlier attempt made it) opens only the
 *     workload port, or nothing when the machine joins Tailscale;
 *  3. SSH keys for a dev box;
 *  4. POST /servers. If that fails and no server came of it, the firewall and keys made
 *     for the deployment are deleted before the error is rethrown.
 */
import { createHash } from 'node:crypto';
import { ProviderError } from '../errors.js';
import { aloftTags, type CreateOptions, type CreateRequest, type Machine } from '../types.js';
import type { HetznerClient } from './client.js';
import {
  LABEL_IDEMPOTENCY,
  LABEL_PORT,
  LABEL_SERVER,
  deploymentSelector,
  idempotencyLabel,
  resourceName,
  toLabels,
} from './labels.js';
import { toMachine } from './machine.js';
import { userDataField } from '../user-data.js';
import type { HAction, HFirewall, HFirewallRule, HServer, HSshKey } from './wire.js';

export interface CreateContext {
  client: HetznerClient;
  image: string;
  actionWaitMs: number;
}

/** Hetzner's SSH key fingerprint: MD5 of the key blob, colon-separated hex. */
export function sshFingerprint(publicKey: string): string | undefined {
  const blob = publicKey.trim().split(/\s+/)[1];
  if (!blob) return undefined;
  const hex = createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex');
  return hex.match(/../g)!.join(':');
}

const sameKey = (a: string, b: string) => a.trim().split(/\s+/).slice(0, 2).join(' ') === b.trim().split(/\s+/).slice(0, 2).join(' ');

export function inboundRules(req: CreateRequest): HFirewallRule[] {
  if (req.spec.access?.tailscale) return [];
  return [{ direction: 'in', protocol: 'tcp', port: String(req.port), source_ips: ['0.0.0.0/0', '::/0'] }];
}

async function liveServers(client: HetznerClient, selector: string): Promise<HServer[]> {
  const all = await client.listAll<HServer>('/servers', 'servers', { label_selector: selector });
  return all.filter((s) => s.status !== 'deleting');
}

async function ensureFirewall(ctx: CreateContext, req: CreateRequest, selector: string, name: string): Promise<HFirewall> {
  const rules = inboundRules(req);
  const [existing] = await ctx.client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: selector });
  if (existing) {
    const want = JSON.stringify(rules.map((r) => [r.protocol, r.port, r.source_ips]));
    const have = JSON.stringify(existing.rules.filter((r) => r.direction === 'in').map((r) => [r.protocol, r.port, r.source_ips]));
    if (want !== have) {
      const { actions } = await ctx.client.post<{ actions: HAction[] }>(`/firewalls/${existing.id}/actions/set_rules`, { rules });
      for (const a of actions ?? []) await ctx.client.waitAction(a, { timeoutMs: ctx.actionWaitMs });
    }
    return existing;
  }
  const labels = toLabels(aloftTags(req.deploymentId));
  const { firewall } = await ctx.client.post<{ firewall: HFirewall }>('/firewalls', { name: `${name}-fw`, labels, rules });
  return firewall;
}

async function ensureSshKeys(ctx: CreateContext, req: CreateRequest, selector: string, name: string): Promise<number[]> {
  if (req.spec.kind !== 'devbox') return [];
  const mine = await ctx.client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { label_selector: selector });
  const ids: number[] = [];
  for (const [i, publicKey] of req.spec.ssh_keys.entries()) {
    const found = mine.find((k) => sameKey(k.public_key, publicKey));
    if (found) {
      ids.push(found.id);
      continue;
    }
    try {
      const labels = toLabels(aloftTags(req.deploymentId));
      const { ssh_key } = await ctx.client.post<{ ssh_key: HSshKey }>('/ssh_keys', { name: `${name}-key${i}`, public_key: publicKey.trim(), labels });
      ids.push(ssh_key.id);
    } catch (err) {
      // The project already holds this key under the user's own name: use it, never delete it.
      const fingerprint = sshFingerprint(publicKey);
      if (!(err instanceof ProviderError) || err.providerCode !== 'uniqueness_error' || !fingerprint) throw err;
      const [theirs] = await ctx.client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { fingerprint });
      if (!theirs) throw err;
      ids.push(theirs.id);
    }
  }
  return ids;
}

/** Deletes what an attempt made for the deployment before any server existed. Best effort. */
async function cleanupAttempt(ctx: CreateContext, selector: string): Promise<void> {
  const keys = await ctx.client.listAll<HSshKey>('/ssh_keys', 'ssh_keys', { label_selector: selector }).catch(() => []);
  for (const k of keys) await ctx.client.del(`/ssh_keys/${k.id}`).catch(() => undefined);
  const fws = await ctx.client.listAll<HFirewall>('/firewalls', 'firewalls', { label_selector: selector }).catch(() => []);
  for (const f of fws) await ctx.client.del(`/firewalls/${f.id}`).catch(() => undefined);
}

export async function createServer(ctx: CreateContext, req: CreateRequest, opts: CreateOptions): Promise<Machine> {
  const selector = deploymentSelector(req.deploymentId);
  const idem = idempotencyLabel(opts.idempotencyKey);
  const pick = (servers: HServer[]) => servers.find((s) => s.labels[LABEL_IDEMPOTENCY] === idem) ?? servers[0];

  const existing = pick(await liveServers(ctx.client, selector));
  if (existing) return toMachine(existing);

  const name = resourceName(req.name, `${req.deploymentId}:${opts.idempotencyKey}`);
  const labels = toLabels({
    ...req.tags,
    ...aloftTags(req.deploymentId),
    [LABEL_IDEMPOTENCY]: idem,
    [LABEL_PORT]: String(req.port),
  });
  let server: HServer;
  try {
    const firewall = await ensureFirewall(ctx, req, selector, name);
    const sshKeys = await ensureSshKeys(ctx, req, selector, name);
    const body = {
      name,
      server_type: req.offer.instanceType,
      location: req.offer.region,
      image: ctx.image,
      labels,
      firewalls: [{ firewall: firewall.id }],
      public_net: { enable_ipv4: true, enable_ipv6: true },
      start_after_create: true,
      ...(sshKeys.length > 0 ? { ssh_keys: sshKeys.map(String) } : {}),
      // Text, not base64; userDataField only enforces Hetzner's 32 KiB limit here.
      ...(req.userData ? { user_data: userDataField('hetzner', req.userData) } : {}),
    };
    server = (await ctx.client.post<{ server: HServer }>('/servers', body)).server;
    // Marks the firewall with its server, so a `destroy` after the server is gone still finds it.
    await ctx.client
      .put(`/firewalls/${firewall.id}`, { labels: { ...toLabels(aloftTags(req.deploymentId)), [LABEL_SERVER]: String(server.id) } })
      .catch(() => undefined);
  } catch (err) {
    // A timeout or reset may hide a server that was made after all: look before cleaning up.
    if (err instanceof ProviderError && err.retryable) {
      const made = await liveServers(ctx.client, selector).catch(() => undefined);
      const found = made && pick(made);
      if (found) return toMachine(found);
      if (!made) throw err; // cannot tell: leave things for the retry, which reuses them
    }
    await cleanupAttempt(ctx, selector);
    throw err;
  }
  return toMachine(server);
}
