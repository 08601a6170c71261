/**
 * The data volume: waits for the device (clouds attach it after boot), formats it only
 * when it holds no filesystem, and mounts it by UUID with `nofail` so a missing volume
 * never blocks a restart. Ollama's models and dev box homes live on it.
 */
import type { Block } from '../types.js';
import { PATHS } from '../types.js';
import { dedent, shq } from '../shell.js';

export const volumeBlock: Block = (ctx) => {
  const dev = ctx.input.dataVolume?.device;
  if (!dev) return null;
  return {
    steps: [
      {
        name: 'volume',
        script: dedent(`
          dev=${shq(dev)}
          i=0
          while [ ! -b "$dev" ]; do
            i=$((i + 1)); [ "$i" -le 60 ] || { log "data volume $dev did not appear"; return 1; }
            sleep 5
          done
          dev=$(readlink -f "$dev")
          if ! blkid "$dev" >/dev/null 2>&1; then
            log "formatting empty data volume $dev"
            mkfs.ext4 -q -L aloft-data "$dev"
          fi
          uuid=$(blkid -s UUID -o value "$dev")
          mkdir -p ${PATHS.dataMount}
          grep -q "UUID=$uuid " /etc/fstab || echo "UUID=$uuid ${PATHS.dataMount} ext4 defaults,nofail,x-systemd.device-timeout=30s 0 2" >> /etc/fstab
          mountpoint -q ${PATHS.dataMount} || mount ${PATHS.dataMount}
          log "data volume mounted at ${PATHS.dataMount}"
        `),
      },
    ],
  };
};
