#!/usr/bin/env bash
# Usage: tests/fuzz/make-seeds.sh OUTDIR — writes a seed corpus per fuzz
# target under OUTDIR with the program's own writers (sr-make-seeds, built by
# build.sh). Nothing is downloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:?usage: tests/fuzz/make-seeds.sh OUTDIR}
rm -rf "$out"
ASAN_OPTIONS=detect_leaks=0 OMP_NUM_THREADS=1 build-fuzz/tests/fuzz/sr-make-seeds "$out"
