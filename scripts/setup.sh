#!/usr/bin/env bash
# Installs what NeuroShard builds and tests against, when any is missing: Debian packages (with
# Chromium, which renders the dashboard and scenario reports in the browser tests), and the
# Python tests' environment.
set -euo pipefail
packages=(libopenblas-dev libsqlite3-dev libssl-dev libsecp256k1-dev python3-numpy python3-venv wrk protobuf-compiler chromium fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python tests' own environment (grpcio, grpcio-tools, requests; cryptography for the
# independent identity check), beside the build.
venv=.build/python
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c "import grpc, grpc_tools, requests, cryptography" 2>/dev/null; then
  echo "setup: preparing $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "grpcio==1.68.1" "grpcio-tools==1.68.1" "requests==2.32.3" "cryptography==50.0.2"
fi

# The Python SDK (sdk/python) in the same environment, reinstalled whenever its files change (a
# hash of them is kept in the venv) or `import neuroshard` fails. Installed from a copy, so that
# the build leaves no build/ or egg-info in the tree.
sdk_hash=$(find sdk/python -type f -not -path '*/build/*' -not -path '*.egg-info/*' -not -path '*/__pycache__/*' \
             -not -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat "$venv/.neuroshard-sdk-hash" 2>/dev/null)" != "$sdk_hash" ] \
   || ! "$venv/bin/python3" -I -c "import neuroshard" 2>/dev/null; then
  echo "setup: installing the Python SDK into $venv" >&2
  sdk_copy=$(mktemp -d)
  cp -R sdk/python "$sdk_copy/sdk"
  rm -rf "$sdk_copy/sdk/build" "$sdk_copy"/sdk/*.egg-info
  "$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$sdk_copy/sdk"
  rm -rf "$sdk_copy"
  echo "$sdk_hash" > "$venv/.neuroshard-sdk-hash"
fi
