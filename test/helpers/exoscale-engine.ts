/**
 * The engine harness (engine-harness.ts) with the Exoscale provider pointed at the Exoscale
 * API double. Used in-process by test/e2e-exoscale-crash.test.ts, and as a child process (run
 * this file, see runHarnessMain) for its SIGKILL test.
 */
import { tlsComment } from './tls-stand-in.js';
import { runHarnessMain, startEngineHarness, type EngineHarness } from './engine-harness.js';
import { createExoscaleProvider } from '../../src/providers/exoscale/index.js';
import type { PlannedOffer } from '../../src/catalog/types.js';

/** The API key the double is started with (test-only, not a secret). */
export const EXO_TEST_KEY = 'EXOcrash000000000000000000';
export const EXO_TEST_SECRET = 'crash-test-secret';

export type ExoscaleEngine = EngineHarness;

/** A planned Exoscale offer (the catalog rows are not needed: the plan is fixed). */
export function exoOffer(instanceType: string, gpu: PlannedOffer['gpu'], price: number, region = 'ch-gva-2'): PlannedOffer {
  return { provider: 'exoscale', region, instanceType, gpu, vcpus: 8, memoryGb: 56, arch: 'x86_64', pricePerHour: price, spot: false, hourlyUsd: price, monthlyUsd: price * 730 };
}

export async function startExoscaleEngine(opts: { dbUrl: string; doubleUrl: string; offers: PlannedOffer[]; masterKey: Buffer }): Promise<ExoscaleEngine> {
  const provider = createExoscaleProvider({
    key: EXO_TEST_KEY,
    secret: EXO_TEST_SECRET,
    zone: opts.offers[0]?.region ?? 'ch-gva-2',
    endpoint: opts.doubleUrl,
    timeoutMs: 60_000,
    operationPollMs: 10,
    operationTimeoutMs: 10_000,
  });
  return startEngineHarness({
    ...opts,
    provider,
    renderUserData: async (i) => `#cloud-config\n# aloft deployment ${i.deployment.id} (${i.spec.kind}) on ${i.offer.instanceType}\n${tlsComment(i.tls)}`,
  });
}

runHarnessMain(import.meta.url, startExoscaleEngine);
