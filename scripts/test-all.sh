#!/usr/bin/env bash
# Runs every check on a fresh machine: provisions the services, installs the workspace from the
# lock file, then typecheck, lint, format check and all tests (`npm run check`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
npm ci --no-audit --no-fund
npm run check
