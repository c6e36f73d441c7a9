#!/usr/bin/env bash
# Builds NeuroShard and runs the quickstart scenario: 8 simulated nodes train with DiLoCo for
# ten virtual minutes; results go to Results/quickstart/42/. Extra arguments go to `simulate`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --product neuroshard
.build/release/neuroshard simulate Scenarios/quickstart.yaml "$@"
