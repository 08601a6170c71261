/**
 * tailscale: joins the tailnet with an auth key; the key proxy (and sshd on a dev box)
 * then listen on the Tailscale address only, and the provider opens no port at all.
 * The key is read from a root-only file (`--auth-key=file:`), never a command line, and
 * deleted once the machine has joined.
 */
import type { Block } from '../types.js';
import { dedent, shq } from '../shell.js';

export const TAILSCALE_KEY_PATH = '/etc/aloft/tailscale-authkey';

export const tailscaleBlock: Block = (ctx) => {
  if (!ctx.input.spec.access?.tailscale) return null;
  const key = ctx.secrets.tailscaleAuthKey;
  if (!key) throw new Error('access.tailscale is set but no Tailscale auth key was given (secrets.tailscaleAuthKey)');
  const hostname = `aloft-${ctx.input.deployment.name}`.slice(0, 63);
  return {
    files: [{ path: TAILSCALE_KEY_PATH, content: key + '\n', permissions: '0600' }],
    steps: [
      {
        name: 'tailscale',
        script: dedent(`
          if ! command -v tailscale >/dev/null 2>&1; then
            curl -fsSL https://tailscale.com/install.sh -o /tmp/tailscale-install.sh
            sh /tmp/tailscale-install.sh
            rm -f /tmp/tailscale-install.sh
          fi
          # Services bound to the Tailscale address start before tailscaled on a reboot.
          echo 'net.ipv4.ip_nonlocal_bind = 1' > /etc/sysctl.d/60-aloft.conf
          sysctl -q -p /etc/sysctl.d/60-aloft.conf
          systemctl enable --now tailscaled
          tailscale up --auth-key=file:${TAILSCALE_KEY_PATH} --hostname=${shq(hostname)}
          rm -f ${TAILSCALE_KEY_PATH}
          ts_ip=$(tailscale ip -4 | head -n 1)
          [ -n "$ts_ip" ] || { log "no Tailscale address"; return 1; }
          echo "$ts_ip" > "$STATE/listen-address"
          log "joined the tailnet as $ts_ip"
        `),
      },
    ],
  };
};
