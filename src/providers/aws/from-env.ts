/**
 * `fromEnv(env)`: the AWS provider when credentials can be discovered, else null — without
 * contacting AWS, and without hanging off EC2: the instance metadata service is probed only
 * when asked (ALOFT_AWS_USE_IMDS=true or an explicit endpoint) and nothing else is configured,
 * with a short timeout (on a laptop 169.254.169.254 is a black hole, and a CLI must not wait
 * seconds for it).
 *
 * Discoverable means: keys in the environment, a profile (AWS_PROFILE or ~/.aws files),
 * web identity, container credentials, or an instance role. The SDK's default chain then does
 * the actual resolution (including SSO), so nothing here reads a secret beyond presence.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AwsProvider, AwsProviderOptions } from './index.js';

type Env = Record<string, string | undefined>;

function configuredWithoutImds(env: Env): boolean {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return true;
  if (env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE) return true;
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return true;
  const home = env.HOME ?? homedir();
  const files = [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'), env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config')];
  return files.some((f) => existsSync(f));
}

function request(url: URL, method: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

/** Whether the instance metadata service offers a role (IMDSv2: token first). */
export async function imdsHasRole(env: Env, timeoutMs = 300): Promise<boolean> {
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') return false;
  // Opt-in: never send traffic to the link-local metadata address from a machine that did
  // not ask for it (ALOFT_AWS_USE_IMDS=true on an EC2 instance with a role, or an explicit
  // AWS_EC2_METADATA_SERVICE_ENDPOINT).
  if (env.ALOFT_AWS_USE_IMDS?.toLowerCase() !== 'true' && !env.AWS_EC2_METADATA_SERVICE_ENDPOINT) return false;
  const base = env.AWS_EC2_METADATA_SERVICE_ENDPOINT ?? 'http://169.254.169.254';
  let url: URL;
  try {
    url = new URL('/latest/api/token', base);
  } catch {
    return false;
  }
  const token = await request(url, 'PUT', { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, timeoutMs);
  if (!token || token.status !== 200 || !token.body) return false;
  const role = await request(new URL('/latest/meta-data/iam/security-credentials/', base), 'GET', { 'x-aws-ec2-metadata-token': token.body }, timeoutMs);
  return Boolean(role && role.status === 200 && role.body.trim());
}

export async function fromEnv(env: Env = process.env, extra: Omit<AwsProviderOptions, 'credentials'> = {}): Promise<AwsProvider | null> {
  if (!configuredWithoutImds(env) && !(await imdsHasRole(env))) return null;
  const { createAwsProvider } = await import('./index.js');
  const region = extra.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const regions = extra.regions ?? (env.ALOFT_AWS_REGIONS ? env.ALOFT_AWS_REGIONS.split(',').map((r) => r.trim()).filter(Boolean) : undefined);
  if (env === process.env) {
    // The SDK reads credentials and AWS_ENDPOINT_URL_EC2 / _SSM from process.env itself.
    return createAwsProvider({ ...extra, region, regions });
  }
  // Another environment (a test, a per-user config): hand its settings over explicitly.
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN }
      : undefined;
  const endpoint = extra.endpoint ?? env.AWS_ENDPOINT_URL_EC2 ?? env.AWS_ENDPOINT_URL;
  const ssmEndpoint = extra.ssmEndpoint ?? env.AWS_ENDPOINT_URL_SSM ?? env.AWS_ENDPOINT_URL;
  return createAwsProvider({ ...extra, region, regions, credentials, endpoint, ssmEndpoint });
}
