#!/bin/sh
# Runs sr-bench (our CPU backend) and unet_torch.py (PyTorch) with the same
# thread count, one after the other, and prints our speed-up per figure.
#
#   tests/bench/run-bench.sh [BUILD_DIR] [--quick]
# Environment: THREADS (default: all online CPUs).
# Installs Debian's python3-torch with apt-get when it is missing (needs
# root or sudo; not part of CI).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
shift $(( $# > 0 ? 1 : 0 ))
quick=""
[ "${1:-}" = "--quick" ] && quick="--quick"
threads=${THREADS:-$(nproc)}
bench="$build/tests/bench/sr-bench"
py=/usr/bin/python3
[ -x "$py" ] || py=python3

if [ ! -x "$bench" ]; then
  echo "run-bench: $bench not found; build first: meson compile -C $build" >&2
  exit 2
fi
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "run-bench: installing python3-torch (Debian package)" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get install -y --no-install-recommends python3-torch >&2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

echo "## same network? (our S model's weights, ΔY, loss and gradients in PyTorch)"
"$bench" --backend cpu --export "$out"
"$py" "$here/unet_torch.py" --check "$out"

echo "# machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $threads threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "## ours (sr-bench, CPU backend)"
OMP_NUM_THREADS=$threads "$bench" --backend cpu $quick | tee "$out/ours"
echo "## PyTorch (unet_torch.py)"
OMP_NUM_THREADS=$threads "$py" "$here/unet_torch.py" --threads "$threads" $quick | tee "$out/torch"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "## speed-up (PyTorch time / our time; above 1 means we are faster)"
awk '
  FNR == 1 { file++ }
  $1 == "RESULT" { if (file == 1) ours[$2] = $3; else theirs[$2] = $3; unit[$2] = $4; order[++n] = $2 }
  END {
    printf "%-22s %12s %12s %8s\n", "figure", "ours", "PyTorch", "ratio"
    for (i = 1; i <= n; i++) {
      k = order[i]
      if (seen[k]++ || !(k in ours) || !(k in theirs)) continue
      printf "%-22s %9.3f %-2s %9.3f %-2s %7.2fx\n", k, ours[k], unit[k], theirs[k], unit[k], theirs[k] / ours[k]
    }
  }' "$out/ours" "$out/torch"
