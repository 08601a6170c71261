/**
 * Binds the gateway's small contract (src/gateway/types.ts) to the store and the engine.
 * Lives in server/, the composition root, so the gateway itself imports neither.
 *
 * resolve() and keys.findByPrefix() are on every request: a ready deployment's target (with
 * its decrypted upstream secret) and a key's row (found or not) are kept for `cacheMs`
 * (default 500 ms); any other deployment status is read fresh, so wake-on-request polling
 * sees the engine's progress at once. The API in this process calls forgetKey() when it
 * creates or revokes a key, so that takes effect at once; a change made by another process
 * sharing the store takes effect within cacheMs.
 */
import type { Kysely } from 'kysely';
import { upstreamAuthHeader } from '../bootstrap/sha-crypt.js';
import type { Engine } from '../engine/engine.js';
import { lifecycleOf } from '../engine/workload.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { GatewayBackend, RouteTarget, StoredKey } from '../gateway/types.js';
import type { Spec } from '../spec/schema.js';
import { advanceActivity } from '../store/deployments.js';
import { findKeyByPrefix, touchKey } from '../store/keys.js';
import type { DB, Deployment } from '../store/types.js';

export interface StoreBackendDeps {
  db: Kysely<DB>;
  engine: Pick<Engine, 'requestStart'>;
  secrets: SecretBox;
  cacheMs?: number;
  now?: () => number;
}

export interface StoreGatewayBackend extends GatewayBackend {
  /** Drops a key's cached row (it was created or revoked). */
  forgetKey(prefix: string): void;
}

/** Bounds the caches: a flood of made-up names or prefixes cannot grow them without end. */
const MAX_CACHED = 10_000;

export function createStoreGatewayBackend(deps: StoreBackendDeps): StoreGatewayBackend {
  const { db } = deps;
  const cacheMs = deps.cacheMs ?? 500;
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; target: RouteTarget }>();
  const keyCache = new Map<string, { at: number; key: StoredKey | null }>();

  function toTarget(d: Deployment): RouteTarget | null {
    const spec = JSON.parse(d.spec_json) as Spec;
    // access.gateway: false keeps a deployment off the gateway entirely.
    if (spec.access?.gateway === false) return null;
    const policy = lifecycleOf(spec);
    let secret: string | null = null;
    if (d.upstream_secret) {
      try {
        secret = deps.secrets.open(d.upstream_secret);
      } catch {
        secret = null;
      }
    }
    // Cloud machines sit behind bootstrap's nginx key proxy, which checks HTTP Basic auth
    // (docs/bootstrap.md); local machines check the gateway's configured secret header.
    const cloud = d.provider !== null && d.provider !== 'local';
    return {
      deploymentId: d.id,
      name: d.name,
      status: d.status,
      upstreamUrl: d.endpoint,
      upstreamSecret: secret !== null && cloud ? upstreamAuthHeader(secret).authorization : secret,
      ...(cloud ? { upstreamSecretHeader: 'authorization' } : {}),
      // Its key proxy serves the certificate the control plane issued (engine/provision.ts).
      ...(cloud && d.tls_cert ? { upstreamCaPem: d.tls_cert } : {}),
      wakeOnRequest: policy.wakeOnRequest,
      wakeTimeoutMs: policy.wakeTimeoutMs,
    };
  }

  return {
    async resolve(name) {
      const hit = cache.get(name);
      if (hit && now() - hit.at < cacheMs) return hit.target;
      const d = await db
        .selectFrom('deployments')
        .selectAll()
        .where('name', '=', name)
        .where('status', 'not in', ['destroyed', 'failed'])
        .executeTakeFirst();
      const target = d ? toTarget(d) : null;
      if (target && target.status === 'ready') {
        if (cache.size > MAX_CACHED) cache.clear();
        cache.set(name, { at: now(), target });
      } else cache.delete(name);
      return target;
    },
    async requestWake(deploymentId) {
      const d = await db.selectFrom('deployments').select(['name', 'status']).where('id', '=', deploymentId).executeTakeFirst();
      if (!d) return;
      for (const [name, c] of cache) if (c.target.deploymentId === deploymentId) cache.delete(name);
      await deps.engine.requestStart(d.name, 'a request arrived through the gateway');
    },
    async recordActivity(batch) {
      if (batch.size === 0) return;
      await db.transaction().execute(async (tx) => {
        for (const [id, at] of batch) await advanceActivity(tx, id, at);
      });
    },
    keys: {
      async findByPrefix(prefix) {
        const hit = keyCache.get(prefix);
        const t = now();
        if (hit && t - hit.at < cacheMs) return hit.key;
        const k = await findKeyByPrefix(db, prefix);
        // Expiry is checked against the clock on every request (gateway/keys.ts), so a cached row never outlives it.
        const key: StoredKey | null = k ? { id: k.id, prefix: k.prefix, hash: k.hash, deploymentId: k.deployment_id, expiresAt: k.expires_at, revokedAt: k.revoked_at } : null;
        if (keyCache.size > MAX_CACHED) keyCache.clear();
        keyCache.set(prefix, { at: t, key });
        return key;
      },
      touch: (id, at) => touchKey(db, id, at),
    },
    forgetKey(prefix) {
      keyCache.delete(prefix);
    },
  };
}
