/**
 * User-data size limits per provider, and fitting a document into them.
 *
 *  - aws: 16 KB of raw user-data, measured before the API's base64. EC2 passes bytes
 *    through, so gzip is accepted (cloud-init recognises the gzip magic).
 *  - exoscale: the API field is base64 with maxLength 32768 (cloud-specs/exoscale-v2);
 *    bytes are passed through, gzip accepted.
 *  - oci: metadata.user_data is base64; all metadata must stay within 32,000 bytes; gzip accepted.
 *  - hetzner: user_data is a JSON string limited to 32 KiB: text only, no gzip.
 *  - gcp: the `user-data` metadata value is text, 256 KB: no gzip.
 */
import { gzipSync } from 'node:zlib';

export interface ProviderLimit {
  /** The limit in bytes. */
  maxBytes: number;
  /** What is measured: the raw document, or its base64 form as sent in the API. */
  measure: 'raw' | 'base64';
  /** The provider passes bytes through, so a gzip-compressed document works. */
  gzip: boolean;
  /** How the API field carries it: base64 (EC2 RunInstances, Exoscale, OCI) or text (Hetzner, GCP). */
  api: 'base64' | 'text';
}

export const PROVIDER_LIMITS: Readonly<Record<string, ProviderLimit>> = {
  aws: { maxBytes: 16 * 1024, measure: 'raw', gzip: true, api: 'base64' },
  exoscale: { maxBytes: 32 * 1024, measure: 'base64', gzip: true, api: 'base64' },
  oci: { maxBytes: 32_000, measure: 'base64', gzip: true, api: 'base64' },
  hetzner: { maxBytes: 32 * 1024, measure: 'raw', gzip: false, api: 'text' },
  gcp: { maxBytes: 256 * 1024, measure: 'raw', gzip: false, api: 'text' },
};

export interface FittedUserData {
  provider: string;
  /** What to send: the text itself, or gzip bytes (base64 them where the API wants base64). */
  body: string | Buffer;
  encoding: 'plain' | 'gzip';
  /** Size as the provider measures it. */
  bytes: number;
  limit: number;
  /** The value to put in the provider's API field (base64 of body, or the text itself). */
  apiValue: string;
}

export class UserDataTooLargeError extends Error {
  constructor(
    readonly provider: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`user-data for ${provider} is ${bytes} bytes, over its limit of ${limit} bytes even ${PROVIDER_LIMITS[provider]?.gzip ? 'gzip-compressed' : 'uncompressed (it takes no gzip)'}`);
    this.name = 'UserDataTooLargeError';
  }
}

const measured = (limit: ProviderLimit, bytes: number) => (limit.measure === 'base64' ? Math.ceil(bytes / 3) * 4 : bytes);

/**
 * Returns the user-data to send to `provider`: plain when it fits, gzip-compressed when
 * the provider accepts that and plain does not fit. Throws UserDataTooLargeError otherwise.
 */
export function fitForProvider(provider: string, userData: string): FittedUserData {
  const limit = PROVIDER_LIMITS[provider];
  if (!limit) throw new Error(`no user-data limit is known for provider "${provider}" (known: ${Object.keys(PROVIDER_LIMITS).join(', ')})`);
  const api = (body: string | Buffer) => (limit.api === 'text' ? String(body) : Buffer.from(body).toString('base64'));
  const plain = measured(limit, Buffer.byteLength(userData, 'utf8'));
  if (plain <= limit.maxBytes) return { provider, body: userData, encoding: 'plain', bytes: plain, limit: limit.maxBytes, apiValue: api(userData) };
  if (limit.gzip) {
    const gz = gzipSync(Buffer.from(userData, 'utf8'), { level: 9 });
    const size = measured(limit, gz.length);
    if (size <= limit.maxBytes) return { provider, body: gz, encoding: 'gzip', bytes: size, limit: limit.maxBytes, apiValue: api(gz) };
    throw new UserDataTooLargeError(provider, size, limit.maxBytes);
  }
  throw new UserDataTooLargeError(provider, plain, limit.maxBytes);
}
