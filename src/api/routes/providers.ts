/**
 * GET /v1/providers: for each provider this server knows, whether it is configured (its
 * credentials are in the server's environment), whether they work (the provider's own
 * `check()`, bounded by a timeout) and what quota the provider reports; the cloud
 * providers Aloft ships but the server has no credentials for are listed with the
 * variables to set. See providers/check-all.ts.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PROVIDER_SETUP, checkProviders, type CheckProvidersOptions } from '../../providers/check-all.js';
import { ApiError } from '../errors.js';

export const ProviderCheckView = Type.Object({
  provider: Type.String(),
  configured: Type.Boolean(),
  ok: Type.Boolean(),
  message: Type.String({ description: 'One line; never a secret' }),
  quota: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]))),
  ms: Type.Optional(Type.Integer({ description: 'How long the check took' })),
});

export function providerRoutes(deps: CheckProvidersOptions) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/v1/providers',
      { schema: { querystring: Type.Object({ name: Type.Optional(Type.String()) }), response: { 200: Type.Array(ProviderCheckView) } } },
      async (req) => {
        const { name } = req.query as { name?: string };
        if (name !== undefined && !deps.providers.has(name) && !(name in PROVIDER_SETUP)) {
          throw new ApiError(404, 'unknown_provider', `unknown provider "${name}"; configured providers: ${[...deps.providers.keys()].join(', ')}`);
        }
        return checkProviders(deps, name);
      },
    );
  };
}
