/**
 * k3s + helm: a single-node cluster whose API listens on 127.0.0.1 only, without the
 * bundled ingress and load balancer (they would open 80/443), with the kubeconfig
 * readable by root only. The step waits until the node is Ready.
 */
import type { Block } from '../types.js';
import { dedent } from '../shell.js';

export const k3sBlock: Block = (ctx) => {
  if (!ctx.input.options?.k3s) return null;
  return {
    steps: [
      {
        name: 'k3s',
        script: dedent(`
          if ! command -v k3s >/dev/null 2>&1; then
            curl -sfL https://get.k3s.io -o /tmp/k3s-install.sh
            INSTALL_K3S_EXEC="server --write-kubeconfig-mode 600 --bind-address 127.0.0.1 --disable traefik --disable servicelb --flannel-backend host-gw --kubelet-arg address=127.0.0.1" sh /tmp/k3s-install.sh
            rm -f /tmp/k3s-install.sh
          fi
          chmod 600 /etc/rancher/k3s/k3s.yaml
          i=0
          until k3s kubectl get nodes >/dev/null 2>&1; do
            i=$((i + 1)); [ "$i" -le 60 ] || { log "k3s API did not come up"; return 1; }
            sleep 5
          done
          k3s kubectl wait --for=condition=Ready node --all --timeout=300s
          if ! command -v helm >/dev/null 2>&1; then
            curl -fsSL https://raw.githubusercontent.com/helm/helm/main/scripts/get-helm-3 -o /tmp/get-helm-3
            HELM_INSTALL_DIR=/usr/local/bin bash /tmp/get-helm-3
            rm -f /tmp/get-helm-3
          fi
          grep -q KUBECONFIG /root/.profile 2>/dev/null || echo 'export KUBECONFIG=/etc/rancher/k3s/k3s.yaml' >> /root/.profile
        `),
      },
    ],
  };
};
