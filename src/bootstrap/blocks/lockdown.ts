/**
 * lockdown: what makes the key proxy the only door.
 *  - sshd is switched off except on a dev box (whose workload is SSH).
 *  - the instance metadata service (169.254.169.254, the same address on every cloud we
 *    use) is closed to every user but root, on every boot: the user-data it serves holds
 *    the agent token, and the workload runs unprivileged or in a container (forwarded
 *    traffic is refused outright). Root-only access works with
 *    IMDSv2-only instances; nothing in the bootstrap calls the metadata service itself.
 */
import type { Block } from '../types.js';
import { dedent } from '../shell.js';

export const IMDS_GUARD_UNIT = dedent(`
  [Unit]
  Description=Aloft: instance metadata for root only
  Before=network-online.target aloft-agent.service docker.service

  [Service]
  Type=oneshot
  RemainAfterExit=yes
  ExecStart=/usr/sbin/nft -f /etc/aloft/imds-guard.nft

  [Install]
  WantedBy=multi-user.target
`);

/**
 * A table of our own: a reject in any nftables base chain is final, so Docker's rules
 * (iptables-nft, in other tables) cannot let a container through to the metadata service.
 */
const IMDS_GUARD_NFT = dedent(`
  table inet aloft_imds
  delete table inet aloft_imds
  table inet aloft_imds {
    chain output {
      type filter hook output priority 0; policy accept;
      ip daddr 169.254.169.254 meta skuid != 0 reject
    }
    chain forward {
      type filter hook forward priority -10; policy accept;
      ip daddr 169.254.169.254 reject
    }
  }
`);

export const lockdownBlock: Block = (ctx) => ({
  packages: ['nftables'],
  files: [
    { path: '/etc/systemd/system/aloft-imds-guard.service', content: IMDS_GUARD_UNIT, permissions: '0644' },
    { path: '/etc/aloft/imds-guard.nft', content: IMDS_GUARD_NFT, permissions: '0644' },
  ],
  steps: [
    {
      name: 'lockdown',
      script:
        dedent(`
          systemctl daemon-reload
          systemctl enable --now aloft-imds-guard.service
        `) +
        (ctx.input.spec.kind === 'devbox'
          ? ''
          : dedent(`
              # Not a dev box: nothing but the key proxy listens.
              for u in ssh.socket ssh.service sshd.service; do
                if systemctl list-unit-files "$u" >/dev/null 2>&1; then systemctl disable --now "$u" >/dev/null 2>&1 || true; fi
              done
            `)),
    },
  ],
});
