#!/usr/bin/env bash
# The project's one test command (README.md, .ci/run). Installs what the tests need from the project's own
# files (npm lockfile for Azurite, NuGet restore for everything else), then runs every test project.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --no-audit --no-fund --loglevel=error

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test AlertPipeline.sln -c Release --nologo 2>&1 | tee "$log" || status=$?

# One closing line in the plain 'N passed, N failed' form, summed over all test projects.
awk '
  /(Passed|Failed)!/ {
    if (match($0, /Failed: *[0-9]+/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); failed += s }
    if (match($0, /Passed: *[0-9]+/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); passed += s }
    if (match($0, /Skipped: *[0-9]+/)) { s = substr($0, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); skipped += s }
    runs++
  }
  END {
    if (runs == 0) { print "tests: 0 passed, 0 failed"; exit }
    printf "tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped
  }' "$log"
exit "$status"
