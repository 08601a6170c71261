/**
 * The engine harness (engine-harness.ts) with the AWS provider pointed at the EC2 double.
 * Used in-process by test/e2e-aws.test.ts, and as a child process (run this file, see
 * runHarnessMain) for its SIGKILL test.
 */
import { tlsComment } from './tls-stand-in.js';
import { runHarnessMain, startEngineHarness, type EngineHarness } from './engine-harness.js';
import type { UserDataInput } from '../../src/engine/context.js';
import { createAwsProvider } from '../../src/providers/aws/index.js';
import { awsOffers } from '../../src/providers/aws/catalog.js';
import type { PlannedOffer } from '../../src/catalog/types.js';
import { TEST_KEY } from '../doubles/ec2-double.js';

export type AwsEngine = EngineHarness;

/** Planned offers for these instance types, in this order, from the real AWS catalog. */
export function plannedOffers(region: string, types: string[]): PlannedOffer[] {
  const all = awsOffers({ regions: [region] });
  return types.map((t) => {
    const o = all.find((x) => x.instanceType === t);
    if (!o) throw new Error(`no catalog row for ${t}`);
    return { ...o, spot: false, hourlyUsd: o.pricePerHour, monthlyUsd: o.pricePerHour * 730 };
  });
}

/** What the bootstrap module will render; enough for the double to check it arrived intact. */
export async function renderUserData(i: UserDataInput): Promise<string> {
  return [
    '#cloud-config',
    `# aloft deployment ${i.deployment.id} (${i.spec.kind}) on ${i.offer.instanceType}`,
    'write_files:',
    '  - path: /etc/aloft/proxy.env',
    "    permissions: '0600'",
    `    content: "ALOFT_PORT=${i.port}\\nALOFT_UPSTREAM_SECRET=${i.upstreamSecret}\\n"`,
    tlsComment(i.tls),
  ].join('\n');
}

export async function startAwsEngine(opts: { dbUrl: string; doubleUrl: string; offers: PlannedOffer[]; masterKey: Buffer }): Promise<AwsEngine> {
  const provider = createAwsProvider({
    region: opts.offers[0]?.region ?? 'us-east-1',
    endpoint: opts.doubleUrl,
    credentials: TEST_KEY,
    maxAttempts: 1,
    sgDeleteAttempts: 2,
    sgDeleteDelayMs: 100,
    requestTimeoutMs: 10_000,
  });
  return startEngineHarness({ ...opts, provider, renderUserData });
}

runHarnessMain(import.meta.url, startAwsEngine);
