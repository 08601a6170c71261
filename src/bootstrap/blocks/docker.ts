/**
 * docker: the distribution's docker.io on Ubuntu 24.04 and Debian 12 (recent enough, kept
 * patched by the distribution); Docker's own repository on Ubuntu 22.04, whose docker.io
 * lags and lacks the compose plugin. Skipped when the image already has Docker (GPU AMIs).
 */
import type { Block } from '../types.js';
import { dedent } from '../shell.js';

export const dockerBlock: Block = (ctx) => {
  if (!ctx.docker) return null;
  const fromDockerRepo = ctx.os === 'ubuntu-22.04';
  const install = fromDockerRepo
    ? dedent(`
        install -m 0755 -d /etc/apt/keyrings
        curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc
        chmod a+r /etc/apt/keyrings/docker.asc
        . /etc/os-release
        echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu $VERSION_CODENAME stable" > /etc/apt/sources.list.d/docker.list
        apt_install docker-ce docker-ce-cli containerd.io
      `)
    : 'apt_install docker.io\n';
  return {
    steps: [
      {
        name: 'docker',
        script:
          'if command -v docker >/dev/null 2>&1; then log "docker already installed"; else\n' +
          install.replace(/^/gm, '  ').replace(/\s+$/, '\n') +
          'fi\nsystemctl enable --now docker\n',
      },
    ],
  };
};
