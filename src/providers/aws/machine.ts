/**
 * EC2 instances as Aloft machines: state mapping, endpoint, the ClientToken, and lookups by
 * tag (paginated; terminated instances excluded unless asked for).
 */
import { createHash } from 'node:crypto';
import { DescribeInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { NotFoundError } from '../errors.js';
import { TAG_DEPLOYMENT, TAG_MANAGED, type Machine, type MachineState } from '../types.js';
import { aws, type AwsClients } from './client.js';

export const PROVIDER = 'aws';
/** Instance tag holding the port the endpoint uses (EC2 has no other place to keep it). */
export const TAG_PORT = 'aloft-port';
/** Every EC2 state except terminated: what "still exists" means. */
export const LIVE_STATES = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

/**
 * EC2 → Aloft states. `shutting-down` is reported as `stopping` (it is on its way out, not
 * gone); `details.awsState` keeps the exact EC2 state for whoever needs the difference.
 */
export function mapState(ec2State: string | undefined): MachineState {
  switch (ec2State) {
    case 'pending':
      return 'pending';
    case 'running':
      return 'running';
    case 'stopping':
    case 'shutting-down':
      return 'stopping';
    case 'stopped':
      return 'stopped';
    case 'terminated':
      return 'terminated';
    default:
      return 'unknown';
  }
}

/** EC2 ClientTokens are at most 64 ASCII characters; longer keys are hashed (64 hex chars). */
export function clientToken(idempotencyKey: string): string {
  return idempotencyKey.length <= 64 && /^[\x20-\x7e]+$/.test(idempotencyKey)
    ? idempotencyKey
    : createHash('sha256').update(idempotencyKey).digest('hex');
}

export const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? '']));

export function toMachine(i: Instance, region: string): Machine {
  const tags = tagsOf(i.Tags);
  const state = mapState(i.State?.Name);
  const port = Number(tags[TAG_PORT]);
  const endpoint = state === 'running' && i.PublicIpAddress && port > 0 ? `http://${i.PublicIpAddress}:${port}` : undefined;
  return {
    provider: PROVIDER,
    id: i.InstanceId!,
    region,
    instanceType: i.InstanceType ?? 'unknown',
    state,
    stateReason: i.State?.Name === 'shutting-down' ? 'shutting-down' : i.StateReason?.Message || undefined,
    publicIp: i.PublicIpAddress || undefined,
    privateIp: i.PrivateIpAddress || undefined,
    endpoint,
    tags,
    createdAt: i.LaunchTime ? i.LaunchTime.getTime() : 0,
    details: {
      awsState: i.State?.Name,
      availabilityZone: i.Placement?.AvailabilityZone,
      imageId: i.ImageId,
      securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId),
      volumeIds: (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId).filter(Boolean),
      rootDevice: i.RootDeviceName,
      spot: i.InstanceLifecycle === 'spot',
      httpTokens: i.MetadataOptions?.HttpTokens,
    },
  };
}

/** All instances matching the filters, following NextToken. */
export async function describeAll(clients: AwsClients, region: string, Filters: Filter[], pageSize = 200): Promise<Instance[]> {
  const out: Instance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await aws('describe instances', () =>
      clients.ec2(region).send(new DescribeInstancesCommand({ Filters, MaxResults: Math.max(5, Math.min(1000, pageSize)), NextToken })),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    NextToken = page.NextToken || undefined;
  } while (NextToken);
  return out;
}

/** Aloft's instances in a region, optionally of one deployment; terminated ones left out. */
export function findTagged(clients: AwsClients, region: string, deploymentId?: string, pageSize?: number): Promise<Instance[]> {
  const filters: Filter[] = [
    { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
    { Name: 'instance-state-name', Values: LIVE_STATES },
  ];
  if (deploymentId) filters.push({ Name: `tag:${TAG_DEPLOYMENT}`, Values: [deploymentId] });
  return describeAll(clients, region, filters, pageSize);
}

/** One instance by id; NotFoundError when EC2 no longer knows it. */
export async function describeOne(clients: AwsClients, region: string, id: string): Promise<Instance> {
  const out = await aws(`describe instance ${id}`, () => clients.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [id] })));
  const i = out.Reservations?.[0]?.Instances?.[0];
  if (!i) throw new NotFoundError(`aws: instance ${id} not found in ${region}`, { providerCode: 'InvalidInstanceID.NotFound' });
  return i;
}

/** x86_64 unless the instance family is a Graviton one (m7g, c7gn, t4g, g5g, im4gn, …). */
export function archOfType(instanceType: string): 'x86_64' | 'arm64' {
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+g/.test(family) ? 'arm64' : 'x86_64';
}
