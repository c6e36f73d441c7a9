#!/usr/bin/env bash
# One build configuration for binaries and tests alike (release, with testing enabled), so the
# suite builds once and scenario tests run at full speed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release -Xswiftc -enable-testing --build-tests "$@"
# The protobuf plugins, for the test that checks the generated code against the proto.
for plugin in protoc-gen-swift protoc-gen-grpc-swift-2; do
  swift build -c release -Xswiftc -enable-testing --product "$plugin" "$@"
done
