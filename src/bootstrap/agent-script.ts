/**
 * The on-host agent: a single POSIX shell script (curl, awk, ss; nvidia-smi when there
 * is a GPU) that reports bootstrap stages and sends heartbeats with busy signals.
 *
 * Its settings and token live in /etc/aloft/agent.env (root, 0600). The token never
 * appears on a command line: curl reads the Authorization header from a config on fd 3.
 * It never calls the instance metadata service, so IMDSv2-only instances are fine.
 *
 *   agent.sh stage <stage> [message]   one stage report (installing, pulling_model, ready, ...)
 *   agent.sh fail <message>            stage "failed" with the tail of the bootstrap log
 *   agent.sh heartbeat                 one heartbeat: ssh sessions, GPU utilisation, Ollama requests
 *   agent.sh loop                      after a restart, "ready" again; then a heartbeat every interval
 *
 * Tests point it elsewhere with ALOFT_AGENT_ENV, ALOFT_BOOTSTRAP_LOG, ALOFT_STATE_DIR and ALOFT_RUN_DIR.
 * (`${'$'}` below is a literal dollar sign: the script is a template literal.)
 */
export const AGENT_SCRIPT = String.raw`#!/bin/sh
# Aloft on-host agent: stage reports and heartbeats to the control plane.
set -u
ENV_FILE="${'$'}{ALOFT_AGENT_ENV:-/etc/aloft/agent.env}"
LOG="${'$'}{ALOFT_BOOTSTRAP_LOG:-/var/log/aloft-bootstrap.log}"
STATE="${'$'}{ALOFT_STATE_DIR:-/var/lib/aloft}"
RUN="${'$'}{ALOFT_RUN_DIR:-/run/aloft}"
. "$ENV_FILE"
: "${'$'}{ALOFT_URL:?}" "${'$'}{ALOFT_DEPLOYMENT_ID:?}" "${'$'}{ALOFT_AGENT_TOKEN:?}"
INTERVAL="${'$'}{ALOFT_HEARTBEAT_SECONDS:-60}"
GPU_BUSY="${'$'}{ALOFT_GPU_BUSY_PERCENT:-10}"

# A JSON string literal of stdin: escapes, control characters dropped, lines joined with \n.
json_str() {
  tr -d '\000-\010\013\014\016-\037' | awk 'BEGIN { ORS = ""; print "\"" }
    { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); gsub(/\t/, "\\t"); gsub(/\r/, ""); if (NR > 1) print "\\n"; print }
    END { print "\"" }'
}

# POSTs stdin (JSON) to /v1/agent/<id>/<path> and prints the HTTP status. The token goes
# in a curl config read from fd 3, never on a command line other users could read.
post() {
  curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --retry 5 --retry-delay 3 --retry-connrefused \
    -K /dev/fd/3 -H 'Content-Type: application/json' --data-binary @- \
    "$ALOFT_URL/v1/agent/$ALOFT_DEPLOYMENT_ID/$1" 3<<CURLCFG
header = "Authorization: Bearer $ALOFT_AGENT_TOKEN"
CURLCFG
}

stage() {
  body="{\"stage\":\"$1\""
  if [ -n "${'$'}{2:-}" ]; then body="$body,\"message\":$(printf '%s' "$2" | json_str)"; fi
  if [ -n "${'$'}{3:-}" ]; then body="$body,\"log_tail\":$3"; fi
  printf '%s}' "$body" | post stage
}

log_tail() {
  if [ -r "$LOG" ]; then tail -n 40 "$LOG" | tail -c 8000 | json_str; else printf '""'; fi
}

ssh_sessions() {
  ss -Htn state established '( sport = :22 )' 2>/dev/null | wc -l | tr -d ' '
}

gpu_util() {
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null |
      awk 'BEGIN { m = -1 } /^[ 0-9.]+$/ { v = $1 + 0; if (v > m) m = v } END { if (m < 0) print "null"; else print m }'
  else
    echo null
  fi
}

# Requests in flight at Ollama: the key proxy opens one upstream connection per request.
ollama_running() {
  if [ "${'$'}{ALOFT_KIND:-}" = ollama ]; then
    ss -Htn state established "( dport = :${'$'}{ALOFT_WORKLOAD_PORT:-11434} )" 2>/dev/null | wc -l | tr -d ' '
  else
    echo 0
  fi
}

heartbeat() {
  s=$(ssh_sessions); g=$(gpu_util); o=$(ollama_running)
  busy=false
  if [ "${'$'}{s:-0}" -gt 0 ] || [ "${'$'}{o:-0}" -gt 0 ]; then busy=true; fi
  if [ "$g" != null ] && awk -v g="$g" -v t="$GPU_BUSY" 'BEGIN { exit !(g >= t) }'; then busy=true; fi
  printf '{"ssh_sessions":%s,"gpu_util":%s,"ollama_running":%s,"busy":%s}' "${'$'}{s:-0}" "$g" "${'$'}{o:-0}" "$busy" | post heartbeat
}

wait_workload() {
  i=0
  while [ "$i" -lt 120 ]; do
    if ss -Hltn "( sport = :${'$'}{ALOFT_WORKLOAD_PORT:-80} )" 2>/dev/null | grep -q .; then return 0; fi
    i=$((i + 1)); sleep 5
  done
  return 1
}

case "${'$'}{1:-}" in
  stage) stage "$2" "${'$'}{3:-}" ;;
  fail) stage failed "${'$'}{2:-bootstrap failed}" "$(log_tail)" ;;
  heartbeat) heartbeat ;;
  loop)
    # A restart of a machine bootstrapped before: say ready again once the workload answers.
    # $RUN is a tmpfs, so the marker means "already said in this boot" (by the bootstrap or by us).
    if [ -e "$STATE/bootstrap-done" ] && [ ! -e "$RUN/ready-reported" ]; then
      if wait_workload; then stage ready restarted >/dev/null; else stage failed "workload did not answer after restart" "$(log_tail)" >/dev/null; fi
      mkdir -p "$RUN" && : > "$RUN/ready-reported"
    fi
    while :; do heartbeat >/dev/null 2>&1; sleep "$INTERVAL"; done
    ;;
  *) echo "usage: agent.sh stage <stage> [message] | fail <message> | heartbeat | loop" >&2; exit 2 ;;
esac
`;
