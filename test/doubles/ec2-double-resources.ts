/**
 * EC2 double: security groups (DependencyViolation while an instance uses one), images, tags,
 * account attributes and availability zones. Volumes and snapshots: ec2-double-storage.ts.
 */
import { ACCOUNT_ID, type DRule, type DSecurityGroup, type Ec2World, newId } from './ec2-double-state.js';
import { type Handler, tagsFor } from './ec2-double-instances.js';
import {
  Ec2Fault,
  filters,
  matchesFilters,
  num,
  objList,
  type QueryObject,
  str,
  strList,
  tagField,
  tagSet,
  type XmlValue,
} from './ec2-wire.js';

// ---- security groups ---------------------------------------------------------------------

function findGroup(w: Ec2World, region: string, id: string | undefined): DSecurityGroup {
  const g = id ? w.groups.get(id) : undefined;
  if (!g || g.region !== region) throw new Ec2Fault('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  return g;
}

const groupXml = (g: DSecurityGroup): { [k: string]: XmlValue } => ({
  ownerId: ACCOUNT_ID,
  groupId: g.id,
  groupName: g.name,
  groupDescription: g.description,
  vpcId: g.vpcId,
  ipPermissions: g.ingress.map((r) => ({ ipProtocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, groups: [], ipRanges: [{ cidrIp: r.cidr }], ipv6Ranges: [], prefixListIds: [] })),
  ipPermissionsEgress: [{ ipProtocol: '-1', groups: [], ipRanges: [{ cidrIp: '0.0.0.0/0' }], ipv6Ranges: [], prefixListIds: [] }],
  tagSet: tagSet(g.tags),
});

export const createSecurityGroup: Handler = (w, region, p) => {
  const name = str(p, 'GroupName') ?? '';
  const description = str(p, 'GroupDescription') ?? '';
  if (!name || !description) throw new Ec2Fault('MissingParameter', 'GroupName and GroupDescription are required');
  if (name.length > 255 || name.startsWith('sg-')) throw new Ec2Fault('InvalidParameterValue', `Invalid group name '${name}'`);
  const vpcId = str(p, 'VpcId') ?? 'vpc-0default';
  for (const g of w.groups.values()) {
    if (g.region === region && g.vpcId === vpcId && g.name === name) throw new Ec2Fault('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
  }
  const id = newId('sg');
  const g: DSecurityGroup = { id, region, name, description, vpcId, tags: tagsFor(p, 'security-group', new Set(['security-group'])), ingress: [] };
  w.groups.set(id, g);
  return { groupId: id, tagSet: tagSet(g.tags) };
};

export const describeSecurityGroups: Handler = (w, region, p) => {
  const ids = strList(p, 'GroupId');
  for (const id of ids) findGroup(w, region, id);
  const fs = filters(p);
  const field = (g: DSecurityGroup, n: string) =>
    n === 'group-id' ? [g.id] : n === 'group-name' ? [g.name] : n === 'vpc-id' ? [g.vpcId] : tagField(g.tags, n);
  const found = [...w.groups.values()].filter((g) => g.region === region && (ids.length === 0 || ids.includes(g.id)) && matchesFilters(fs, (n) => field(g, n)));
  return { securityGroupInfo: found.map(groupXml) };
};

function rulesOf(p: QueryObject): DRule[] {
  const out: DRule[] = [];
  for (const perm of objList(p, 'IpPermissions')) {
    const protocol = str(perm, 'IpProtocol') ?? '';
    if (!['tcp', 'udp', 'icmp', '-1'].includes(protocol)) throw new Ec2Fault('InvalidParameterValue', `Invalid IP protocol '${protocol}'`);
    const fromPort = num(perm, 'FromPort') ?? -1;
    const toPort = num(perm, 'ToPort') ?? -1;
    if (protocol !== '-1' && (fromPort < 0 || toPort > 65535 || fromPort > toPort)) throw new Ec2Fault('InvalidParameterValue', `Invalid port range ${fromPort}-${toPort}`);
    const ranges = objList(perm, 'IpRanges');
    if (ranges.length === 0) throw new Ec2Fault('MissingParameter', 'The double needs IpRanges in each permission');
    for (const r of ranges) {
      const cidr = str(r, 'CidrIp') ?? '';
      if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new Ec2Fault('InvalidParameterValue', `CIDR block ${cidr} is malformed`);
      out.push({ protocol, fromPort, toPort, cidr });
    }
  }
  if (out.length === 0) throw new Ec2Fault('MissingParameter', 'No IpPermissions given');
  return out;
}
const sameRule = (a: DRule, b: DRule) => a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && a.cidr === b.cidr;

export const authorizeSecurityGroupIngress: Handler = (w, region, p) => {
  const g = findGroup(w, region, str(p, 'GroupId'));
  const rules = rulesOf(p);
  for (const r of rules) {
    if (g.ingress.some((x) => sameRule(x, r))) throw new Ec2Fault('InvalidPermission.Duplicate', `the specified rule "peer: ${r.cidr}, ${r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW" already exists`);
  }
  g.ingress.push(...rules);
  return { return: true };
};

export const revokeSecurityGroupIngress: Handler = (w, region, p) => {
  const g = findGroup(w, region, str(p, 'GroupId'));
  const unknown: DRule[] = [];
  for (const r of rulesOf(p)) {
    const at = g.ingress.findIndex((x) => sameRule(x, r));
    if (at < 0) unknown.push(r);
    else g.ingress.splice(at, 1);
  }
  return {
    return: true,
    unknownIpPermissionSet: unknown.length ? unknown.map((r) => ({ ipProtocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, ipRanges: [{ cidrIp: r.cidr }] })) : undefined,
  };
};

export const deleteSecurityGroup: Handler = (w, region, p) => {
  const g = findGroup(w, region, str(p, 'GroupId'));
  if (g.name === 'default') throw new Ec2Fault('CannotDelete', 'the specified group: "default" name: "default" cannot be deleted by a user');
  // Like EC2: an instance holds its groups until it is fully terminated.
  const user = [...w.instances.values()].find((i) => i.groups.includes(g.id) && i.state !== 'terminated');
  if (user) throw new Ec2Fault('DependencyViolation', `resource ${g.id} has a dependent object`);
  w.groups.delete(g.id);
  return { return: true, groupId: g.id };
};

// ---- images, tags, account ---------------------------------------------------------------

export const describeImages: Handler = (w, region, p) => {
  const ids = strList(p, 'ImageId');
  const owners = strList(p, 'Owner');
  const fs = filters(p);
  const found = [...w.images.values()].filter((im) => {
    if (im.region !== region || (ids.length > 0 && !ids.includes(im.id))) return false;
    if (owners.length > 0 && !owners.some((o) => o === im.ownerId || o === im.ownerAlias)) return false;
    return matchesFilters(fs, (n) =>
      n === 'name' ? [im.name] : n === 'architecture' ? [im.arch] : n === 'state' ? ['available'] : n === 'owner-alias' ? (im.ownerAlias ? [im.ownerAlias] : []) : n === 'image-id' ? [im.id] : undefined,
    );
  });
  if (ids.length > 0 && found.length < ids.length) throw new Ec2Fault('InvalidAMIID.NotFound', `The image id '[${ids.join(', ')}]' does not exist`);
  return {
    imagesSet: found.map((im) => ({
      imageId: im.id,
      imageLocation: `${im.ownerAlias ?? im.ownerId}/${im.name}`,
      imageState: 'available',
      imageOwnerId: im.ownerId,
      creationDate: im.creationDate,
      isPublic: true,
      architecture: im.arch,
      imageType: 'machine',
      imageOwnerAlias: im.ownerAlias,
      name: im.name,
      rootDeviceType: 'ebs',
      rootDeviceName: im.rootDevice,
      blockDeviceMapping: [{ deviceName: im.rootDevice, ebs: { snapshotId: `snap-${im.id.slice(4)}`, volumeSize: im.snapshotSize, deleteOnTermination: true, volumeType: 'gp3', encrypted: false } }],
      virtualizationType: 'hvm',
      hypervisor: 'xen',
    })),
  };
};

export const createTags: Handler = (w, region, p) => {
  const ids = strList(p, 'ResourceId');
  const tags = Object.fromEntries(objList(p, 'Tag').map((t) => [str(t, 'Key') ?? '', str(t, 'Value') ?? '']));
  for (const id of ids) {
    const r = w.instances.get(id) ?? w.groups.get(id) ?? w.volumes.get(id) ?? w.snapshots.get(id);
    if (!r || r.region !== region) throw new Ec2Fault('InvalidID', `The ID '${id}' is not valid`);
    Object.assign(r.tags, tags);
  }
  return { return: true };
};

export const describeAccountAttributes: Handler = (_w, _region, p) => {
  const all: Record<string, string[]> = {
    'supported-platforms': ['VPC'],
    'default-vpc': ['vpc-0default'],
    'max-instances': ['20'],
    'max-elastic-ips': ['5'],
    'vpc-max-security-groups-per-interface': ['5'],
    'vpc-max-elastic-ips': ['5'],
  };
  const want = strList(p, 'AttributeName');
  return {
    accountAttributeSet: Object.entries(all)
      .filter(([k]) => want.length === 0 || want.includes(k))
      .map(([attributeName, vs]) => ({ attributeName, attributeValueSet: vs.map((attributeValue) => ({ attributeValue })) })),
  };
};

export const describeAvailabilityZones: Handler = (_w, region) => ({
  availabilityZoneInfo: ['a', 'b', 'c'].map((s, n) => ({ zoneName: `${region}${s}`, zoneState: 'available', regionName: region, zoneId: `use1-az${n + 1}`, zoneType: 'availability-zone' })),
});
