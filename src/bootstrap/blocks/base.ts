/**
 * base: the timezone, swap on small machines, and the packages every other block asked
 * for, installed in one apt transaction with retries (first boot races unattended-upgrades
 * for the dpkg lock, hence the lock timeout).
 */
import type { Block } from '../types.js';
import { dedent } from '../shell.js';

export const BASE_PACKAGES = ['ca-certificates', 'curl', 'gnupg', 'iproute2', 'openssl'];

export const baseBlock: Block = () => ({
  packages: BASE_PACKAGES,
  cloudConfig: { timezone: 'Etc/UTC' },
  steps: [
    {
      name: 'swap',
      // Machines under 4 GiB get a 2 GiB swap file so package installs and model loads do not OOM.
      script: dedent(`
        mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
        if [ "$mem_kb" -lt 4000000 ] && ! swapon --show | grep -q .; then
          log "memory is $((mem_kb / 1024)) MiB: adding a 2 GiB swap file"
          fallocate -l 2G /swapfile || dd if=/dev/zero of=/swapfile bs=1M count=2048
          chmod 600 /swapfile
          mkswap /swapfile
          swapon /swapfile
          grep -q '^/swapfile ' /etc/fstab || echo '/swapfile none swap sw 0 0' >> /etc/fstab
        fi
      `),
    },
  ],
});
