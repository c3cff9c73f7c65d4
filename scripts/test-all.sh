#!/usr/bin/env bash
# Runs every check on a fresh machine: provisions the services, installs the workspace from the
# lock file, then typecheck, lint, format check and all tests (what `npm run check` runs, one
# step at a time), then the cluster soak (`npm run test:soak`). Prints how long each phase took,
# and a summary at the end, so that the next person sees where CI's time goes.
set -euo pipefail
cd "$(dirname "$0")/.."

summary=()
started=$SECONDS
# phase NAME COMMAND...: runs the command and records its duration (also when it fails, so a
# failed run still says how far it got and how long that took).
phase() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "test-all: ${name}: $*"
  "$@" || status=$?
  summary+=("$(printf '%-14s %5d s%s' "$name" $((SECONDS - start)) "$([ "$status" = 0 ] || echo "  FAILED ($status)")")")
  echo "test-all: ${name} took $((SECONDS - start)) s"
  if [ "$status" != 0 ]; then
    report
    exit "$status"
  fi
}
report() {
  echo "test-all: phase durations"
  printf '  %s\n' "${summary[@]}"
  printf '  %-14s %5d s\n' total $((SECONDS - started))
}

phase provision bash scripts/provision.sh
# --engine-strict: a dependency that does not support this Node line fails the install instead
# of warning (package.json `engines`; .nvmrc names the line CI runs). Its `prepare` builds.
phase npm-ci npm ci --no-audit --no-fund --engine-strict
# better-sqlite3 is an optional dependency, built here from source (no prebuilt binary is
# reachable): when its build fails, npm leaves it out without failing, and every SQLite test
# fails later with "could not be loaded" (seen once in December 2026; the next install built
# it). So it must load now; if not, the install runs once more with the build's output shown.
sqlite_loads() { node -e "new (require('better-sqlite3'))(':memory:').close()"; }
native() {
  sqlite_loads && return 0
  echo "test-all: better-sqlite3 does not load; installing again, build output shown"
  npm ci --no-audit --no-fund --engine-strict --foreground-scripts && sqlite_loads
}
phase native native
# The steps of `npm run check`, in its order.
phase typecheck npm run typecheck
phase lint npm run lint
phase format npm run format:check
phase test npm run test
# The cluster soak (test/soak, ~4 min): random server and client kills under 100 jobs a second,
# kept out of `npm run test` for its length. CARILLON_SOAK_SECONDS makes it longer.
phase soak npm run test:soak
report
