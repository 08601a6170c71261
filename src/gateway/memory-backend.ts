/**
 * A GatewayBackend held in memory: deployments and keys in Maps. The tests and the
 * benchmark use it; it is also the shape the store-backed backend follows.
 */
import { newKeyRecord } from './keys.js';
import type { GatewayBackend, RouteTarget, StoredKey } from './types.js';

export interface MemoryBackend extends GatewayBackend {
  deployments: Map<string, RouteTarget>;
  storedKeys: Map<string, StoredKey & { lastUsedAt?: number }>;
  /** Every batch recordActivity received, oldest first. */
  activityBatches: Array<Map<string, number>>;
  wakeRequests: string[];
  /** Called on each requestWake (after it is recorded). */
  onWake: ((deploymentId: string) => void | Promise<void>) | null;
  put(target: Partial<RouteTarget> & Pick<RouteTarget, 'name'>): RouteTarget;
  update(name: string, patch: Partial<RouteTarget>): void;
  addKey(opts?: { deploymentId?: string | null; expiresAt?: number | null }): { key: string; row: StoredKey };
  revoke(prefix: string, at?: number): void;
}

export function createMemoryBackend(): MemoryBackend {
  const byName = new Map<string, RouteTarget>();
  const keys = new Map<string, StoredKey & { lastUsedAt?: number }>();
  const b: MemoryBackend = {
    deployments: byName,
    storedKeys: keys,
    activityBatches: [],
    wakeRequests: [],
    onWake: null,
    async resolve(name) {
      const t = byName.get(name);
      return t ? { ...t } : null;
    },
    async requestWake(id) {
      b.wakeRequests.push(id);
      await b.onWake?.(id);
    },
    async recordActivity(batch) {
      b.activityBatches.push(new Map(batch));
    },
    keys: {
      async findByPrefix(prefix) {
        const k = keys.get(prefix);
        return k ? { ...k } : null;
      },
      async touch(id, at) {
        for (const k of keys.values()) if (k.id === id) k.lastUsedAt = at;
      },
    },
    put(t) {
      const full: RouteTarget = {
        deploymentId: t.deploymentId ?? `dep-${t.name}`,
        name: t.name,
        status: t.status ?? 'ready',
        upstreamUrl: t.upstreamUrl ?? null,
        upstreamSecret: t.upstreamSecret ?? null,
        ...(t.upstreamSecretHeader ? { upstreamSecretHeader: t.upstreamSecretHeader } : {}),
        ...(t.upstreamCaPem ? { upstreamCaPem: t.upstreamCaPem } : {}),
        wakeOnRequest: t.wakeOnRequest ?? true,
        wakeTimeoutMs: t.wakeTimeoutMs ?? 300_000,
      };
      byName.set(t.name, full);
      return full;
    },
    update(name, patch) {
      const t = byName.get(name);
      if (!t) throw new Error(`no deployment ${name}`);
      Object.assign(t, patch);
    },
    addKey(opts = {}) {
      const { key, row } = newKeyRecord(opts);
      keys.set(row.prefix, row);
      return { key, row };
    },
    revoke(prefix, at = Date.now()) {
      const k = keys.get(prefix);
      if (k) k.revokedAt = at;
    },
  };
  return b;
}
