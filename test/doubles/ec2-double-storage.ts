/**
 * EC2 double: EBS volumes (creating → available ⇄ in-use → deleting, ClientToken idempotency,
 * same-zone attachment) and snapshots (pending → completed).
 */
import { createHash } from 'node:crypto';
import { ACCOUNT_ID, type DSnapshot, type DVolume, type Ec2World, newId } from './ec2-double-state.js';
import { findInstance, type Handler, tagsFor } from './ec2-double-instances.js';
import { bool, Ec2Fault, filters, matchesFilters, num, str, strList, tagField, tagSet, type XmlValue } from './ec2-wire.js';

export const volumeXml = (v: DVolume): { [k: string]: XmlValue } => ({
  volumeId: v.id,
  size: v.size,
  snapshotId: v.snapshotId ?? '',
  availabilityZone: v.az,
  status: v.state,
  createTime: new Date(v.createTime).toISOString(),
  attachmentSet: v.attachment
    ? [{ volumeId: v.id, instanceId: v.attachment.instanceId, device: v.attachment.device, status: v.attachment.state, attachTime: new Date(v.attachment.since).toISOString(), deleteOnTermination: v.attachment.deleteOnTermination }]
    : [],
  volumeType: v.type,
  encrypted: v.encrypted,
  tagSet: tagSet(v.tags),
});

