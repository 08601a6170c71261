/**
 * AWS SDK v3 clients for the provider, and the one place SDK errors become Aloft's typed errors.
 *
 * Credentials come from the SDK's default chain (environment, ~/.aws profiles, SSO, web
 * identity, container and instance metadata) unless given. The endpoint: the SDK itself
 * honours AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_SSM (and AWS_ENDPOINT_URL, and the
 * `endpoint_url` of a profile), verified in test/providers-aws.test.ts; an explicit
 * `endpoint` option wins over them.
 *
 * `maxAttempts` is low on purpose: the engine retries with its own backoff and knows what
 * else is going on, so an SDK that retried ten times would only hide throttling from it.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  AuthError,
  CapacityError,
  InvalidRequestError,
  isProviderError,
  NotFoundError,
  type ProviderError,
  QuotaError,
  ThrottledError,
  TransientError,
} from '../errors.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  credentials?: AwsCredentials;
  /** EC2 endpoint (e.g. a test double); default: the SDK's resolution (AWS_ENDPOINT_URL_EC2, …). */
  endpoint?: string;
  /** SSM endpoint; default: `endpoint` when given, else the SDK's resolution (AWS_ENDPOINT_URL_SSM). */
  ssmEndpoint?: string;
  /** SDK attempts per call, including the first (default 2). */
  maxAttempts?: number;
  /** Per-request socket timeout in ms (default 20000). */
  requestTimeoutMs?: number;
}

export interface AwsClients {
  ec2(region: string): EC2Client;
  ssm(region: string): SSMClient;
  destroy(): void;
}

export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  // The SDK warns on every Node 20 process start; Aloft supports Node 20, so keep stderr clean.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const ec2s = new Map<string, EC2Client>();
  const ssms = new Map<string, SSMClient>();
  const common = (region: string) => ({
    region,
    credentials: opts.credentials,
    maxAttempts: opts.maxAttempts ?? 2,
    // throwOnRequestTimeout: without it the SDK only logs a warning when a request overruns.
    requestHandler: { requestTimeout: opts.requestTimeoutMs ?? 20_000, connectionTimeout: 5_000, throwOnRequestTimeout: true },
  });
  return {
    ec2(region) {
      let c = ec2s.get(region);
      if (!c) {
        c = new EC2Client({ ...common(region), ...(opts.endpoint ? { endpoint: opts.endpoint } : {}) });
        ec2s.set(region, c);
      }
      return c;
    },
    ssm(region) {
      let c = ssms.get(region);
      if (!c) {
        const endpoint = opts.ssmEndpoint ?? opts.endpoint;
        c = new SSMClient({ ...common(region), ...(endpoint ? { endpoint } : {}) });
        ssms.set(region, c);
      }
      return c;
    },
    destroy() {
      for (const c of ec2s.values()) c.destroy();
      for (const c of ssms.values()) c.destroy();
      ec2s.clear();
      ssms.clear();
    },
  };
}

const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'Unsupported',
  'SpotMaxPriceTooLow',
  'InsufficientFreeAddressesInSubnet',
]);
const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'SlowDown']);
const AUTH = new Set([
  'AuthFailure',
  'UnauthorizedOperation',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'AccessDeniedException',
  'OptInRequired',
  'Blocked',
  'CredentialsProviderError',
  'TokenProviderError',
]);
const QUOTA = new Set([
  'VcpuLimitExceeded',
  'InstanceLimitExceeded',
  'MaxSpotInstanceCountExceeded',
  'VolumeLimitExceeded',
  'SnapshotLimitExceeded',
  'SecurityGroupLimitExceeded',
  'RulesPerSecurityGroupLimitExceeded',
  'ResourceLimitExceeded',
]);
const TRANSIENT = new Set(['InternalError', 'InternalFailure', 'ServiceUnavailable', 'Unavailable', 'RequestTimeout', 'RequestExpired', 'IncorrectInstanceState', 'IncorrectState']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/** Seconds or an HTTP date, as in Retry-After. */
function retryAfterMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/**
 * Maps an SDK error to Aloft's typed errors. `what` says what was being done, for the message.
 * The AWS message is kept (it never holds a secret); the cloud's code goes to providerCode.
 */
export function mapAwsError(err: unknown, what: string): ProviderError {
  if (isProviderError(err)) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const code = e.Code ?? e.name ?? 'Unknown';
  const status = e.$metadata?.httpStatusCode;
  const msg = `aws: ${what}: ${code}${e.message && e.message !== code ? `: ${e.message}` : ''}`;
  const opts = { providerCode: code, cause: err };
  if (CAPACITY.has(code)) return new CapacityError(msg, opts);
  if (THROTTLED.has(code) || status === 429) return new ThrottledError(msg, { ...opts, retryAfterMs: retryAfterMs(e.$response?.headers?.['retry-after']) });
  if (AUTH.has(code) || status === 401 || status === 403) return new AuthError(msg, opts);
  if (QUOTA.has(code)) return new QuotaError(msg, opts);
  if (code.endsWith('.NotFound') || code === 'ParameterNotFound') return new NotFoundError(msg, opts);
  if (TRANSIENT.has(code) || e.$fault === 'server' || (status !== undefined && status >= 500)) return new TransientError(msg, opts);
  if (code === 'TimeoutError' || NETWORK.has(e.code ?? '') || code === 'AbortError') return new TransientError(msg, opts);
  if (e.$fault === 'client' || (status !== undefined && status >= 400)) return new InvalidRequestError(msg, opts);
  // Not an AWS answer at all (e.g. a socket error the SDK did not wrap): retrying may help.
  return new TransientError(msg, opts);
}

/** Runs one SDK call and maps what it throws. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    // A programming error is a bug: let it surface as itself.
    if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError) throw err;
    throw mapAwsError(err, what);
  }
}
