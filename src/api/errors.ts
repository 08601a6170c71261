/** The one HTTP error type at the edge: `{ error: { code, message } }` with a stable code. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { EngineError } from '../engine/engine.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof ApiError || err instanceof EngineError) {
    void reply.status(err.status).send({ error: { code: err.code, message: err.message } });
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    void reply.status(400).send({ error: { code: 'invalid_request', message: fe.message } });
    return;
  }
  if (fe.statusCode && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send({ error: { code: fe.code ?? 'bad_request', message: fe.message } });
    return;
  }
  req.log.error({ err: { message: err.message, stack: err.stack } }, 'unhandled error');
  void reply.status(500).send({ error: { code: 'internal', message: 'internal error; see the server log' } });
}
