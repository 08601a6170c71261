/**
 * One security group per deployment, tagged like everything else, opening only the port of
 * the on-host key proxy (nothing with Tailscale). It is deleted once no instance uses it:
 * EC2 refuses (DependencyViolation) while an instance — even a shutting-down one — still
 * holds it, so deletion is retried a bounded number of times and otherwise left for a later
 * `destroy` or the reconciler (SkyPilot leaked exactly these: skypilot-org/skypilot#3688).
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import { isProviderError } from '../errors.js';
import { TAG_DEPLOYMENT, type FirewallRule } from '../types.js';
import { aws, type AwsClients } from './client.js';

export const toAwsTags = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function securityGroupName(deploymentId: string, name: string): string {
  return `aloft-${name}-${deploymentId}`.slice(0, 255);
}

/** The deployment's security groups (normally one), found by tag. */
export async function findSecurityGroups(clients: AwsClients, region: string, deploymentId: string): Promise<SecurityGroup[]> {
  const out = await aws('describe security groups', () =>
    clients.ec2(region).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: `tag:${TAG_DEPLOYMENT}`, Values: [deploymentId] }] })),
  );
  return out.SecurityGroups ?? [];
}

/**
 * The deployment's group: reused when it exists (a retried create after a crash), else created.
 * `created` says whether this call made it, so a failed launch deletes only what it made.
 */
export async function ensureSecurityGroup(
  clients: AwsClients,
  region: string,
  req: { deploymentId: string; name: string; tags: Record<string, string>; rules: FirewallRule[] },
): Promise<{ groupId: string; created: boolean }> {
  const existing = (await findSecurityGroups(clients, region, req.deploymentId))[0];
  if (existing?.GroupId) {
    await applyRules(clients, region, existing.GroupId, req.rules, existing.IpPermissions ?? []);
    return { groupId: existing.GroupId, created: false };
  }
  const groupName = securityGroupName(req.deploymentId, req.name);
  let groupId: string;
  try {
    const out = await aws('create security group', () =>
      clients.ec2(region).send(
        new CreateSecurityGroupCommand({
          GroupName: groupName,
          Description: `Aloft deployment ${req.deploymentId}: key-proxy port only`,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: toAwsTags(req.tags) }],
        }),
      ),
    );
    groupId = out.GroupId!;
  } catch (err) {
    // Tag filters are eventually consistent: a group made a moment ago may be found by name only.
    if (!(isProviderError(err) && err.providerCode === 'InvalidGroup.Duplicate')) throw err;
    const out = await aws('describe security group by name', () =>
      clients.ec2(region).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [groupName] }] })),
    );
    const g = out.SecurityGroups?.[0];
    if (!g?.GroupId) throw err;
    await applyRules(clients, region, g.GroupId, req.rules, g.IpPermissions ?? []);
    return { groupId: g.GroupId, created: false };
  }
  try {
    await applyRules(clients, region, groupId, req.rules, []);
  } catch (err) {
    await deleteSecurityGroup(clients, region, groupId, { attempts: 1 }).catch(() => undefined);
    throw err;
  }
  return { groupId, created: true };
}

const key = (protocol: string, from: number, to: number, cidr: string) => `${protocol}/${from}-${to}/${cidr}`;

function currentRules(perms: IpPermission[]): Map<string, IpPermission> {
  const out = new Map<string, IpPermission>();
  for (const p of perms) {
    for (const r of p.IpRanges ?? []) {
      out.set(key(p.IpProtocol ?? '', p.FromPort ?? -1, p.ToPort ?? -1, r.CidrIp ?? ''), {
        IpProtocol: p.IpProtocol,
        FromPort: p.FromPort,
        ToPort: p.ToPort,
        IpRanges: [{ CidrIp: r.CidrIp }],
      });
    }
  }
  return out;
}

/** Makes the group's ingress exactly `rules`: authorizes what is missing, revokes the rest. */
export async function applyRules(clients: AwsClients, region: string, groupId: string, rules: FirewallRule[], have: IpPermission[]): Promise<void> {
  const current = currentRules(have);
  const wanted = new Map<string, IpPermission>();
  for (const r of rules) {
    for (const cidr of r.cidrs) {
      wanted.set(key(r.protocol, r.port, r.port, cidr), { IpProtocol: r.protocol, FromPort: r.port, ToPort: r.port, IpRanges: [{ CidrIp: cidr, Description: 'aloft' }] });
    }
  }
  const add = [...wanted].filter(([k]) => !current.has(k)).map(([, p]) => p);
  const remove = [...current].filter(([k]) => !wanted.has(k)).map(([, p]) => p);
  if (add.length > 0) {
    await aws('authorize ingress', () => clients.ec2(region).send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: add })));
  }
  if (remove.length > 0) {
    await aws('revoke ingress', () => clients.ec2(region).send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: remove })));
  }
}

export async function setGroupRules(clients: AwsClients, region: string, groupId: string, rules: FirewallRule[]): Promise<void> {
  const out = await aws('describe security group', () => clients.ec2(region).send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })));
  await applyRules(clients, region, groupId, rules, out.SecurityGroups?.[0]?.IpPermissions ?? []);
}

export type DeleteOutcome = 'deleted' | 'gone' | 'in-use';

/**
 * Deletes a group, retrying DependencyViolation `attempts` times `delayMs` apart (an instance
 * that is shutting down lets go of it within a minute or two). 'in-use' when it still could not.
 */
export async function deleteSecurityGroup(
  clients: AwsClients,
  region: string,
  groupId: string,
  opts: { attempts?: number; delayMs?: number } = {},
): Promise<DeleteOutcome> {
  const attempts = Math.max(1, opts.attempts ?? 3);
  for (let n = 1; ; n++) {
    try {
      await aws(`delete security group ${groupId}`, () => clients.ec2(region).send(new DeleteSecurityGroupCommand({ GroupId: groupId })));
      return 'deleted';
    } catch (err) {
      if (isProviderError(err) && err.code === 'not_found') return 'gone';
      if (!(isProviderError(err) && err.providerCode === 'DependencyViolation')) throw err;
      if (n >= attempts) return 'in-use';
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 2000));
    }
  }
}
