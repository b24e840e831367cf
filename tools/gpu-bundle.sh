#!/bin/sh
# Packs what the GPU machine needs to test and time the CUDA backend.
#
#   tools/gpu-bundle.sh [BUILD_DIR]      (default: build-gpu)
#
# Builds, on this machine (where the project's libraries are installed), a
# release configuration with the CUDA module, then copies into gpu-bundle/ at
# the repository root: the CUDA conformance test, sr-bench, bench-render and
# the CLI (bin/), libsrcuda.so and every shared library they load that a bare
# CUDA machine may lack (lib/; the C library, the NVIDIA driver and cuDNN are
# left to the machine). gpu-bundle/ is ignored by git and small enough to
# travel with the working tree; on the GPU machine run
# tests/bench/run-gpu.sh from the repository root.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-gpu}
bundle=$root/gpu-bundle

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" -Dcuda=enabled -Dgui=false -Dbuildtype=release
fi
ninja -C "$build" engine/cuda/libsrcuda.so tests/engine/cuda/test-cuda-ops \
  tests/bench/sr-bench tests/bench/bench-render app/cli/spatial-recovery-cli

rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/lib"
for exe in tests/engine/cuda/test-cuda-ops tests/bench/sr-bench tests/bench/bench-render \
           app/cli/spatial-recovery-cli; do
  cp "$build/$exe" "$bundle/bin/"
done
cp "$build/engine/cuda/libsrcuda.so" "$bundle/lib/"

# Every resolved dependency except the C library family (the machine's own is
# newer and must match its loader), the driver and cuDNN (found there).
for f in "$bundle"/bin/* "$bundle/lib/libsrcuda.so"; do
  ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
  case $(basename "$lib") in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*|libresolv.so.*) ;;
    libcuda.so.*|libcudnn*|libnvidia*) ;;
    *) cp -L "$lib" "$bundle/lib/" ;;
  esac
done
strip --strip-unneeded "$bundle"/bin/* "$bundle"/lib/*.so* 2>/dev/null || true
git -C "$root" rev-parse HEAD > "$bundle/COMMIT" 2>/dev/null || true
du -sh "$bundle"
echo "gpu-bundle: ready; carry gpu-bundle and run tests/bench/run-gpu.sh on the GPU machine"
