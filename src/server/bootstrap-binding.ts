/**
 * Binds bootstrap/ (cloud-init user-data, the on-host agent) to the engine and the store.
 * Lives in server/, the composition root, so neither the engine nor the API route knows
 * the other.
 *
 *  - renderUserDataHook: the engine's `ctx.renderUserData`. Cloud providers get the plain
 *    cloud-config text; each provider encodes it for its API (providers/user-data.ts), so
 *    nothing is base64'd or gzipped twice. The local provider gets none.
 *  - agentCallbackDeps: the store side of POST /v1/agent/:id/{stage,heartbeat}. Stages
 *    become `agent` events; a busy heartbeat moves `last_activity_at` (the idle monitor's
 *    clock), and a heartbeat is kept as an event only when the busy state changes.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { renderUserData, verifyAgentToken, type ImageOs } from '../bootstrap/index.js';
import type { UserDataInput } from '../engine/context.js';
import type { AgentHeartbeat, AgentRouteDeps } from '../api/routes/agent.js';
import { PermanentJobError } from '../queue/worker.js';
import { loadSshPublicKeys } from '../spec/ssh-keys.js';
import type { Spec } from '../spec/schema.js';
import { advanceActivity } from '../store/deployments.js';
import { appendEvent, latestAgentEvent } from '../store/events.js';
import type { DB } from '../store/types.js';

export interface RenderHookOptions {
  /** Base URL the machine's agent reports to (ALOFT_PUBLIC_URL, else the API URL). Read at render time. */
  controlPlaneUrl(): string | Promise<string>;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}

/**
 * The image each provider boots, as the builder needs to know it. AWS boots its Deep
 * Learning Base AMI (Ubuntu 22.04, NVIDIA drivers installed) for GPU offers and Ubuntu
 * 24.04 otherwise (providers/aws/images.ts); Hetzner and Exoscale boot Ubuntu 24.04 by
 * default and have no driver-ready image, so the nvidia block installs drivers there.
 */
export function imageFor(provider: string, offer: { gpu: { count: number } | null }): { os: ImageOs; gpuReady: boolean } {
  const gpu = !!offer.gpu && offer.gpu.count > 0;
  if (provider === 'aws' && gpu) return { os: 'ubuntu-22.04', gpuReady: true };
  return { os: 'ubuntu-24.04', gpuReady: false };
}

export function renderUserDataHook(opts: RenderHookOptions): (input: UserDataInput) => Promise<string | undefined> {
  const env = opts.env ?? process.env;
  let warned = false;
  return async (i) => {
    const provider = i.offer.provider;
    if (provider === 'local') return undefined;
    let spec: Spec = i.spec;
    if (spec.kind === 'devbox') {
      // The builder takes keys, not .pub paths; paths are relative to the spec's directory.
      try {
        spec = { ...spec, ssh_keys: await loadSshPublicKeys(spec.ssh_keys, i.deployment.base_dir ?? process.cwd()) };
      } catch (err) {
        throw new PermanentJobError((err as Error).message);
      }
    }
    let tailscaleAuthKey: string | undefined;
    if (spec.access?.tailscale) {
      const name = spec.access.tailscale.auth_key_env;
      tailscaleAuthKey = env[name];
      if (!tailscaleAuthKey) throw new PermanentJobError(`access.tailscale needs the auth key in $${name} on the control plane`);
    }
    const controlPlaneUrl = await opts.controlPlaneUrl();
    if (!warned && /^https?:\/\/(127\.|localhost|\[::1\])/.test(controlPlaneUrl)) {
      warned = true;
      opts.log?.warn({ controlPlaneUrl }, 'cloud machines report to a loopback URL they cannot reach; set ALOFT_PUBLIC_URL');
    }
    try {
      return renderUserData({
        spec,
        deployment: { id: i.deployment.id, name: i.deployment.name },
        offer: { provider, instanceType: i.offer.instanceType, gpu: i.offer.gpu ?? null },
        provider,
        image: imageFor(provider, i.offer),
        secrets: { upstreamSecret: i.upstreamSecret, agentToken: i.agentToken, tailscaleAuthKey },
        controlPlaneUrl,
        proxyPort: i.port,
        ...(i.tls ? { tls: i.tls } : {}),
      }).userData;
    } catch (err) {
      // A spec the builder cannot render will not render on a retry either.
      throw new PermanentJobError(`user-data: ${(err as Error).message}`);
    }
  };
}

export interface AgentDepsOptions {
  now?: () => number;
}

export function agentCallbackDeps(db: Kysely<DB>, opts: AgentDepsOptions = {}): AgentRouteDeps {
  const now = opts.now ?? Date.now;
  // The last busy state seen per deployment; filled from the latest heartbeat event on first use.
  const lastBusy = new Map<string, boolean>();

  async function previousBusy(id: string): Promise<boolean | null> {
    if (lastBusy.has(id)) return lastBusy.get(id)!;
    const last = await latestAgentEvent(db, id, 'heartbeat');
    return (last?.data as { busy?: boolean } | undefined)?.busy ?? null;
  }

  return {
    async verifyAgentToken(id, token) {
      // A destroyed deployment's hash is cleared by destroyJob: its token opens nothing.
      const row = await db.selectFrom('deployments').select(['agent_token_hash', 'status']).where('id', '=', id).executeTakeFirst();
      // No token (or a destroyed deployment) costs the same hash and compare as a wrong one.
      return verifyAgentToken(token, row && row.status !== 'destroyed' ? row.agent_token_hash : null);
    },

    async recordStage(id, stage, message, logTail) {
      const data: Record<string, unknown> = { stage };
      if (message) data.message = message;
      if (stage === 'failed' && logTail) data.log_tail = logTail;
      await appendEvent(db, { deploymentId: id, at: now(), type: 'agent', message: `stage ${stage}${message ? `: ${message}` : ''}`, data });
    },

    async recordHeartbeat(id, hb: AgentHeartbeat) {
      const at = now();
      if (hb.busy) await advanceActivity(db, id, at);
      const before = await previousBusy(id);
      lastBusy.set(id, hb.busy);
      if (before === hb.busy) return;
      const why = [`ssh ${hb.sshSessions}`, `gpu ${hb.gpuUtil === null ? 'none' : `${hb.gpuUtil}%`}`, `ollama ${hb.ollamaRunning}`].join(', ');
      await appendEvent(db, {
        deploymentId: id,
        at,
        type: 'agent',
        message: `heartbeat: ${hb.busy ? 'busy' : 'idle'} (${why})`,
        data: { busy: hb.busy, ssh_sessions: hb.sshSessions, gpu_util: hb.gpuUtil, ollama_running: hb.ollamaRunning },
      });
    },
  };
}
