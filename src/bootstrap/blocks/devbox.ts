/**
 * devbox: a user with the spec's SSH keys, a home that lives on the data volume (bind
 * mounted, so it survives the machine), and sshd with password and root login off.
 * Keys live in /etc/ssh/authorized_keys/<user>, outside the home, so they apply even
 * before the volume is mounted and whatever the persistent home holds.
 */
import type { Block } from '../types.js';
import { dedent, shq } from '../shell.js';

export const DEFAULT_DEVBOX_USER = 'dev';
/** A fixed uid, so files on a persistent home keep their owner on a new machine. */
const DEVBOX_UID = 2000;

/** An OpenSSH public key line (the spec module resolves `.pub` paths into these). */
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+[A-Za-z0-9+/]+={0,3}(\s[^\r\n]*)?$/;

export const devboxBlock: Block = (ctx) => {
  const spec = ctx.input.spec;
  if (spec.kind !== 'devbox') return null;
  spec.ssh_keys.forEach((k, i) => {
    if (!PUBLIC_KEY.test(k.trim())) {
      throw new Error(`ssh_keys[${i}] is not an OpenSSH public key; resolve .pub paths before rendering (the spec module's loadSshPublicKeys)`);
    }
  });
  const user = spec.user ?? DEFAULT_DEVBOX_USER;
  const home = `/home/${user}`;
  const persistent = ctx.dataDir ? `${ctx.dataDir}/home/${user}` : null;
  return {
    cloudConfig: { ssh_pwauth: false, disable_root: true },
    files: [
      {
        path: '/etc/ssh/sshd_config.d/10-aloft.conf',
        // Lower numbers win in sshd_config.d: this beats cloud-init's 50-cloud-init.conf.
        content: dedent(`
          PasswordAuthentication no
          KbdInteractiveAuthentication no
          PermitRootLogin no
          AuthorizedKeysFile /etc/ssh/authorized_keys/%u .ssh/authorized_keys
        `),
        permissions: '0644',
      },
      { path: `/etc/ssh/authorized_keys/${user}`, content: spec.ssh_keys.map((k) => k.trim()).join('\n') + '\n', permissions: '0644' },
    ],
    steps: [
      {
        name: 'devbox',
        script:
          dedent(`
            if ! id ${user} >/dev/null 2>&1; then
              groupadd --gid ${DEVBOX_UID} ${user} 2>/dev/null || true
              useradd --uid ${DEVBOX_UID} --gid ${DEVBOX_UID} --create-home --shell /bin/bash --groups sudo ${user}
              passwd -l ${user}
              echo ${shq(`${user} ALL=(ALL) NOPASSWD:ALL`)} > /etc/sudoers.d/90-aloft-${user}
              chmod 0440 /etc/sudoers.d/90-aloft-${user}
            fi
          `) +
          (persistent
            ? dedent(`
                if [ ! -d ${persistent} ]; then
                  mkdir -p ${persistent}
                  cp -a ${home}/. ${persistent}/
                  chown -R ${DEVBOX_UID}:${DEVBOX_UID} ${persistent}
                fi
                grep -q ' ${home} none bind' /etc/fstab || echo '${persistent} ${home} none bind,nofail,x-systemd.requires-mounts-for=${ctx.dataDir} 0 0' >> /etc/fstab
                mountpoint -q ${home} || mount ${home}
                log "home of ${user} is on the data volume"
              `)
            : '') +
          dedent(`
            if [ -d /usr/lib/docker ] || command -v docker >/dev/null 2>&1; then usermod -aG docker ${user}; fi
            # With Tailscale, sshd listens on the tailnet address only.
            if [ -s "$STATE/listen-address" ]; then
              echo "ListenAddress $(cat "$STATE/listen-address")" > /etc/ssh/sshd_config.d/05-aloft-listen.conf
            fi
            sshd -t
            systemctl daemon-reload
            if systemctl is-active -q ssh.socket; then systemctl restart ssh.socket; fi
            systemctl reload-or-restart ssh 2>/dev/null || systemctl reload-or-restart sshd
          `),
      },
    ],
  };
};
