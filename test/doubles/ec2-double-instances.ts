/**
 * EC2 double: instance actions — RunInstances (ClientToken idempotency, tag specifications,
 * block devices, metadata options, spot), DescribeInstances (filters, pagination),
 * Start/Stop/TerminateInstances and GetConsoleOutput. Validation follows the documented rules
 * closely enough that a request EC2 would reject is rejected here too.
 */
import { createHash } from 'node:crypto';
import { ACCOUNT_ID, type DInstance, type Ec2World, type InstanceStateName, newId, STATE_CODES } from './ec2-double-state.js';
import {
  bool,
  Ec2Fault,
  filters,
  matchesFilters,
  num,
  obj,
  objList,
  type QueryObject,
  str,
  strList,
  tagField,
  tagSet,
  type XmlValue,
} from './ec2-wire.js';

export type Handler = (w: Ec2World, region: string, p: QueryObject) => { [k: string]: XmlValue };

const INSTANCE_TYPE_RE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
const TAGGABLE_AT_LAUNCH = new Set(['instance', 'volume', 'network-interface', 'spot-instances-request']);

/** Tags from `TagSpecification.N` for one resource type. */
export function tagsFor(p: QueryObject, resourceType: string, allowed?: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of objList(p, 'TagSpecification')) {
    const rt = str(spec, 'ResourceType') ?? '';
    if (allowed && !allowed.has(rt)) throw new Ec2Fault('InvalidParameterValue', `'${rt}' is not a valid taggable resource type for this operation.`);
    if (rt !== resourceType) continue;
    for (const t of objList(spec, 'Tag')) {
      const k = str(t, 'Key');
      if (!k) throw new Ec2Fault('InvalidParameterValue', 'Tag key must not be empty');
      if (k.startsWith('aws:')) throw new Ec2Fault('InvalidParameterValue', 'Tag keys starting with aws: are reserved');
      out[k] = str(t, 'Value') ?? '';
    }
  }
  return out;
}

export function instanceXml(w: Ec2World, i: DInstance): { [k: string]: XmlValue } {
  const vols = [...w.volumes.values()].filter((v) => v.attachment?.instanceId === i.id);
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: `ip-${i.privateIp.replaceAll('.', '-')}.${i.region}.compute.internal`,
    dnsName: i.publicIp ? `ec2-${i.publicIp.replaceAll('.', '-')}.${i.region}.compute.amazonaws.com` : '',
    reason: i.stateReason?.message ?? '',
    amiLaunchIndex: 0,
    instanceType: i.type,
    launchTime: new Date(i.launchTime).toISOString(),
    placement: { availabilityZone: i.az, tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: `subnet-${i.az}`,
    vpcId: 'vpc-0default',
    privateIpAddress: i.privateIp,
    ipAddress: i.publicIp,
    groupSet: i.groups.map((g) => ({ groupId: g, groupName: w.groups.get(g)?.name ?? g })),
    stateReason: i.stateReason,
    architecture: w.images.get(i.imageId)?.arch ?? 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: i.rootDevice,
    blockDeviceMapping: vols.map((v) => ({
      deviceName: v.attachment!.device,
      ebs: { volumeId: v.id, status: v.attachment!.state, attachTime: new Date(v.attachment!.since).toISOString(), deleteOnTermination: v.attachment!.deleteOnTermination },
    })),
    instanceLifecycle: i.spot ? 'spot' : undefined,
    clientToken: i.clientToken,
    tagSet: tagSet(i.tags),
    metadataOptions: { state: 'applied', httpTokens: i.httpTokens, httpPutResponseHopLimit: 1, httpEndpoint: 'enabled' },
  };
}

function reservation(w: Ec2World, insts: DInstance[]): { [k: string]: XmlValue } {
  return { reservationId: `r-${insts[0]!.id.slice(2)}`, ownerId: ACCOUNT_ID, groupSet: [], instancesSet: insts.map((i) => instanceXml(w, i)) };
}

