#!/usr/bin/env bash
# Usage: tests/fuzz/run.sh SECONDS [TARGET...]
# Builds the fuzz targets (build.sh), writes their seed corpora with the
# program's own writers (make-seeds.sh), then fuzzes each target for SECONDS.
# Every target runs; the script fails when any found a crash, leak, hang or
# out-of-memory (one line per target in build-fuzz/fuzz-results.txt, read by
# tools/test.sh). libFuzzer leaves the
# input that caused it as build-fuzz/artifacts/TARGET/crash-* (or leak-,
# timeout-, oom-): fix the parser, then add the file under
# tests/fuzz/regress/TARGET/ so the normal test suite replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(exr png tiff dpx sequence safetensors checkpoint project grain-plan loss-log json manifest)
dir=build-fuzz

bash tests/fuzz/build.sh "$dir"
bash tests/fuzz/make-seeds.sh "$dir/seeds"

results="$dir/fuzz-results.txt"
: >"$results"
failed=0
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus" "$dir/artifacts/$t"
  max_len=$(bash tests/fuzz/max-len.sh "$t")
  seeds=("$dir/seeds/$t")
  [ -d "tests/fuzz/regress/$t" ] && seeds+=("tests/fuzz/regress/$t")
  echo "fuzz-$t: ${seconds}s, max_len $max_len"
  # One process, no forking: CI gives each target a fixed slice of time.
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    OMP_NUM_THREADS=1 \
    "$dir/tests/fuzz/fuzz-$t" "$corpus" "${seeds[@]}" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$dir/artifacts/$t/" -print_final_stats=1 2>"$dir/fuzz-$t.log"; then
    grep -E '^stat::number_of_executed_units' "$dir/fuzz-$t.log" || true
    echo "$t OK" >>"$results"
  else
    tail -n 60 "$dir/fuzz-$t.log"
    echo "fuzz-$t: FAILED (input in $dir/artifacts/$t/)" >&2
    echo "$t FAIL" >>"$results"
    failed=1
  fi
done
exit "$failed"
