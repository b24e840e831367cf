#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (or $1) with Debian's clang-14,
# AddressSanitizer and UndefinedBehaviorSanitizer. Separate from the normal
# gcc build, which it leaves alone. The movie (FFmpeg) and OpenColorIO
# parts are left out: what they parse is the libraries' own code, and the
# targets reach every reader of ours without them.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-fuzz}
if [ ! -d "$dir" ]; then
  CC=clang-14 CXX=clang++-14 meson setup "$dir" -Dfuzz=true -Dtests=false -Dgui=false \
    -Dcuda=disabled -Docio=disabled -Dffmpeg=disabled \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dc_args="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined"
fi
meson compile -C "$dir"
