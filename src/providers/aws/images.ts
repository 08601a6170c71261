/**
 * Which AMI a machine boots, per region and architecture:
 *  - CPU offers: Canonical's Ubuntu from its SSM public parameters
 *    (/aws/service/canonical/ubuntu/server/<ver>/stable/current/<arch>/hvm/<disk>/ami-id);
 *  - GPU offers: AWS's "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)" (drivers,
 *    CUDA and the container toolkit preinstalled), newest by CreationDate, owner amazon;
 *  - an explicit `ami-…` in the spec's `image` wins.
 * Results are cached for an hour per process: AMIs change weekly, and one extra call per
 * create is not worth saving at the price of booting an old image forever.
 */
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { aws, type AwsClients } from './client.js';

export type Arch = 'x86_64' | 'arm64';
export type UbuntuVersion = '22.04' | '24.04';

export interface ImageChoice {
  imageId: string;
  /** The device the root volume maps to (from the image), e.g. /dev/sda1. */
  rootDevice: string;
  /** The image's root snapshot size; the root volume may not be smaller. */
  minRootGb: number;
  name?: string;
}

export interface ImageQuery {
  region: string;
  arch: Arch;
  gpu: boolean;
  ubuntu?: UbuntuVersion;
  /** An explicit AMI id. */
  imageId?: string;
}

/** Canonical publishes gp3-backed images from 24.04 on; 22.04 is gp2-backed. */
export function ubuntuParameter(version: UbuntuVersion, arch: Arch): string {
  const a = arch === 'x86_64' ? 'amd64' : 'arm64';
  const disk = version === '22.04' ? 'ebs-gp2' : 'ebs-gp3';
  return `/aws/service/canonical/ubuntu/server/${version}/stable/current/${a}/hvm/${disk}/ami-id`;
}

export function dlamiNamePattern(arch: Arch): string {
  return arch === 'arm64'
    ? 'Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)*'
    : 'Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04)*';
}

/** The newest image by CreationDate (ISO 8601 strings sort as dates). */
export function newest(images: Image[]): Image | undefined {
  return [...images].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
}

const TTL_MS = 60 * 60_000;

export function createImageResolver(clients: AwsClients) {
  const cache = new Map<string, { at: number; choice: ImageChoice }>();

  async function describe(region: string, imageId: string): Promise<ImageChoice> {
    const out = await aws(`describe image ${imageId}`, () => clients.ec2(region).send(new DescribeImagesCommand({ ImageIds: [imageId] })));
    const im = out.Images?.[0];
    if (!im) throw new NotFoundError(`aws: image ${imageId} not found in ${region}`);
    return toChoice(im);
  }

  function toChoice(im: Image): ImageChoice {
    const rootDevice = im.RootDeviceName ?? '/dev/sda1';
    const root = im.BlockDeviceMappings?.find((b) => b.DeviceName === rootDevice);
    return { imageId: im.ImageId!, rootDevice, minRootGb: root?.Ebs?.VolumeSize ?? 8, name: im.Name };
  }

  async function resolveFresh(q: ImageQuery): Promise<ImageChoice> {
    if (q.imageId) {
      if (!/^ami-[0-9a-f]{8,17}$/.test(q.imageId)) throw new InvalidRequestError(`aws: image must be an AMI id (ami-…), got ${q.imageId}`);
      return describe(q.region, q.imageId);
    }
    if (q.gpu) {
      const out = await aws('find Deep Learning AMI', () =>
        clients.ec2(q.region).send(
          new DescribeImagesCommand({
            Owners: ['amazon'],
            Filters: [
              { Name: 'name', Values: [dlamiNamePattern(q.arch)] },
              { Name: 'architecture', Values: [q.arch] },
              { Name: 'state', Values: ['available'] },
            ],
          }),
        ),
      );
      const im = newest(out.Images ?? []);
      if (!im?.ImageId) throw new NotFoundError(`aws: no Deep Learning Base GPU AMI for ${q.arch} in ${q.region}`);
      return toChoice(im);
    }
    const name = ubuntuParameter(q.ubuntu ?? '24.04', q.arch);
    const out = await aws(`read SSM parameter ${name}`, () => clients.ssm(q.region).send(new GetParameterCommand({ Name: name })));
    const id = out.Parameter?.Value;
    if (!id) throw new NotFoundError(`aws: SSM parameter ${name} has no value in ${q.region}`);
    return describe(q.region, id);
  }

  return {
    async resolve(q: ImageQuery): Promise<ImageChoice> {
      const key = JSON.stringify([q.region, q.arch, q.gpu, q.ubuntu ?? '24.04', q.imageId ?? '']);
      const hit = cache.get(key);
      if (hit && Date.now() - hit.at < TTL_MS) return hit.choice;
      const choice = await resolveFresh(q);
      cache.set(key, { at: Date.now(), choice });
      return choice;
    },
  };
}

export type ImageResolver = ReturnType<typeof createImageResolver>;
