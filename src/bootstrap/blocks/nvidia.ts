/**
 * nvidia: the driver (and, when Docker is used, the container toolkit) for offers with an
 * NVIDIA GPU on images without drivers. GPU-ready images (the AWS Deep Learning Base AMI)
 * skip it, and so does any image where nvidia-smi already works.
 *
 * A fresh driver may need a reboot (nouveau loaded): the step then reboots, and the
 * bootstrap service resumes after it from the next unfinished step.
 */
import type { Block } from '../types.js';
import { dedent } from '../shell.js';

const indent = (text: string) => text.replace(/^(?=.)/gm, '  ');

const NOT_NVIDIA = /\b(radeon|instinct|mi\d{2,3}|gaudi|inferentia|trainium|tpu|amd|intel)\b/i;

/** True when the GPU name is an NVIDIA part (every GPU in our catalogs except a few). */
export function isNvidiaGpu(name: string): boolean {
  return !NOT_NVIDIA.test(name);
}

export const nvidiaBlock: Block = (ctx) => {
  if (!ctx.nvidia || ctx.gpuReady) return null;
  const driver =
    ctx.os === 'debian-12'
      ? dedent(`
          sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true
          apt-get update -q
          apt_install "linux-headers-$(uname -r)" nvidia-driver firmware-misc-nonfree nvidia-smi
        `)
      : dedent(`
          apt_install ubuntu-drivers-common
          ubuntu-drivers install --gpgpu
        `);
  const toolkit = ctx.docker
    ? dedent(`
        curl -fsSL https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor --yes -o /usr/share/keyrings/nvidia-container-toolkit.gpg
        curl -fsSL https://nvidia.github.io/libnvidia-container/stable/deb/nvidia-container-toolkit.list |
          sed 's#deb https://#deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit.gpg] https://#' > /etc/apt/sources.list.d/nvidia-container-toolkit.list
        apt-get update -q
        apt_install nvidia-container-toolkit
        nvidia-ctk runtime configure --runtime=docker
        systemctl restart docker
      `)
    : '';
  return {
    steps: [
      {
        name: 'nvidia',
        script:
          'if nvidia-smi >/dev/null 2>&1; then\n  log "NVIDIA driver already working"\nelse\n' +
          indent(driver) +
          indent(
            dedent(`
              if ! modprobe nvidia; then
                log "the NVIDIA driver needs a reboot; the bootstrap resumes after it"
                printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' > /etc/modprobe.d/aloft-nouveau.conf
                update-initramfs -u || true
                agent stage rebooting "loading the NVIDIA driver"
                systemctl reboot
                exit 0
              fi
            `),
          ) +
          'fi\n' +
          toolkit +
          'nvidia-smi -L\n',
      },
    ],
  };
};
