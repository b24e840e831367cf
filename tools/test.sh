#!/usr/bin/env bash
# Checks the C style, then builds and runs every test suite: the normal build
# (CPU, e2e and UI suites under Xvfb; GPU conformance tests skip where no GPU
# is present), then the CPU suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then every fuzz target for a short, bounded time
# (tests/fuzz/run.sh; needs clang-14 and libfuzzer-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash tools/check-format.sh

[ -d build ] || meson setup build
meson compile -C build
xvfb-run -a -s "-screen 0 1600x1000x24" \
  meson test -C build --print-errorlogs --num-processes "$jobs"

[ -d build-asan ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dgui=false -Dcuda=disabled
meson compile -C build-asan
ASAN_OPTIONS=detect_leaks=1 meson test -C build-asan --suite cpu --print-errorlogs --num-processes "$jobs"

rm -f build-fuzz/fuzz-results.txt
bash tests/fuzz/run.sh 20 || true

python3 - <<'PY'
import json, os
passed = failed = skipped = 0
for log in ("build/meson-logs/testlog.json", "build-asan/meson-logs/testlog.json"):
    with open(log) as f:
        for line in f:
            r = json.loads(line)
            if r["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r["result"] == "SKIP":
                skipped += 1
            else:
                failed += 1
# One result per fuzz target; no results file means the fuzz build failed.
fuzz = "build-fuzz/fuzz-results.txt"
if os.path.exists(fuzz) and os.path.getsize(fuzz) > 0:
    for line in open(fuzz):
        if line.split()[1] == "OK":
            passed += 1
        else:
            failed += 1
else:
    print("fuzz targets: not built or not run")
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
raise SystemExit(1 if failed else 0)
PY
