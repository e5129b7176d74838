#!/usr/bin/env bash
# Runs the whole pipeline on this machine: Node 24 + pnpm, local Redis and PostgreSQL, dependencies,
# then `pnpm start` (migrate, ingest on :8080, worker; admin on :9091 and :9092).
set -euo pipefail
cd "$(dirname "$0")/../.."
source infra/local/ensure-toolchain.sh
bash infra/local/ensure-services.sh
pnpm install --frozen-lockfile
exec pnpm start
