#!/usr/bin/env bash
# Smoke test of Aloft's Hetzner Cloud provider against the real Hetzner API.
# Not run in CI: it needs a Hetzner Cloud project and costs about one cent (one cx22
# for a few minutes, a 10 GB volume, one snapshot). Everything it creates is removed at
# the end, and it says so if anything is left behind.
#
#   HCLOUD_TOKEN=... scripts/smoke-hetzner.sh
#
# Optional: HCLOUD_SMOKE_TYPE (default cx22), HCLOUD_SMOKE_LOCATION (default fsn1),
# HCLOUD_ENDPOINT (replaces https://api.hetzner.cloud/v1). The token needs Read & Write.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${HCLOUD_TOKEN:-}" ]]; then
  echo "smoke-hetzner: set HCLOUD_TOKEN (a Read & Write API token of a Hetzner Cloud project)" >&2
  exit 2
fi
exec node --import tsx scripts/smoke-hetzner.ts
