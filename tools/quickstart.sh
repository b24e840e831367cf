#!/usr/bin/env bash
# Installs the dependencies, builds Spatial Recovery, and runs the main job on
# the built-in demo: simulate a Source and a Reference, check the pairs, train
# a small model, render the held-out frames and report what it gained.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
[ -d build ] || meson setup build
meson compile -C build
./build/app/cli/spatial-recovery-cli demo demo-out
