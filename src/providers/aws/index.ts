/**
 * The AWS provider (EC2 through the official SDK v3).
 *
 * create: look up a live instance tagged with the deployment first (a retried create after a
 * crash returns it), else resolve the image, ensure the deployment's security group and
 * RunInstances with ClientToken = the idempotency key, tags on the instance AND its root
 * volume, IMDSv2 required, an encrypted gp3 root volume, spot via InstanceMarketOptions.
 * A failed launch deletes the security group it would have used.
 *
 * destroy: TerminateInstances, then the deployment's security group and unkept volumes once
 * nothing uses them. EC2 holds a group until the instance is fully terminated, so one destroy
 * call may leave the group behind; `describe` deletes it when it first sees the instance
 * terminated, so "terminated" means the machine and its firewall are gone. Full removal of a
 * deployment (volumes too) is confirmed by `removeLeftovers(deploymentId)` → [] (see
 * docs/providers.md); `destroy` is idempotent and may be called until then.
 */
import { type _InstanceType, GetConsoleOutputCommand, DescribeAccountAttributesCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { InvalidRequestError, isProviderError, TransientError } from '../errors.js';
import {
  aloftTags,
  TAG_DEPLOYMENT,
  TAG_KEEP,
  TAG_MANAGED,
  type CheckResult,
  type CreateOptions,
  type CreateRequest,
  type FirewallCapable,
  type FirewallRule,
  type Leftover,
  type LeftoverHint,
  type LeftoversCapable,
  type ListFilter,
  type LogsCapable,
  type Machine,
  type MachineRef,
  type Provider,
  type SnapshotsCapable,
  type StartStopCapable,
  type VolumesCapable,
} from '../types.js';
import { aws, createAwsClients, type AwsClientOptions } from './client.js';
import { createImageResolver, type UbuntuVersion } from './images.js';
import { archOfType, clientToken, describeOne, findTagged, PROVIDER, TAG_PORT, toMachine } from './machine.js';
import { deleteSecurityGroup, ensureSecurityGroup, findSecurityGroups, setGroupRules, toAwsTags } from './security-group.js';
import { createVolumeOps } from './volumes.js';
import { consoleLines } from './logs.js';
import { userDataField } from '../user-data.js';

export { fromEnv } from './from-env.js';

export interface AwsProviderOptions extends AwsClientOptions {
  /** Default region for calls whose ref carries none (default us-east-1). */
  region?: string;
  /** Regions `list`, `leftovers` and id lookups search (default: `region`, plus every region this process created in). */
  regions?: string[];
  /** Ubuntu release for CPU machines (default 24.04). */
  ubuntu?: UbuntuVersion;
  /** DescribeInstances page size (5–1000). */
  pageSize?: number;
  /** Security group deletion: attempts while EC2 answers DependencyViolation, and the pause between. */
  sgDeleteAttempts?: number;
  sgDeleteDelayMs?: number;
  /** Poll interval of `logs({ follow: true })` (default 5000 ms). */
  logPollMs?: number;
}

export type AwsProvider = Provider & StartStopCapable & FirewallCapable & VolumesCapable & SnapshotsCapable & LogsCapable & LeftoversCapable;


export function createAwsProvider(opts: AwsProviderOptions = {}): AwsProvider {
  const defaultRegion = opts.region ?? 'us-east-1';
  const clients = createAwsClients({ ...opts, ssmEndpoint: opts.ssmEndpoint ?? opts.endpoint });
  const images = createImageResolver(clients);
  const used = new Set<string>([defaultRegion, ...(opts.regions ?? [])]);
  // Leftovers are searched where this process works and wherever the store says the
  // deployment's machines were: a region dropped from the configuration still gets cleaned.
  const searched = (hint?: LeftoverHint): string[] => [...new Set([...used, ...(hint?.regions ?? [])])];
  const idRegions = new Map<string, string>();
  const book = {
    regions: () => [...used],
    remember: (id: string, region: string) => void idRegions.set(id, region),
    recall: (id: string) => idRegions.get(id),
  };
  const volumes = createVolumeOps(clients, book);
  const regionOf = (ref: MachineRef) => ref.region ?? idRegions.get(ref.id) ?? defaultRegion;
  const sgOpts = { attempts: opts.sgDeleteAttempts ?? 3, delayMs: opts.sgDeleteDelayMs ?? 2000 };

  /** Deletes the deployment's security groups and unkept, unattached volumes; in-use ones stay. */
  async function cleanUp(region: string, deploymentId: string): Promise<void> {
    for (const g of await findSecurityGroups(clients, region, deploymentId)) {
      await deleteSecurityGroup(clients, region, g.GroupId!, sgOpts);
    }
    for (const v of await volumes.listVolumes({ deploymentId })) {
      if (v.region === region && !v.attachedTo && v.tags[TAG_KEEP] !== 'true') await volumes.deleteVolume(v.id);
    }
  }

  function firewallRules(req: CreateRequest): FirewallRule[] {
    // With Tailscale the machine dials out; nothing needs to reach it.
    if (req.spec.access?.tailscale) return [];
    return [{ protocol: 'tcp', port: req.port, cidrs: ['0.0.0.0/0'] }];
  }

  const provider: AwsProvider = {
    name: PROVIDER,

    async check(): Promise<CheckResult> {
      try {
        const out = await aws('check', () => clients.ec2(defaultRegion).send(new DescribeAccountAttributesCommand({})));
        const quota: Record<string, string> = {};
        for (const a of out.AccountAttributes ?? []) {
          const v = a.AttributeValues?.map((x) => x.AttributeValue).join(',');
          if (a.AttributeName && v) quota[a.AttributeName] = v;
        }
        return { ok: true, message: `EC2 reachable in ${defaultRegion}; credentials accepted`, quota };
      } catch (err) {
        const what = isProviderError(err) && err.code === 'auth' ? 'credentials rejected or missing' : 'EC2 not reachable';
        return { ok: false, message: `${what} (${defaultRegion}): ${err instanceof Error ? err.message : String(err)}` };
      }
    },

    async create(req: CreateRequest, { idempotencyKey }: CreateOptions): Promise<Machine> {
      const region = req.offer.region;
      used.add(region);
      const existing = (await findTagged(clients, region, req.deploymentId, opts.pageSize)).find((i) => i.State?.Name !== 'shutting-down');
      if (existing) {
        book.remember(existing.InstanceId!, region);
        return toMachine(existing, region);
      }
      // Plain text in, base64 out (gzip-compressed first when over EC2's 16 KB raw limit).
      const userData = req.userData === undefined ? undefined : userDataField(PROVIDER, req.userData);
      const gpu = Boolean(req.offer.gpu && req.offer.gpu.count > 0);
      const explicitImage = 'image' in req.spec && req.spec.image?.startsWith('ami-') ? req.spec.image : undefined;
      const image = await images.resolve({
        region,
        arch: req.spec.resources?.arch ?? archOfType(req.offer.instanceType),
        gpu,
        ubuntu: opts.ubuntu,
        imageId: explicitImage,
      });
      const diskGb = Math.max(req.diskGb ?? req.spec.resources?.disk ?? (gpu ? 100 : 30), image.minRootGb);
      const tags = { ...req.tags, ...aloftTags(req.deploymentId), Name: `aloft-${req.name}` };
      const sg = await ensureSecurityGroup(clients, region, { deploymentId: req.deploymentId, name: req.name, tags, rules: firewallRules(req) });
      try {
        const out = await aws('run instance', () =>
          clients.ec2(region).send(
            new RunInstancesCommand({
              ClientToken: clientToken(idempotencyKey),
              ImageId: image.imageId,
              InstanceType: req.offer.instanceType as _InstanceType,
              MinCount: 1,
              MaxCount: 1,
              SecurityGroupIds: [sg.groupId],
              UserData: userData,
              MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 2 },
              BlockDeviceMappings: [{ DeviceName: image.rootDevice, Ebs: { VolumeSize: diskGb, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } }],
              InstanceMarketOptions: req.offer.spot
                ? { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } }
                : undefined,
              TagSpecifications: [
                { ResourceType: 'instance', Tags: toAwsTags({ ...tags, [TAG_PORT]: String(req.port) }) },
                { ResourceType: 'volume', Tags: toAwsTags(tags) },
              ],
            }),
          ),
        );
        const inst = out.Instances?.[0];
        if (!inst?.InstanceId) throw new InvalidRequestError('aws: RunInstances returned no instance');
        book.remember(inst.InstanceId, region);
        return toMachine(inst, region);
      } catch (err) {
        // No instance holds the group (none was found, none was made): it must not outlive this call.
        await deleteSecurityGroup(clients, region, sg.groupId, { attempts: 1 }).catch(() => undefined);
        // The group ensured a moment ago vanished (a concurrent cleanup): the next attempt makes it again.
        if (isProviderError(err) && err.providerCode === 'InvalidGroup.NotFound') {
          throw new TransientError(`aws: security group ${sg.groupId} disappeared during launch; retry`, { providerCode: err.providerCode, cause: err });
        }
        throw err;
      }
    },

    async describe(ref: MachineRef): Promise<Machine> {
      const region = regionOf(ref);
      const m = toMachine(await describeOne(clients, region, ref.id), region);
      // "terminated" must mean gone, firewall included: a caller that stops asking now (the
      // engine's teardown does) would otherwise leak the group EC2 held until this moment.
      const dep = m.tags[TAG_DEPLOYMENT];
      if (m.state === 'terminated' && dep) {
        for (const g of await findSecurityGroups(clients, region, dep)) await deleteSecurityGroup(clients, region, g.GroupId!, { attempts: 1 });
      }
      return m;
    },

    async list(filter?: ListFilter): Promise<Machine[]> {
      const out: Machine[] = [];
      for (const region of used) {
        for (const i of await findTagged(clients, region, filter?.deploymentId, opts.pageSize)) {
          book.remember(i.InstanceId!, region);
          out.push(toMachine(i, region));
        }
      }
      return out;
    },

    async destroy(ref: MachineRef): Promise<void> {
      const region = regionOf(ref);
      let deploymentId: string | undefined;
      try {
        const inst = await describeOne(clients, region, ref.id);
        deploymentId = toMachine(inst, region).tags[TAG_DEPLOYMENT];
        if (inst.State?.Name !== 'terminated' && inst.State?.Name !== 'shutting-down') {
          await aws(`terminate ${ref.id}`, () => clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [ref.id] })));
        }
      } catch (err) {
        if (!(isProviderError(err) && err.code === 'not_found')) throw err;
      }
      if (deploymentId) await cleanUp(region, deploymentId);
    },

    async start(ref: MachineRef): Promise<void> {
      const region = regionOf(ref);
      await aws(`start ${ref.id}`, () => clients.ec2(region).send(new StartInstancesCommand({ InstanceIds: [ref.id] })));
    },

    async stop(ref: MachineRef): Promise<void> {
      const region = regionOf(ref);
      await aws(`stop ${ref.id}`, () => clients.ec2(region).send(new StopInstancesCommand({ InstanceIds: [ref.id] })));
    },

    async setFirewall(ref: MachineRef, rules: FirewallRule[]): Promise<void> {
      const region = regionOf(ref);
      const m = toMachine(await describeOne(clients, region, ref.id), region);
      const groups = await findSecurityGroups(clients, region, m.tags[TAG_DEPLOYMENT] ?? '');
      const mine = groups.find((g) => (m.details?.securityGroupIds as string[]).includes(g.GroupId!));
      if (!mine) throw new InvalidRequestError(`aws: ${ref.id} has no Aloft security group`);
      await setGroupRules(clients, region, mine.GroupId!, rules);
    },

    logs(ref: MachineRef, o: { tail?: number; follow?: boolean; signal?: AbortSignal } = {}): AsyncIterable<string> {
      const region = regionOf(ref);
      // Latest=true (the live buffer) exists only on Nitro instance types; older ones answer
      // UnsupportedOperation, and then the boot-time snapshot of the console is what there is.
      let latest = true;
      const read = async () => {
        const get = () => aws(`console of ${ref.id}`, () => clients.ec2(region).send(new GetConsoleOutputCommand({ InstanceId: ref.id, Latest: latest })));
        const out = await get().catch((err: unknown) => {
          if (!(latest && isProviderError(err) && err.providerCode === 'UnsupportedOperation')) throw err;
          latest = false;
          return get();
        });
        return out.Output ? Buffer.from(out.Output, 'base64').toString('utf8') : '';
      };
      return consoleLines(read, { ...o, pollMs: opts.logPollMs ?? 5000 });
    },

    async leftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]> {
      const out: Leftover[] = [];
      for (const region of searched(hint)) {
        for (const i of await findTagged(clients, region, deploymentId, opts.pageSize)) {
          out.push({ kind: 'machine', id: i.InstanceId!, region, state: i.State?.Name });
        }
        for (const g of await findSecurityGroups(clients, region, deploymentId)) out.push({ kind: 'firewall', id: g.GroupId!, region });
        const vols = await aws('describe volumes', () =>
          clients.ec2(region).send(
            new DescribeVolumesCommand({
              Filters: [
                { Name: `tag:${TAG_MANAGED}`, Values: ['true'] },
                { Name: `tag:${TAG_DEPLOYMENT}`, Values: [deploymentId] },
              ],
            }),
          ),
        );
        for (const v of vols.Volumes ?? []) {
          const keep = v.Tags?.some((t) => t.Key === TAG_KEEP && t.Value === 'true');
          if (!keep && v.State !== 'deleting' && v.State !== 'deleted') out.push({ kind: 'volume', id: v.VolumeId!, region, state: v.State });
        }
      }
      return out;
    },

    async removeLeftovers(deploymentId: string, hint?: LeftoverHint): Promise<Leftover[]> {
      for (const region of searched(hint)) {
        const live = (await findTagged(clients, region, deploymentId, opts.pageSize)).filter((i) => i.State?.Name !== 'shutting-down');
        if (live.length > 0) {
          const ids = live.map((i) => i.InstanceId!);
          await aws(`terminate ${ids.join(' ')}`, () => clients.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: ids })));
        }
        await cleanUp(region, deploymentId);
      }
      return provider.leftovers(deploymentId, hint);
    },

    ...volumes,
  };
  return provider;
}
