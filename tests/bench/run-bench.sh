#!/bin/sh
# Runs sr-bench (our CPU backend) and unet_torch.py (PyTorch) with the same
# thread count, alternating, and prints our speed-up per figure for each
# round and the medians over the rounds: on a shared machine only ratios
# taken side by side mean anything.
#
#   tests/bench/run-bench.sh [BUILD_DIR] [ARGS...]
# ARGS go to both programs: --quick, --only train|infer, --model S|M,
# --patch N.
# Environment:
#   THREADS     threads for both (default: all online CPUs)
#   ROUNDS      rounds of ours-then-PyTorch (default 3)
#   TORCH_VENV  the virtual environment holding current PyTorch from PyPI
#               (default ${XDG_CACHE_HOME:-~/.cache}/spatial-recovery/torch-venv),
#               made with `python3 -m venv` and `pip install torch numpy`
#               when missing; never Debian's python3-torch (1.13, too old
#               to compare with)
#   TORCH_ARGS  extra arguments for unet_torch.py only (e.g.
#               --memory-format channels_last to skip timing NCHW)
#   SR_BENCH    the sr-bench to run (default: BUILD_DIR's), e.g. an older
#               build for a before/after comparison
#   ISA         avx2 caps both at AVX2 (oneDNN, MKL and ATen), to stand in
#               for an AVX2 machine on an AVX-512 one; default: the CPU's
# Both run with OMP_WAIT_POLICY=passive, so each figure's CPU time (the
# cpu_ lines: every thread's time while running) counts work rather than
# spinning; on a loaded machine it moves far less than the wall time.
# Not part of CI.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
shift $(( $# > 0 ? 1 : 0 ))
threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
venv=${TORCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/spatial-recovery/torch-venv}
bench=${SR_BENCH:-$build/tests/bench/sr-bench}
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
export OMP_NUM_THREADS="$threads" OMP_WAIT_POLICY=passive
case "${ISA:-}" in
  "") ;;
  avx2)
    export DNNL_MAX_CPU_ISA=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 \
      MKL_ENABLE_INSTRUCTIONS=AVX2 ;;
  *) echo "run-bench: ISA must be avx2 or unset, not $ISA" >&2; exit 2 ;;
esac

echo "# machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n1), $(nproc) CPUs, $threads threads, ISA cap: ${ISA:-none}"
"$py" - "$threads" <<'EOF'
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
info = torch.__config__.parallel_info()
mkl = next((l.split("Library Version")[1].split("-")[0].strip() for l in info.splitlines()
            if "Math Kernel Library" in l), "none")
dnnl = next((l.split("MKL-DNN")[1].split("(")[0].strip() for l in info.splitlines()
             if "MKL-DNN" in l), "none")
print(f"# PyTorch {torch.__version__} from {torch.__file__.rsplit('/torch/', 1)[0]}, "
      f"MKL {mkl}, oneDNN {dnnl}, {torch.get_num_threads()} threads, "
      f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
EOF

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

echo "## same network? (our S model's weights, ΔY, loss and gradients in PyTorch)"
"$bench" --backend cpu --export "$out"
"$py" "$here/unet_torch.py" --check "$out"

# ratios OURS THEIRS: one line per figure, PyTorch's figure / ours.
ratios() {
  awk '
    FNR == 1 { file++ }
    $1 == "RESULT" { if (file == 1) ours[$2] = $3; else theirs[$2] = $3; unit[$2] = $4; order[++n] = $2 }
    END {
      printf "%-24s %12s %12s %8s\n", "figure", "ours", "PyTorch", "ratio"
      for (i = 1; i <= n; i++) {
        k = order[i]
        if (seen[k]++ || !(k in ours) || !(k in theirs)) continue
        printf "%-24s %9.3f %-2s %9.3f %-2s %7.2fx\n", k, ours[k], unit[k], theirs[k], unit[k], theirs[k] / ours[k]
      }
    }' "$1" "$2"
}
r=1
while [ "$r" -le "$rounds" ]; do
  echo "## round $r of $rounds, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$bench" --backend cpu "$@" > "$out/ours$r"
  # shellcheck disable=SC2086 # TORCH_ARGS is a list of words
  "$py" "$here/unet_torch.py" --threads "$threads" ${TORCH_ARGS:-} "$@" > "$out/torch$r"
  echo "## round $r speed-up (PyTorch time / our time; above 1 means we are faster), load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  ratios "$out/ours$r" "$out/torch$r"
  r=$((r + 1))
done
# the median of each figure over the rounds, then the ratio of the medians
median() {
  awk '$1 == "RESULT" { v[$2] = v[$2] " " $3; unit[$2] = $4; if (!seen[$2]++) order[++n] = $2 }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]; m = split(substr(v[k], 2), a, " ")
        for (x = 1; x <= m; x++) for (y = x + 1; y <= m; y++) if (a[y] < a[x]) { t = a[x]; a[x] = a[y]; a[y] = t }
        med = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
        printf "RESULT %s %.4f %s\n", k, med, unit[k]
      }
    }' "$@"
}
median "$out"/ours* > "$out/ours-median"
median "$out"/torch* > "$out/torch-median"
echo "## medians over $rounds rounds (PyTorch / ours), load now: $(cut -d' ' -f1-3 /proc/loadavg)"
ratios "$out/ours-median" "$out/torch-median"
