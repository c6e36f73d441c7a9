#!/usr/bin/env bash
# Builds once and runs the whole test suite. NEUROSHARD_SLOW=1 adds the slow suites (long
# soaks, big seed sweeps).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
