#!/usr/bin/env bash
# Checks the C style, then builds and runs every test suite: the normal build
# (CPU, e2e and UI suites under Xvfb; GPU conformance tests skip where no GPU
# is present), then the CPU suite again under AddressSanitizer and
# UndefinedBehaviorSanitizer.
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

python3 - <<'PY'
import json
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
print(f"{passed} passed, {failed} failed, {skipped} skipped")
raise SystemExit(1 if failed else 0)
PY