export function findInstance(w: Ec2World, region: string, id: string): DInstance {
  if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw new Ec2Fault('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
  const i = w.instances.get(id);
  if (!i || i.region !== region) throw new Ec2Fault('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return i;
}

export const runInstances: Handler = (w, region, p) => {
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ ...p, ClientToken: undefined }))
    .digest('hex');
  const token = str(p, 'ClientToken');
  if (token !== undefined && token.length > 64) throw new Ec2Fault('InvalidParameterValue', 'ClientToken must be at most 64 ASCII characters');
  if (token) {
    const seen = w.clientTokens.get(`${region} RunInstances ${token}`);
    if (seen) {
      if (seen[1] !== fingerprint) throw new Ec2Fault('IdempotentParameterMismatch', 'The client token you provided is associated with a resource that is already deleted or has different parameters.');
      return reservation(w, [w.instances.get(seen[0])!].filter(Boolean));
    }
  }
  if (num(p, 'MinCount') !== 1 || num(p, 'MaxCount') !== 1) throw new Ec2Fault('InvalidParameterValue', 'The double launches one instance per call (MinCount = MaxCount = 1)');
  const type = str(p, 'InstanceType') ?? 'm1.small';
  if (!INSTANCE_TYPE_RE.test(type)) throw new Ec2Fault('InvalidParameterValue', `Invalid value '${type}' for InstanceType.`);
  const imageId = str(p, 'ImageId') ?? '';
  const image = w.images.get(imageId);
  if (!image || image.region !== region) throw new Ec2Fault('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  const groups = strList(p, 'SecurityGroupId');
  for (const g of groups) {
    if (w.groups.get(g)?.region !== region) throw new Ec2Fault('InvalidGroup.NotFound', `The security group '${g}' does not exist`);
  }
  const userData = str(p, 'UserData');
  if (userData !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData)) throw new Ec2Fault('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
    if (Buffer.from(userData, 'base64').length > 16 * 1024) throw new Ec2Fault('InvalidParameterValue', 'User data is limited to 16384 bytes');
  }
  const httpTokens = str(obj(p, 'MetadataOptions') ?? {}, 'HttpTokens') ?? 'optional';
  if (httpTokens !== 'optional' && httpTokens !== 'required') throw new Ec2Fault('InvalidParameterValue', `Invalid HttpTokens '${httpTokens}'`);
  const market = obj(p, 'InstanceMarketOptions');
  const spot = market !== undefined && str(market, 'MarketType') === 'spot';
  if (market && !spot) throw new Ec2Fault('InvalidParameterValue', `Invalid MarketType '${str(market, 'MarketType')}'`);
  const instanceTags = tagsFor(p, 'instance', TAGGABLE_AT_LAUNCH);
  const volumeTags = tagsFor(p, 'volume', TAGGABLE_AT_LAUNCH);

  // The root volume: from the image, resized/retyped by a BlockDeviceMapping for its device.
  let size = image.snapshotSize;
  let volType = 'gp2';
  let encrypted = false;
  let deleteOnTermination = true;
  for (const bdm of objList(p, 'BlockDeviceMapping')) {
    const dev = str(bdm, 'DeviceName');
    const ebs = obj(bdm, 'Ebs');
    if (dev !== image.rootDevice || !ebs) throw new Ec2Fault('InvalidBlockDeviceMapping', `The double only maps the root device ${image.rootDevice}, got ${dev}`);
    size = num(ebs, 'VolumeSize') ?? size;
    volType = str(ebs, 'VolumeType') ?? volType;
    encrypted = bool(ebs, 'Encrypted') ?? encrypted;
    deleteOnTermination = bool(ebs, 'DeleteOnTermination') ?? deleteOnTermination;
    if (size < image.snapshotSize) throw new Ec2Fault('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot, expect size >= ${image.snapshotSize}GB`);
    if (!['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'].includes(volType)) throw new Ec2Fault('InvalidParameterValue', `Invalid VolumeType ${volType}`);
  }

  const now = Date.now();
  const az = str(obj(p, 'Placement') ?? {}, 'AvailabilityZone') ?? `${region}a`;
  const inst: DInstance = {
    id: newId('i'),
    region,
    az,
    type,
    imageId,
    state: 'pending',
    stateSince: now,
    launchTime: now,
    tags: instanceTags,
    groups: groups.length > 0 ? groups : [defaultGroup(w, region)],
    clientToken: token,
    userData,
    httpTokens,
    spot,
    rootDevice: image.rootDevice,
    privateIp: w.nextPrivateIp(),
    console: [],
  };
  w.setInstanceState(inst, 'pending', now);
  w.instances.set(inst.id, inst);
  const volId = newId('vol');
  w.volumes.set(volId, {
    id: volId,
    region,
    az,
    size,
    type: volType,
    encrypted,
    state: 'in-use',
    since: now,
    createTime: now,
    tags: volumeTags,
    attachment: { instanceId: inst.id, device: image.rootDevice, deleteOnTermination, state: 'attached', since: now },
  });
  if (token) w.clientTokens.set(`${region} RunInstances ${token}`, [inst.id, fingerprint]);
  return reservation(w, [inst]);
};

/** The VPC's default group, created on first use like AWS's. */
function defaultGroup(w: Ec2World, region: string): string {
  for (const g of w.groups.values()) if (g.region === region && g.name === 'default') return g.id;
  const id = newId('sg');
  w.groups.set(id, { id, region, name: 'default', description: 'default VPC security group', vpcId: 'vpc-0default', tags: {}, ingress: [] });
  return id;
}

