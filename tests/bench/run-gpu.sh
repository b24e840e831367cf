#!/bin/sh
# On the GPU machine, from the repository root, with gpu-bundle/ beside it
# (tools/gpu-bundle.sh): the CUDA conformance tests, then our U-Net against
# PyTorch (eager fp32, bf16 autocast, torch.compile) on the GPU figures, then
# EXR-to-EXR render rates. Logs go to $OUT (else ./gpu-logs); the last lines
# printed are the summary.
#
#   tests/bench/run-gpu.sh [--quick]
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
bundle=$root/gpu-bundle
out=${OUT:-$root/gpu-logs}
quick=""
[ "${1:-}" = "--quick" ] && quick="--quick"
mkdir -p "$out"
if [ ! -x "$bundle/bin/sr-bench" ]; then
  echo "run-gpu: $bundle/bin/sr-bench not found: run tools/gpu-bundle.sh first and carry gpu-bundle" >&2
  exit 2
fi

# cuDNN: the toolkit's, the system's, or the one PyTorch's wheels brought.
cudnn=""
for d in /usr/local/cuda/lib64 /usr/lib/x86_64-linux-gnu \
         $(python3 -c 'import nvidia.cudnn, os; print(os.path.join(list(nvidia.cudnn.__path__)[0], "lib"))' 2>/dev/null); do
  if [ -e "$d/libcudnn.so.9" ]; then cudnn=$d; break; fi
done
export LD_LIBRARY_PATH="$bundle/lib${cudnn:+:$cudnn}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export SR_BACKEND_PATH="$bundle/lib"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}

{
  echo "commit $(cat "$bundle/COMMIT" 2>/dev/null)"
  echo "cuDNN from ${cudnn:-(not found)}"
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  "$bundle/bin/spatial-recovery-cli" devices
} 2>&1 | tee "$out/device.txt"

echo "## conformance (test-cuda-ops)"
"$bundle/bin/test-cuda-ops" --verbose > "$out/conformance.txt" 2>&1
conf=$?
grep -E "^(ok|not ok)|SKIP|# " "$out/conformance.txt" | tail -n 40
skips=$(grep -c "SKIP" "$out/conformance.txt")

echo "## ours (sr-bench --backend cuda --set gpu)"
"$bundle/bin/sr-bench" --backend cuda --set gpu $quick 2>&1 | tee "$out/ours.txt"
echo "## PyTorch (unet_torch.py --device cuda --variant all)"
python3 "$root/tests/bench/unet_torch.py" --device cuda --variant all $quick 2>&1 | tee "$out/torch.txt"

# DWAA needs OpenEXR >= 3.2; the bundle carries Debian 12's 3.1.5, so only
# the codecs it has are timed (piz as the other common lossless choice).
echo "## render, EXR to EXR (bench-render --backend cuda --model M)"
for run in "2048x1556 48 zip" "2048x1556 48 piz" "4096x3112 16 zip"; do
  set -- $run
  echo "# $1 $3, $2 frames"
  "$bundle/bin/bench-render" --backend cuda --model M --size "$1" --frames "$2" \
    --compression "$3" "${TMPDIR:-/tmp}" 2>&1
done | tee "$out/render.txt"

{
  echo "## summary"
  echo "conformance: exit $conf, $skips skipped (must be 0 and 0)"
  awk '
    FNR == 1 { file++ }
    $1 == "RESULT" { if (file == 1) ours[$2] = $3; else theirs[$2] = $3; unit[$2] = $4; order[++n] = $2 }
    END {
      printf "%-22s %12s %12s %8s\n", "figure", "ours", "PyTorch best", "ratio"
      for (i = 1; i <= n; i++) {
        k = order[i]
        if (seen[k]++ || !(k in ours) || !(k in theirs)) continue
        printf "%-22s %9.3f %-2s %9.3f %-2s %7.2fx\n", k, ours[k], unit[k], theirs[k], unit[k], theirs[k] / ours[k]
      }
    }' "$out/ours.txt" "$out/torch.txt"
  grep -E "^(#|pipeline)" "$out/render.txt"
} 2>&1 | tee "$out/summary.txt"
[ "$conf" -eq 0 ] && [ "$skips" -eq 0 ]
