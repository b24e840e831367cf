#!/bin/sh
# Runs sr-bench (our CPU backend) and unet_torch.py (PyTorch) with the same
# thread count, alternating, and prints our speed-up per figure for each
# round: on a shared machine only ratios taken side by side mean anything.
#
#   tests/bench/run-bench.sh [BUILD_DIR] [--quick]
# Environment: THREADS (default: all online CPUs), ROUNDS (default 3),
# TORCH_VENV (default /tmp/torchenv): the virtual environment holding
# current PyTorch from PyPI, created with `python3 -m venv` and
# `pip install torch` when it is missing (Debian's python3-torch is 1.13,
# too old to compare with). Not part of CI.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
shift $(( $# > 0 ? 1 : 0 ))
quick=""
[ "${1:-}" = "--quick" ] && quick="--quick"
threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
venv=${TORCH_VENV:-/tmp/torchenv}
bench="$build/tests/bench/sr-bench"
py="$venv/bin/python3"

if [ ! -x "$bench" ]; then
  echo "run-bench: $bench not found; build first: meson compile -C $build" >&2
  exit 2
fi
if ! "$py" -c 'import torch' 2>/dev/null; then
  echo "run-bench: installing PyTorch from PyPI into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch numpy >&2
fi
echo "# PyTorch $("$py" -c 'import torch; print(torch.__version__, "oneDNN", torch.backends.mkldnn.is_available(), torch.__config__.parallel_info().splitlines()[0])')"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

echo "## same network? (our S model's weights, ΔY, loss and gradients in PyTorch)"
"$bench" --backend cpu --export "$out"
"$py" "$here/unet_torch.py" --check "$out"

echo "# machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $threads threads"
ratios() {
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
    }' "$1" "$2"
}
r=1
while [ "$r" -le "$rounds" ]; do
  echo "## round $r of $rounds, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  OMP_NUM_THREADS=$threads "$bench" --backend cpu $quick > "$out/ours"
  OMP_NUM_THREADS=$threads "$py" "$here/unet_torch.py" --threads "$threads" $quick > "$out/torch"
  echo "## round $r speed-up (PyTorch time / our time; above 1 means we are faster), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  ratios "$out/ours" "$out/torch"
  r=$((r + 1))
done
