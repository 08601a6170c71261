/**
 * The on-host agent's callbacks: stage reports and heartbeats.
 *
 *   POST /v1/agent/:deploymentId/stage      { stage, message?, log_tail? }
 *   POST /v1/agent/:deploymentId/heartbeat  { ssh_sessions, gpu_util, ollama_running, busy }
 *
 * Authorization: Bearer <agent token> — one token per deployment, checked by
 * deps.verifyAgentToken (a hash comparison in constant time; revoking is replacing the
 * hash). A bad token is 401 before the body is looked at, so the endpoint tells nothing
 * to someone without a token. Bodies are TypeBox schemas (also in the OpenAPI document).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';

export const AGENT_STAGES = ['booting', 'installing', 'pulling_model', 'rebooting', 'ready', 'failed'] as const;
export type AgentStage = (typeof AGENT_STAGES)[number];

export const AgentParams = Type.Object({ deploymentId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });

export const StageBody = Type.Object(
  {
    stage: Type.Union(AGENT_STAGES.map((s) => Type.Literal(s))),
    message: Type.Optional(Type.String({ maxLength: 2000 })),
    log_tail: Type.Optional(Type.String({ maxLength: 16_000, description: 'The last lines of /var/log/aloft-bootstrap.log' })),
  },
  { additionalProperties: false },
);

export const HeartbeatBody = Type.Object(
  {
    ssh_sessions: Type.Integer({ minimum: 0 }),
    // One JSON type list rather than a union: with Fastify's type coercion a union turns null into 0.
    gpu_util: Type.Unsafe<number | null>({ type: ['number', 'null'], minimum: 0, maximum: 100, description: 'Highest GPU utilisation in percent; null without a GPU' }),
    ollama_running: Type.Integer({ minimum: 0, description: 'Requests in flight at Ollama' }),
    busy: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const AgentError = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });

export interface AgentHeartbeat {
  busy: boolean;
  sshSessions: number;
  gpuUtil: number | null;
  ollamaRunning: number;
}

export interface AgentRouteDeps {
  verifyAgentToken(deploymentId: string, token: string): Promise<boolean>;
  recordStage(deploymentId: string, stage: string, message?: string, logTail?: string): Promise<void>;
  recordHeartbeat(deploymentId: string, hb: AgentHeartbeat): Promise<void>;
}

type Params = Static<typeof AgentParams>;

const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer ([^\s]+)$/.exec(h.trim());
  return m ? m[1]! : null;
}

/** 401 unless the bearer token belongs to the deployment; 400 for a body that fails its schema. */
async function admit(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply, deps: AgentRouteDeps): Promise<boolean> {
  const token = bearer(req);
  const id = (req.params as Partial<Params>)?.deploymentId;
  if (!token || typeof id !== 'string' || !(await deps.verifyAgentToken(id, token))) {
    fail(reply, 401, 'unauthorized', 'a valid agent token for this deployment is required');
    return false;
  }
  if (req.validationError) {
    fail(reply, 400, 'invalid_request', req.validationError.message);
    return false;
  }
  return true;
}

export function agentRoutes(app: FastifyInstance, deps: AgentRouteDeps): void {
  const responses = { 204: Type.Null(), 400: AgentError, 401: AgentError };

  app.post<{ Params: Params; Body: Static<typeof StageBody> }>(
    '/v1/agent/:deploymentId/stage',
    { schema: { params: AgentParams, body: StageBody, response: responses }, attachValidation: true },
    async (req, reply) => {
      if (!(await admit(req, reply, deps))) return reply;
      const { stage, message, log_tail } = req.body;
      await deps.recordStage(req.params.deploymentId, stage, message, log_tail);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Params; Body: Static<typeof HeartbeatBody> }>(
    '/v1/agent/:deploymentId/heartbeat',
    { schema: { params: AgentParams, body: HeartbeatBody, response: responses }, attachValidation: true },
    async (req, reply) => {
      if (!(await admit(req, reply, deps))) return reply;
      const b = req.body;
      await deps.recordHeartbeat(req.params.deploymentId, {
        busy: b.busy,
        sshSessions: b.ssh_sessions,
        gpuUtil: b.gpu_util,
        ollamaRunning: b.ollama_running,
      });
      return reply.code(204).send();
    },
  );
}
