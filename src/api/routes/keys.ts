/**
 * Gateway keys. A key is shown once, in the answer to POST; the store keeps only its
 * SHA-256 hash and a short public prefix (src/gateway/keys.ts). List and revoke by prefix.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Kysely } from 'kysely';
import { newKeyRecord, normalizePrefix } from '../../gateway/keys.js';
import { DurationError, parseDuration } from '../../spec/duration.js';
import { findLiveByName } from '../../store/deployments.js';
import { findKeyByPrefix, insertKey, listKeys, revokeKey } from '../../store/keys.js';
import type { DB } from '../../store/types.js';
import { ApiError } from '../errors.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const KeyView = Type.Object({
  prefix: Type.String({ description: 'Public prefix: the characters after aloft_' }),
  name: Nullable(Type.String()),
  deployment: Nullable(Type.String({ description: 'Deployment the key opens; null: all' })),
  created_at: Type.String(),
  expires_at: Nullable(Type.String()),
  revoked_at: Nullable(Type.String()),
  last_used_at: Nullable(Type.String()),
  state: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
});
export type KeyView = Static<typeof KeyView>;

const CreatedKey = Type.Intersect([KeyView, Type.Object({ key: Type.String({ description: 'The key; shown this once' }) })]);

const CreateBody = Type.Object(
  {
    deployment: Type.Optional(Type.String({ description: 'Scope the key to this deployment (name)' })),
    expires: Type.Optional(Type.Union([Type.String(), Type.Number({ minimum: 0 })], { description: 'Lifetime: 30d, 12h, or seconds' })),
    name: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface KeyRouteOptions {
  now?: () => number;
  /** A key was created or revoked: the gateway drops what it cached of it. */
  onChange?: (prefix: string) => void;
}

export function keyRoutes(db: Kysely<DB>, opts: KeyRouteOptions = {}) {
  const now = opts.now ?? Date.now;
  const changed = opts.onChange ?? (() => {});
  return async function (app: FastifyInstance): Promise<void> {
    async function names(): Promise<Map<string, string>> {
      const rows = await db.selectFrom('deployments').select(['id', 'name']).execute();
      return new Map(rows.map((r) => [r.id, r.name]));
    }
    function view(k: Awaited<ReturnType<typeof listKeys>>[number], byId: Map<string, string>): KeyView {
      const t = now();
      return {
        prefix: k.prefix,
        name: k.name,
        deployment: k.deployment_id === null ? null : (byId.get(k.deployment_id) ?? k.deployment_id),
        created_at: iso(k.created_at)!,
        expires_at: iso(k.expires_at),
        revoked_at: iso(k.revoked_at),
        last_used_at: iso(k.last_used_at),
        state: k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= t ? 'expired' : 'active',
      };
    }

    app.post('/v1/keys', { schema: { body: CreateBody, response: { 201: CreatedKey } } }, async (req, reply) => {
      const body = req.body as Static<typeof CreateBody>;
      let deploymentId: string | null = null;
      if (body.deployment !== undefined) {
        const d = await findLiveByName(db, body.deployment);
        if (!d) throw new ApiError(404, 'not_found', `no deployment named ${body.deployment}`);
        deploymentId = d.id;
      }
      let expiresAt: number | null = null;
      if (body.expires !== undefined) {
        try {
          const ms = parseDuration(body.expires);
          if (ms <= 0) throw new DurationError('the lifetime must be more than 0');
          expiresAt = now() + ms;
        } catch (err) {
          throw new ApiError(400, 'invalid_request', `expires: ${(err as Error).message}`);
        }
      }
      const { key, row } = newKeyRecord({ deploymentId, expiresAt, name: body.name ?? null }, now());
      await insertKey(db, {
        id: row.id,
        prefix: row.prefix,
        hash: row.hash,
        name: row.name,
        deployment_id: row.deploymentId,
        created_at: row.createdAt,
        expires_at: row.expiresAt,
        revoked_at: null,
        last_used_at: null,
      });
      changed(row.prefix);
      const byId = new Map(deploymentId && body.deployment ? [[deploymentId, body.deployment]] : []);
      const v = view({ id: row.id, prefix: row.prefix, hash: row.hash, name: row.name, deployment_id: row.deploymentId, created_at: row.createdAt, expires_at: row.expiresAt, revoked_at: null, last_used_at: null }, byId);
      return reply.status(201).send({ ...v, key });
    });

    app.get('/v1/keys', { schema: { response: { 200: Type.Array(KeyView) } } }, async () => {
      const byId = await names();
      return (await listKeys(db)).map((k) => view(k, byId));
    });

    app.delete('/v1/keys/:prefix', { schema: { params: Type.Object({ prefix: Type.String() }), response: { 200: KeyView } } }, async (req) => {
      const prefix = normalizePrefix((req.params as { prefix: string }).prefix);
      const existing = await findKeyByPrefix(db, prefix);
      if (!existing) throw new ApiError(404, 'not_found', `no key with prefix ${prefix}`);
      if (existing.revoked_at === null) {
        await revokeKey(db, prefix, now());
        changed(prefix);
      }
      return view((await findKeyByPrefix(db, prefix))!, await names());
    });
  };
}
