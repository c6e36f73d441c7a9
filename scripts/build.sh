#!/usr/bin/env bash
# One build configuration for binaries and tests alike (release, with testing enabled), so the
# suite builds once and scenario tests run at full speed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --build-tests "$@"
