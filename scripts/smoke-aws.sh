#!/usr/bin/env bash
# Smoke test of the AWS provider against a REAL AWS account. Not run in CI: it costs money
# (a t3.micro for a few minutes, about $0.01) and needs credentials.
#
#   AWS_PROFILE=my-profile AWS_REGION=eu-west-1 scripts/smoke-aws.sh
#
# What it does, through the provider itself (src/providers/aws): check credentials, create a
# t3.micro (Ubuntu 24.04, encrypted gp3, IMDSv2, tags aloft-managed/aloft-deployment, a
# security group opening only the proxy port), wait until running, stop, start, destroy,
# then call destroy/removeLeftovers until no tagged instance, security group or volume is left.
# Whatever happens (a failure, Ctrl-C, SIGTERM), it removes what it created before exiting.
# After a SIGKILL, look in the console for resources tagged aloft-deployment=smoke-<timestamp>.
# ALOFT_SMOKE_POLL_MS (default 5000) sets how often it polls.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${AWS_PROFILE:-}${AWS_ACCESS_KEY_ID:-}" ] && [ ! -e "$HOME/.aws/credentials" ] && [ ! -e "$HOME/.aws/config" ]; then
  echo "smoke-aws: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)" >&2
  exit 2
fi
export AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
export ALOFT_SMOKE_TYPE="${ALOFT_SMOKE_TYPE:-t3.micro}"
export ALOFT_SMOKE_ID="smoke-$(date +%s)"

exec node --import tsx --input-type=module -e '
import { fromEnv } from "./src/providers/aws/index.js";
import { aloftTags } from "./src/providers/types.js";

const region = process.env.AWS_REGION;
const dep = process.env.ALOFT_SMOKE_ID;
const p = await fromEnv(process.env);
if (!p) { console.error("smoke-aws: credentials not discoverable"); process.exit(2); }
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 10 * 60_000) {
  const end = Date.now() + ms;
  for (;;) { const v = await fn(); if (v) return v; if (Date.now() > end) throw new Error("timed out: " + what); await sleep(Number(process.env.ALOFT_SMOKE_POLL_MS ?? 5000)); }
}
async function cleanup() {
  log("cleanup: removing everything tagged", dep);
  await until("leftovers gone", async () => { const left = await p.removeLeftovers(dep); if (left.length) log("  still there:", left.map((l) => `${l.kind}:${l.id}:${l.state ?? ""}`).join(" ")); return left.length === 0; });
  log("cleanup: nothing left");
}
let failed = false;
for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => { log(sig, "- cleaning up"); cleanup().finally(() => process.exit(130)); });
try {
  const check = await p.check();
  log("check:", check.ok ? "ok" : "FAILED", check.message, JSON.stringify(check.quota ?? {}));
  if (!check.ok) process.exit(1);
  const req = {
    deploymentId: dep, name: "smoke", port: 8443, tags: aloftTags(dep),
    spec: { kind: "service", name: "smoke", command: "python3 -m http.server 8443", port: 8443 },
    offer: { provider: "aws", region, instanceType: process.env.ALOFT_SMOKE_TYPE, gpu: null },
    userData: "#cloud-config\nruncmd:\n  - [sh, -c, \"cd /tmp && nohup python3 -m http.server 8443 >/dev/null 2>&1 &\"]\n",
  };
  let m = await p.create(req, { idempotencyKey: dep });
  log("created", m.id, m.state);
  const again = await p.create(req, { idempotencyKey: dep });
  if (again.id !== m.id) throw new Error("create is not idempotent: " + again.id);
  m = await until("running", async () => { const d = await p.describe(m); return d.state === "running" ? d : null; });
  log("running", m.endpoint, JSON.stringify(m.details));
  await p.stop(m); await until("stopped", async () => (await p.describe(m)).state === "stopped"); log("stopped");
  await p.start(m); await until("running again", async () => (await p.describe(m)).state === "running"); log("running again");
  for await (const line of p.logs(m, { tail: 5 })) log("console:", line);
  await p.destroy(m); log("destroy requested");
  await until("terminated", async () => (await p.describe(m).catch(() => ({ state: "terminated" }))).state === "terminated");
  log("terminated");
} catch (err) {
  failed = true;
  console.error("smoke-aws: FAILED:", err?.message ?? err);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
'
