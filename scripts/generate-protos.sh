#!/usr/bin/env bash
# Generates the Swift code of Protos/neuroshard.proto into Sources/Wire/Generated with protoc
# (Debian's protobuf-compiler) and the plugins of swift-protobuf and grpc-swift-protobuf, built
# from the package's own dependencies so that their versions match the libraries.
#
#   scripts/generate-protos.sh           regenerate (builds the two plugins first)
#   scripts/generate-protos.sh --check   exit 1 if the committed code differs from what the proto
#                                        gives; uses the plugins already built (PLUGIN_BIN, or
#                                        the release build folder), so it can run during a test
set -euo pipefail
cd "$(dirname "$0")/.."
out=Sources/Wire/Generated
plugins=(protoc-gen-swift protoc-gen-grpc-swift-2)

if [ "${1:-}" != "--check" ]; then
  scripts/setup.sh
  for p in "${plugins[@]}"; do swift build -c release -Xswiftc -enable-testing --product "$p"; done
fi
bin=${PLUGIN_BIN:-$(swift build -c release -Xswiftc -enable-testing --show-bin-path)}
for p in "${plugins[@]}"; do
  [ -x "$bin/$p" ] || { echo "generate-protos: $bin/$p is not built (scripts/build.sh builds it)" >&2; exit 2; }
done

target=$out
if [ "${1:-}" = "--check" ]; then target=$(mktemp -d); trap 'rm -rf "$target"' EXIT; fi
mkdir -p "$target"
protoc --proto_path=Protos \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath --swift_out="$target" \
  --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_opt=Server=true --grpc-swift-2_opt=Client=true \
  --grpc-swift-2_opt=FileNaming=DropPath --grpc-swift-2_out="$target" \
  neuroshard.proto

if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out" "$target" >/dev/null; then
    echo "generate-protos: $out is stale relative to Protos/neuroshard.proto (run scripts/generate-protos.sh)" >&2
    diff -r "$out" "$target" | head -20 >&2
    exit 1
  fi
  echo "generate-protos: $out matches Protos/neuroshard.proto"
fi
