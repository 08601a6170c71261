/** Prometheus `/metrics` on the API port (open, like /healthz): the gateway's registry and any others. */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

export function metricsRoute(registries: Registry[]) {
  return async function (app: FastifyInstance): Promise<void> {
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const merged = Registry.merge(registries);
      return reply.header('content-type', merged.contentType).send(await merged.metrics());
    });
  };
}
