/**
 * The per-deployment security group: found by name (Exoscale security groups carry no
 * labels), created with only the rules Aloft asks for, reconciled rule by rule, and
 * deleted with the deployment.
 */
import { NotFoundError, TransientError } from '../errors.js';
import type { FirewallRule } from '../types.js';
import type { ExoscaleClient } from './client.js';
import { securityGroupName } from './machine.js';
import type { ExoSecurityGroup, ExoSecurityGroupRule } from './wire.js';

const RULE_DESCRIPTION = 'aloft';

export async function findSecurityGroup(c: ExoscaleClient, deploymentId: string): Promise<ExoSecurityGroup | undefined> {
  const name = securityGroupName(deploymentId);
  const res = await c.request<{ 'security-groups'?: ExoSecurityGroup[] }>('GET', '/security-group', { query: { visibility: 'private' } });
  return (res['security-groups'] ?? []).find((g) => g.name === name);
}

/** Returns the group's id and whether this call created it. */
export async function ensureSecurityGroup(c: ExoscaleClient, deploymentId: string): Promise<{ id: string; created: boolean }> {
  const existing = await findSecurityGroup(c, deploymentId);
  if (existing) return { id: existing.id, created: false };
  const id = await c.mutate('POST', '/security-group', {
    body: { name: securityGroupName(deploymentId), description: `Aloft deployment ${deploymentId}`.slice(0, 255) },
  });
  if (!id) throw new TransientError('Exoscale: security group operation returned no reference');
  return { id, created: true };
}

/** One Exoscale rule per CIDR: a rule holds a single network. */
function wanted(rules: FirewallRule[]): { protocol: string; port: number; network: string }[] {
  const out = new Map<string, { protocol: string; port: number; network: string }>();
  for (const r of rules) for (const network of r.cidrs) out.set(`${r.protocol}/${r.port}/${network}`, { protocol: r.protocol, port: r.port, network });
  return [...out.values()];
}

const ruleKey = (r: ExoSecurityGroupRule) => `${r.protocol}/${r['start-port']}/${r.network}`;

/** Makes the group's ingress rules exactly `rules` (egress is left open, as Exoscale's default). */
export async function setRules(c: ExoscaleClient, groupId: string, rules: FirewallRule[]): Promise<void> {
  const group = await c.request<ExoSecurityGroup>('GET', `/security-group/${groupId}`);
  const current = (group.rules ?? []).filter((r) => r['flow-direction'] === 'ingress');
  const desired = wanted(rules);
  const desiredKeys = new Set(desired.map((d) => `${d.protocol}/${d.port}/${d.network}`));
  for (const r of current) {
    const single = r['start-port'] === r['end-port'];
    if (!single || !desiredKeys.has(ruleKey(r))) await c.mutate('DELETE', `/security-group/${groupId}/rules/${r.id}`);
  }
  const have = new Set(current.filter((r) => r['start-port'] === r['end-port']).map(ruleKey));
  for (const d of desired) {
    if (have.has(`${d.protocol}/${d.port}/${d.network}`)) continue;
    await c.mutate('POST', `/security-group/${groupId}/rules`, {
      body: {
        'flow-direction': 'ingress',
        protocol: d.protocol,
        network: d.network,
        'start-port': d.port,
        'end-port': d.port,
        description: RULE_DESCRIPTION,
      },
    });
  }
}

export async function deleteSecurityGroup(c: ExoscaleClient, groupId: string): Promise<void> {
  try {
    await c.mutate('DELETE', `/security-group/${groupId}`);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/** The rules a deployment's machine needs: its one port, or nothing behind Tailscale. */
export function defaultRules(port: number, tailscale: boolean): FirewallRule[] {
  if (tailscale) return [];
  return [{ protocol: 'tcp', port, cidrs: ['0.0.0.0/0', '::/0'] }];
}
