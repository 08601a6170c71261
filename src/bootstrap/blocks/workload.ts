/**
 * service and app: the user's process on 127.0.0.1:<port> (HOST and PORT are set for it).
 *  - service with an image: `docker run` with the port published on 127.0.0.1 only.
 *  - service without an image: the command under systemd, as the unprivileged user `aloft`.
 *  - app: clone the repository (at `ref`), run `build` (a transient systemd unit with the
 *    service's user and environment, so values never reach a command line), then the command.
 * The command is written into a script file, so neither systemd nor docker re-parses it.
 */
import type { Block, BlockContext, WriteFile } from '../types.js';
import { PATHS } from '../types.js';
import { dedent, plainEnvFile, shq } from '../shell.js';

export const DEFAULT_WORKLOAD_PORT = 8080;
const RUN_SCRIPT = `${PATHS.lib}/workload.sh`;
const APP_DIR = '/opt/aloft/app';

function workloadEnv(ctx: BlockContext): Record<string, string> {
  const spec = ctx.input.spec;
  // In a container the process must listen on all of the container's addresses; the host
  // side of the published port is what is bound to 127.0.0.1.
  const env: Record<string, string> = { HOST: ctx.docker ? '0.0.0.0' : '127.0.0.1', PORT: String(ctx.workloadPort) };
  if (spec.kind === 'service' || spec.kind === 'app') {
    for (const name of Object.keys(spec.env ?? {})) env[name] = ctx.secrets.env[name] ?? '';
  }
  return env;
}

const unit = (workdir: string) =>
  dedent(`
    [Unit]
    Description=Aloft workload
    After=network-online.target
    Wants=network-online.target

    [Service]
    User=aloft
    WorkingDirectory=${workdir}
    EnvironmentFile=${PATHS.workloadEnv}
    ExecStart=${RUN_SCRIPT}
    Restart=on-failure
    RestartSec=5

    [Install]
    WantedBy=multi-user.target
  `);

/** Waits for the workload's health path (or any HTTP answer) on 127.0.0.1. */
export function waitForHttp(port: number, path: string, what: string): string {
  return dedent(`
    i=0
    until curl -fsS -o /dev/null --max-time 5 ${shq(`http://127.0.0.1:${port}${path}`)}; do
      i=$((i + 1)); [ "$i" -le 180 ] || { log "${what} did not answer on port ${port}"; return 1; }
      sleep 5
    done
  `);
}

export const workloadBlock: Block = (ctx) => {
  const spec = ctx.input.spec;
  if (spec.kind !== 'service' && spec.kind !== 'app') return null;
  const port = ctx.workloadPort;
  const files: WriteFile[] = [{ path: PATHS.workloadEnv, content: plainEnvFile(workloadEnv(ctx)), permissions: '0600' }];
  const health = spec.health ?? '/';
  const addUser = 'id aloft >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/aloft-workload --shell /usr/sbin/nologin aloft\n';

  if (spec.kind === 'service' && spec.image) {
    files.push({ path: RUN_SCRIPT, content: `#!/bin/sh\n${spec.command}\n`, permissions: '0755' });
    return {
      files,
      steps: [
        {
          name: 'workload',
          script:
            dedent(`
              docker pull ${shq(spec.image)}
              docker rm -f aloft-workload >/dev/null 2>&1 || true
              docker run -d --name aloft-workload --restart unless-stopped ${ctx.nvidia ? '--gpus all ' : ''}\\
                -p 127.0.0.1:${port}:${port} --env-file ${PATHS.workloadEnv} -v ${RUN_SCRIPT}:/aloft-run.sh:ro \\
                --entrypoint /bin/sh ${shq(spec.image)} /aloft-run.sh
            `) + waitForHttp(port, health, 'the service'),
        },
      ],
    };
  }

  files.push({ path: RUN_SCRIPT, content: `#!/bin/sh\nexec /bin/sh -c ${shq(spec.command)}\n`, permissions: '0755' });
  files.push({ path: '/etc/systemd/system/aloft-workload.service', content: unit(spec.kind === 'app' ? APP_DIR : '/var/lib/aloft-workload'), permissions: '0644' });
  const clone =
    spec.kind === 'app'
      ? dedent(`
          if [ ! -d ${APP_DIR}/.git ]; then
            install -d -o aloft -g aloft ${APP_DIR}
            runuser -u aloft -- git clone --quiet ${shq(spec.repository)} ${APP_DIR}
          fi
          ${spec.ref ? `runuser -u aloft -- git -C ${APP_DIR} checkout --quiet ${shq(spec.ref)}` : ':'}
          ${spec.build ? `systemd-run --quiet --wait --pipe --collect -p User=aloft -p WorkingDirectory=${APP_DIR} -p EnvironmentFile=${PATHS.workloadEnv} /bin/sh -c ${shq(spec.build)} </dev/null` : ':'}
        `)
      : '';
  return {
    packages: spec.kind === 'app' ? ['git'] : [],
    files,
    steps: [
      {
        name: 'workload',
        script:
          addUser +
          clone +
          dedent(`
            systemctl daemon-reload
            systemctl enable --now aloft-workload.service
          `) +
          waitForHttp(port, health, spec.kind === 'app' ? 'the app' : 'the service'),
      },
    ],
  };
};