function instanceField(i: DInstance, name: string): string[] | undefined {
  switch (name) {
    case 'instance-id':
      return [i.id];
    case 'instance-state-name':
      return [i.state];
    case 'instance-type':
      return [i.type];
    case 'instance.group-id':
    case 'group-id':
      return i.groups;
    case 'client-token':
      return i.clientToken ? [i.clientToken] : [];
    case 'availability-zone':
      return [i.az];
    default:
      return tagField(i.tags, name);
  }
}

export const describeInstances: Handler = (w, region, p) => {
  const ids = strList(p, 'InstanceId');
  const fs = filters(p);
  for (const f of fs) {
    if (instanceField({ tags: {}, groups: [] } as unknown as DInstance, f.name) === undefined && !f.name.startsWith('tag')) {
      throw new Ec2Fault('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  const max = num(p, 'MaxResults');
  if (max !== undefined && ids.length > 0) throw new Ec2Fault('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  if (max !== undefined && (max < 5 || max > 1000)) throw new Ec2Fault('InvalidParameterValue', 'MaxResults must be between 5 and 1000');
  for (const id of ids) findInstance(w, region, id);
  const all = [...w.instances.values()]
    .filter((i) => i.region === region && (ids.length === 0 || ids.includes(i.id)) && matchesFilters(fs, (n) => instanceField(i, n)))
    .sort((a, b) => a.launchTime - b.launchTime || a.id.localeCompare(b.id));
  // The token is a cursor (the last instance handed out), not an offset: terminated instances
  // vanish between pages, and an offset would then skip a live one (EC2's tokens are opaque).
  const token = str(p, 'NextToken');
  let start = 0;
  if (token !== undefined) {
    const [at, id] = Buffer.from(token, 'base64url').toString().split('/');
    if (!id || !Number.isInteger(Number(at))) throw new Ec2Fault('InvalidParameterValue', 'Invalid NextToken');
    start = all.findIndex((i) => i.launchTime > Number(at) || (i.launchTime === Number(at) && i.id.localeCompare(id) > 0));
    if (start === -1) start = all.length;
  }
  const page = max === undefined ? all.slice(start) : all.slice(start, start + max);
  const last = page[page.length - 1];
  const next = max !== undefined && last && start + max < all.length ? Buffer.from(`${last.launchTime}/${last.id}`).toString('base64url') : undefined;
  return { reservationSet: page.map((i) => reservation(w, [i])), nextToken: next };
};

function changeStates(w: Ec2World, region: string, p: QueryObject, apply: (i: DInstance, now: number) => void): { [k: string]: XmlValue } {
  const ids = strList(p, 'InstanceId');
  if (ids.length === 0) throw new Ec2Fault('MissingParameter', 'The request must contain the parameter InstanceId');
  const insts = ids.map((id) => findInstance(w, region, id));
  const now = Date.now();
  const changes = insts.map((i) => {
    const prev: InstanceStateName = i.state;
    apply(i, now);
    return { instanceId: i.id, currentState: { code: STATE_CODES[i.state], name: i.state }, previousState: { code: STATE_CODES[prev], name: prev } };
  });
  return { instancesSet: changes };
}

export const startInstances: Handler = (w, region, p) =>
  changeStates(w, region, p, (i, now) => {
    if (i.state === 'stopped') {
      w.setInstanceState(i, 'pending', now);
      i.stateReason = undefined;
    } else if (i.state !== 'pending' && i.state !== 'running') {
      throw new Ec2Fault('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be started.`);
    }
  });

export const stopInstances: Handler = (w, region, p) =>
  changeStates(w, region, p, (i, now) => {
    if (i.spot) throw new Ec2Fault('UnsupportedOperation', `The instance '${i.id}' is a one-time Spot Instance and cannot be stopped.`);
    if (i.state === 'running' || i.state === 'pending') {
      w.setInstanceState(i, 'stopping', now);
      i.publicIp = undefined; // a stopped instance loses its public address
    } else if (i.state !== 'stopping' && i.state !== 'stopped') {
      throw new Ec2Fault('IncorrectInstanceState', `The instance '${i.id}' is not in a state from which it can be stopped.`);
    }
  });

export const terminateInstances: Handler = (w, region, p) =>
  changeStates(w, region, p, (i, now) => {
    if (i.state === 'terminated' || i.state === 'shutting-down') return;
    w.setInstanceState(i, 'shutting-down', now);
    i.publicIp = undefined;
    i.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
  });

export const getConsoleOutput: Handler = (w, region, p) => {
  const i = findInstance(w, region, str(p, 'InstanceId') ?? '');
  return { instanceId: i.id, timestamp: new Date().toISOString(), output: Buffer.from(i.console.join('\n') + '\n').toString('base64') };
};
