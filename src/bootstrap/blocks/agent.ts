/**
 * phone home: the agent script, its root-only settings (control plane URL, deployment id,
 * token), and the systemd unit that keeps the heartbeat going across restarts.
 */
import type { Block } from '../types.js';
import { PATHS } from '../types.js';
import { AGENT_SCRIPT } from '../agent-script.js';
import { dedent, shellEnvFile } from '../shell.js';

export const AGENT_UNIT = dedent(`
  [Unit]
  Description=Aloft agent (heartbeats to the control plane)
  After=network-online.target
  Wants=network-online.target

  [Service]
  ExecStart=${PATHS.agentScript} loop
  Restart=always
  RestartSec=10

  [Install]
  WantedBy=multi-user.target
`);

export const agentBlock: Block = (ctx) => {
  const { input } = ctx;
  const env = {
    ALOFT_URL: input.controlPlaneUrl.replace(/\/+$/, ''),
    ALOFT_DEPLOYMENT_ID: input.deployment.id,
    ALOFT_AGENT_TOKEN: ctx.secrets.agentToken,
    ALOFT_KIND: input.spec.kind,
    ALOFT_WORKLOAD_PORT: ctx.workloadPort,
    ALOFT_HEARTBEAT_SECONDS: input.options?.heartbeatSeconds ?? 60,
  };
  return {
    files: [
      { path: PATHS.agentEnv, content: shellEnvFile(env), permissions: '0600' },
      { path: PATHS.agentScript, content: AGENT_SCRIPT, permissions: '0700' },
      { path: '/etc/systemd/system/aloft-agent.service', content: AGENT_UNIT, permissions: '0644' },
    ],
  };
};
