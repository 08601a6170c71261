/**
 * The on-host bootstrap script: runs every block's step in order, once, logging each to
 * /var/log/aloft-bootstrap.log (root-only), reporting stages through the agent.
 *
 * It runs as the oneshot unit aloft-bootstrap.service rather than from runcmd, so that a
 * reboot in the middle (a new GPU driver) resumes at the first unfinished step: each
 * finished step leaves a marker in /var/lib/aloft. On any failure the agent reports
 * "failed" with the tail of the log. The script never traces commands (no `set -x`), so
 * nothing it runs can put a secret in the log; secrets stay in files.
 */
import type { Step } from './types.js';
import { PATHS } from './types.js';
import { dedent, shq } from './shell.js';

/** The step that installs every block's packages in one apt transaction. */
export function packagesStep(packages: string[]): Step {
  return { name: 'packages', script: `apt-get update -q\napt_install ${[...new Set(packages)].sort().map(shq).join(' ')}\n` };
}

export function renderBootstrapScript(steps: Step[]): string {
  const functions = steps
    .map((s) => `step_${s.name}() {\n${s.script.replace(/\s+$/, '').replace(/^(?=.)/gm, '  ')}\n}\n`)
    .join('\n');
  const calls = steps.map((s) => `step ${s.name}`).join('\n');
  return (
    dedent(`
      #!/bin/sh
      # Aloft bootstrap (generated): one step per block, resumable, logged.
      set -eu
      umask 077
      export DEBIAN_FRONTEND=noninteractive
      # The overrides exist for tests; systemd sets none of them.
      STATE=\${ALOFT_STATE_DIR:-${PATHS.state}}
      LOG=\${ALOFT_BOOTSTRAP_LOG:-${PATHS.log}}
      AGENT=\${ALOFT_AGENT:-${PATHS.agentScript}}
      RUN=\${ALOFT_RUN_DIR:-/run/aloft}
      mkdir -p "$STATE"
      exec >>"$LOG" 2>&1
      CURRENT=start

      log() { printf '%s aloft: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
      agent() { "$AGENT" "$@" >/dev/null 2>&1 || log "could not reach the control plane ($1 \${2:-})"; }
      apt_install() {
        n=0
        until apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"; do
          n=$((n + 1)); [ "$n" -lt 4 ] || return 1
          log "apt-get install failed, retrying"; sleep 15; apt-get update -q || true
        done
      }
      on_exit() {
        rc=$?
        if [ "$rc" -ne 0 ]; then
          log "step $CURRENT failed (exit $rc)"
          agent fail "step $CURRENT failed (exit $rc)"
        fi
      }
      trap on_exit EXIT
      step() {
        if [ -e "$STATE/step-$1.done" ]; then log "step $1 already done"; return 0; fi
        CURRENT=$1
        log "step $1: begin"
        "step_$1"
        touch "$STATE/step-$1.done"
        log "step $1: done"
      }
    `) +
    '\n' +
    functions +
    '\n' +
    dedent(`
      log "bootstrap: begin"
      agent stage installing
    `) +
    calls +
    '\n' +
    dedent(`
      touch "$STATE/bootstrap-done"
      CURRENT=finish
      log "bootstrap: ready"
      agent stage ready "tls_sha256=$(cat "$STATE/tls-fingerprint" 2>/dev/null || true)"
      # The agent says ready by itself after later boots, not after this one.
      mkdir -p "$RUN" && : > "$RUN/ready-reported"
      systemctl daemon-reload
      systemctl enable --now aloft-agent.service
    `)
  );
}

export const BOOTSTRAP_UNIT = dedent(`
  [Unit]
  Description=Aloft bootstrap (runs until every step is done; resumes after a reboot)
  After=network-online.target
  Wants=network-online.target
  ConditionPathExists=!${PATHS.state}/bootstrap-done

  [Service]
  Type=oneshot
  ExecStart=${PATHS.bootstrapScript}
  TimeoutStartSec=0

  [Install]
  WantedBy=multi-user.target
`);
