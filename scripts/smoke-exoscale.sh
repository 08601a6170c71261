#!/usr/bin/env bash
# Smoke test of Aloft's Exoscale provider against the real Exoscale API.
# Not run in CI: it needs an account and costs a few cents (one small instance for a few
# minutes, a 10 GB volume, one snapshot). Everything it creates is removed at the end,
# and it says so if anything is left behind.
#
#   EXOSCALE_API_KEY=EXO... EXOSCALE_API_SECRET=... scripts/smoke-exoscale.sh
#
# Optional: EXOSCALE_ZONE (default ch-gva-2), EXOSCALE_SMOKE_TYPE (default standard.micro),
# EXOSCALE_TEMPLATE (default "Linux Ubuntu 24.04 LTS 64-bit"), EXOSCALE_API_ENDPOINT.
# The key needs compute permissions (instances, security groups, block storage, snapshots).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${EXOSCALE_API_KEY:-}" || -z "${EXOSCALE_API_SECRET:-}" ]]; then
  echo "smoke-exoscale: set EXOSCALE_API_KEY and EXOSCALE_API_SECRET" >&2
  exit 2
fi
exec node --import tsx scripts/smoke-exoscale.ts
