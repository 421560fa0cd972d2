#!/usr/bin/env bash
# The main job: install what is missing, build, and run a short command in a real slice.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
BUILD_DIR=build ./scripts/build.sh
./build/llcslice topo