function findVolume(w: Ec2World, region: string, id: string | undefined): DVolume {
  const v = id ? w.volumes.get(id) : undefined;
  if (!v || v.region !== region) throw new Ec2Fault('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  return v;
}

export const createVolume: Handler = (w, region, p) => {
  const token = str(p, 'ClientToken');
  const fingerprint = createHash('sha256').update(JSON.stringify({ ...p, ClientToken: undefined })).digest('hex');
  if (token) {
    const seen = w.clientTokens.get(`${region} CreateVolume ${token}`);
    if (seen) {
      if (seen[1] !== fingerprint) throw new Ec2Fault('IdempotentParameterMismatch', 'The client token is associated with different parameters.');
      const v = w.volumes.get(seen[0]);
      if (v) return volumeXml(v);
    }
  }
  const az = str(p, 'AvailabilityZone');
  if (!az || !az.startsWith(region)) throw new Ec2Fault('InvalidParameterValue', `Invalid availability zone: [${az}]`);
  const snapshotId = str(p, 'SnapshotId');
  const snap = snapshotId ? w.snapshots.get(snapshotId) : undefined;
  if (snapshotId && !snap) throw new Ec2Fault('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
  const size = num(p, 'Size') ?? snap?.size;
  if (!size || size < 1 || size > 16384) throw new Ec2Fault('InvalidParameterValue', 'Size must be between 1 and 16384 GiB');
  const now = Date.now();
  const v: DVolume = {
    id: newId('vol'),
    region,
    az,
    size,
    type: str(p, 'VolumeType') ?? 'gp2',
    encrypted: bool(p, 'Encrypted') ?? snap?.encrypted ?? false,
    snapshotId,
    state: 'creating',
    since: now,
    createTime: now,
    tags: tagsFor(p, 'volume', new Set(['volume'])),
  };
  w.volumes.set(v.id, v);
  if (token) w.clientTokens.set(`${region} CreateVolume ${token}`, [v.id, fingerprint]);
  return volumeXml(v);
};

export const describeVolumes: Handler = (w, region, p) => {
  const ids = strList(p, 'VolumeId');
  for (const id of ids) findVolume(w, region, id);
  const fs = filters(p);
  const field = (v: DVolume, n: string) =>
    n === 'status' ? [v.state] : n === 'attachment.instance-id' ? (v.attachment ? [v.attachment.instanceId] : []) : n === 'volume-id' ? [v.id] : tagField(v.tags, n);
  const found = [...w.volumes.values()].filter((v) => v.region === region && (ids.length === 0 || ids.includes(v.id)) && matchesFilters(fs, (n) => field(v, n)));
  return { volumeSet: found.map(volumeXml) };
};

export const attachVolume: Handler = (w, region, p) => {
  const v = findVolume(w, region, str(p, 'VolumeId'));
  const i = findInstance(w, region, str(p, 'InstanceId') ?? '');
  const device = str(p, 'Device') ?? '';
  if (!/^\/dev\/(sd[f-p]|xvd[f-p])$/.test(device)) throw new Ec2Fault('InvalidParameterValue', `Invalid value '${device}' for unixDevice.`);
  if (v.state !== 'available') throw new Ec2Fault('IncorrectState', `vol '${v.id}' is not 'available'.`);
  if (v.az !== i.az) throw new Ec2Fault('InvalidVolume.ZoneMismatch', `The volume '${v.id}' is not in the same availability zone as instance '${i.id}'`);
  if (i.state !== 'running' && i.state !== 'stopped') throw new Ec2Fault('IncorrectInstanceState', `Instance '${i.id}' is not 'running' or 'stopped'.`);
  if ([...w.volumes.values()].some((x) => x.attachment?.instanceId === i.id && x.attachment.device === device)) {
    throw new Ec2Fault('InvalidParameterValue', `Attachment point ${device} is already in use`);
  }
  const now = Date.now();
  v.state = 'in-use';
  v.attachment = { instanceId: i.id, device, deleteOnTermination: false, state: 'attaching', since: now };
  return { volumeId: v.id, instanceId: i.id, device, status: 'attaching', attachTime: new Date(now).toISOString() };
};

export const detachVolume: Handler = (w, region, p) => {
  const v = findVolume(w, region, str(p, 'VolumeId'));
  const a = v.attachment;
  if (!a) throw new Ec2Fault('IncorrectState', `Volume '${v.id}' is in the 'available' state.`);
  if (a.device === w.instances.get(a.instanceId)?.rootDevice) throw new Ec2Fault('OperationNotPermitted', 'The root volume cannot be detached from a running instance');
  Object.assign(a, { state: 'detaching', since: Date.now() });
  return { volumeId: v.id, instanceId: a.instanceId, device: a.device, status: 'detaching', attachTime: new Date(a.since).toISOString() };
};

export const deleteVolume: Handler = (w, region, p) => {
  const v = findVolume(w, region, str(p, 'VolumeId'));
  if (v.attachment || v.state === 'in-use') throw new Ec2Fault('VolumeInUse', `Volume ${v.id} is currently attached to ${v.attachment?.instanceId}`);
  if (v.state !== 'deleting') Object.assign(v, { state: 'deleting', since: Date.now() });
  return { return: true };
};

const snapshotXml = (s: DSnapshot): { [k: string]: XmlValue } => ({
  snapshotId: s.id,
  volumeId: s.volumeId,
  status: s.state,
  startTime: new Date(s.startTime).toISOString(),
  progress: s.state === 'completed' ? '100%' : '0%',
  ownerId: ACCOUNT_ID,
  volumeSize: s.size,
  description: s.description,
  encrypted: s.encrypted,
  tagSet: tagSet(s.tags),
});

export const createSnapshot: Handler = (w, region, p) => {
  const v = findVolume(w, region, str(p, 'VolumeId'));
  const s = {
    id: newId('snap'),
    region,
    volumeId: v.id,
    size: v.size,
    encrypted: v.encrypted,
    description: str(p, 'Description') ?? '',
    state: 'pending' as const,
    startTime: Date.now(),
    tags: tagsFor(p, 'snapshot', new Set(['snapshot'])),
  };
  w.snapshots.set(s.id, s);
  return snapshotXml(s);
};

export const describeSnapshots: Handler = (w, region, p) => {
  const ids = strList(p, 'SnapshotId');
  const owners = strList(p, 'Owner');
  if (owners.some((o) => o !== 'self' && o !== ACCOUNT_ID)) return { snapshotSet: [] };
  const fs = filters(p);
  const field = (s: DSnapshot, n: string) => (n === 'volume-id' ? [s.volumeId] : n === 'status' ? [s.state] : tagField(s.tags, n));
  for (const id of ids) if (w.snapshots.get(id)?.region !== region) throw new Ec2Fault('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  const found = [...w.snapshots.values()].filter((s) => s.region === region && (ids.length === 0 || ids.includes(s.id)) && matchesFilters(fs, (n) => field(s, n)));
  return { snapshotSet: found.map(snapshotXml) };
};

export const deleteSnapshot: Handler = (w, region, p) => {
  const id = str(p, 'SnapshotId') ?? '';
  if (w.snapshots.get(id)?.region !== region) throw new Ec2Fault('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  w.snapshots.delete(id);
  return { return: true };
};

