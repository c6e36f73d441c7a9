#!/usr/bin/env bash
# Regenerates the reference results kept in the repository: every shipped scenario at its own
# seed, into Results/<scenario>/<seed>/ (summary.json, metrics.csv, curves.csv and report.html
# are committed; the traces are not).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --product neuroshard
status=0
for file in Scenarios/*.yaml; do
  .build/release/neuroshard simulate "$file" --quiet || status=1
done
exit $status
