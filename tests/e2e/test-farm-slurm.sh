#!/usr/bin/env bash
# End-to-end: `farm submit`, `farm status` and `farm resume` on a real Slurm.
# Starts munged, slurmctld and slurmd as a one-node cluster on localhost with
# a configuration in a temporary folder, renders the demo reel as a job array
# and checks every frame against a single-process render; then cancels one
# held array task and checks that `farm resume` completes the reel.
# Skips (77) where Slurm cannot start here: not root, or no Slurm installed.
# Usage: test-farm-slurm.sh PATH/TO/spatial-recovery-cli
set -u

CLI=$(readlink -f "$1")
skip() {
  echo "SKIP: $*" >&2
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || skip "a test cluster needs root to start slurmd (run the farm suite as root)"
for tool in munged slurmctld slurmd sbatch squeue scancel scontrol python3 cmp; do
  command -v "$tool" >/dev/null || skip "$tool not found (Debian: apt-get install slurmctld slurmd slurm-client munge)"
done

TMP=$(mktemp -d /tmp/sr-farm-slurm-XXXXXX)
PIDS=()
cleanup() {
  # Jobs first, while slurmd can still end their processes (a failed check
  # may leave some running); the cluster is this test's own, so every job
  # in it is this test's.
  if [ -n "${SLURM_CONF:-}" ] && [ ${#PIDS[@]} -ge 3 ]; then
    scancel --user="$(id -un)" 2>/dev/null
    for _ in $(seq 20); do
      [ -z "$(squeue --noheader --format=%i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  # Then only the daemons this test started, by their process ids.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
  done
  if [ -n "${KEEP_TMP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

# ---- The cluster ------------------------------------------------------------
mkdir -p "$TMP/munge" "$TMP/state" "$TMP/spool" "$TMP/jobs"
chmod 700 "$TMP/munge"
head -c 1024 /dev/urandom >"$TMP/munge/munge.key"
chmod 400 "$TMP/munge/munge.key"
SOCK="$TMP/munge/munge.socket"
munged --foreground --force --key-file="$TMP/munge/munge.key" --socket="$SOCK" \
  --pid-file="$TMP/munge/munged.pid" --log-file="$TMP/munge/munged.log" \
  --seed-file="$TMP/munge/munged.seed" >"$TMP/munge/munged.out" 2>&1 &
PIDS+=($!)

read -r CTLD_PORT SLURMD_PORT < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
HOST=$(hostname -s)
NCPU=$(nproc)
export SLURM_CONF="$TMP/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=srtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$SOCK
CredType=cred/munge
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=5
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$NCPU State=UNKNOWN
PartitionName=farm Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || skip "munged did not start: $(tail -3 "$TMP/munge/munged.log" 2>/dev/null)"
slurmctld -D -i -f "$SLURM_CONF" >"$TMP/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" >"$TMP/slurmd.out" 2>&1 &
PIDS+=($!)
up=""
for _ in $(seq 60); do
  state=$(sinfo --noheader --format=%T 2>/dev/null)
  case "$state" in idle*|mixed*|allocated*) up=1; break ;; esac
  sleep 0.5
done
[ -n "$up" ] || skip "the test cluster did not come up (node state '${state:-}'):
$(tail -5 "$TMP/slurmctld.log" "$TMP/slurmd.log" "$TMP/slurmctld.out" "$TMP/slurmd.out" 2>/dev/null)"

# Waits until none of the given job ids is in the queue (at most $2 s).
wait_gone() {
  local jobs=$1 limit=$2 t=0
  while [ $t -lt "$limit" ]; do
    [ -z "$(squeue --noheader --jobs="$jobs" --format=%i 2>/dev/null)" ] && return 0
    sleep 1
    t=$((t + 1))
  done
  squeue --array --jobs="$jobs" >&2
  fail "jobs $jobs still queued after ${limit}s"
}
# Waits until the given array task ids have left the queue.
wait_tasks_gone() {
  local limit=$1 t=0
  shift
  while [ $t -lt "$limit" ]; do
    local left=""
    for id in "$@"; do
      squeue --noheader --array --format=%i | grep -qx "$id" && left=1
    done
    [ -z "$left" ] && return 0
    sleep 1
    t=$((t + 1))
  done
  fail "tasks $* still queued after ${limit}s"
}
json_field() { python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

# ---- The reel ----------------------------------------------------------------
cd "$TMP/jobs" || exit 1
N=12
"$CLI" demo reel --frames $N --size 96x80 --no-grain --no-train --progress quiet >/dev/null ||
  fail "demo failed"
PROJECT="$TMP/jobs/reel/demo.srproj"
OMP_NUM_THREADS=1 "$CLI" train "$PROJECT" --model s --steps 4 --patch 64 --batch 1 \
  --checkpoint-every 4 --contact-sheet-every 0 --progress quiet >/dev/null || fail "train failed"
MODEL="$TMP/jobs/reel/output/training/checkpoints/step_000004.safetensors"
# The single-process render every farm frame must equal, byte for byte.
OMP_NUM_THREADS=1 "$CLI" render "$PROJECT" --model "$MODEL" --output "$TMP/ref/f.%04d.exr" \
  --backend cpu --progress quiet >/dev/null || fail "reference render failed"
OUT="$TMP/jobs/reel/output"

check_frames() {
  # Numbered with the Source's padding (the demo's: four digits).
  local firsts=("$OUT"/render/*.0001.exr)
  [ -f "${firsts[0]}" ] || fail "no rendered frames in $OUT/render"
  local pattern=${firsts[0]%0001.exr}
  for f in $(seq 1 $N); do
    local n
    n=$(printf '%04d' "$f")
    [ -f "${pattern}$n.exr" ] || fail "frame $f was not rendered"
    cmp -s "${pattern}$n.exr" "$TMP/ref/f.$n.exr" ||
      fail "frame $f differs from the single-process render"
  done
  # Each frame rendered by exactly one task (the logs hold one line per frame).
  local counts
  counts=$(cat "$OUT"/farm/logs/render-*.log | grep -o '"frame":[0-9]*,"status":"rendered"' |
    sort | uniq -c | awk '{print $1}' | sort -u)
  [ "$counts" = "1" ] || fail "some frames were rendered more than once (counts: $counts)"
  local rendered
  rendered=$(cat "$OUT"/farm/logs/render-*.log | grep -c '"status":"rendered"')
  [ "$rendered" -eq $N ] || fail "$rendered frames rendered, expected $N"
}
# The finishing job started after every array task had ended.
check_finish_after() {
  local finish=$1
  local log="$OUT/farm/logs/finish-$finish.log"
  [ -f "$log" ] || fail "finishing job $finish left no log"
  grep -q "validated $N frames" "$log" || fail "finishing job did not validate: $(cat "$log")"
  local started ended
  started=$(sed -n 's/.* started \([0-9]*\) on .*/\1/p' "$log")
  ended=$(cat "$OUT"/farm/exit/[0-9]*_[0-9]* | awk '$2 > m {m = $2} END {print m}')
  if [ -z "$started" ] || [ "$started" -lt "$ended" ]; then
    fail "finishing job started at ${started:-?}, before the last task ended at $ended"
  fi
}

# ---- Round 1: a plain submission ------------------------------------------------
sub=$("$CLI" farm submit "$PROJECT" --tasks 4 --model "$MODEL" --progress json) ||
  fail "farm submit failed: $sub"
ARRAY=$(echo "$sub" | json_field array_job)
FINISH=$(echo "$sub" | json_field finish_job)
[ "$(echo "$sub" | json_field tasks)" -eq 4 ] || fail "expected 4 array tasks: $sub"
for script in render-01.sh finish-01.sh; do
  [ -f "$OUT/farm/$script" ] || fail "$script not saved in $OUT/farm"
done
wait_gone "$ARRAY,$FINISH" 120
check_frames
check_finish_after "$FINISH"
status=$("$CLI" farm status "$PROJECT") || fail "farm status failed"
echo "$status" | grep -q "$N of $N rendered" || fail "status: $status"
echo "$status" | grep -q "4 done, 0 running, 0 pending, 0 failed" || fail "status: $status"
echo "$status" | grep -q "render-${ARRAY}_3.log" || fail "status names no log: $status"
echo "round 1 passed: array $ARRAY, finishing job $FINISH"

# ---- Round 2: one task cancelled, then farm resume -----------------------------
rm -rf "$OUT/render" "$OUT/farm" "$OUT/validation"
sub=$("$CLI" farm submit "$PROJECT" --tasks 4 --model "$MODEL" --hold --progress json) ||
  fail "farm submit --hold failed: $sub"
ARRAY=$(echo "$sub" | json_field array_job)
FINISH=$(echo "$sub" | json_field finish_job)
# Held tasks cannot have started: the cancel always lands before any work.
scancel "${ARRAY}_3" || fail "scancel ${ARRAY}_3 failed"
scontrol release "${ARRAY}_0" "${ARRAY}_1" "${ARRAY}_2" || fail "scontrol release failed"
wait_tasks_gone 120 "${ARRAY}_0" "${ARRAY}_1" "${ARRAY}_2" "${ARRAY}_3"
status=$("$CLI" farm status "$PROJECT" --progress json) || fail "farm status failed"
echo "$status" | python3 -c '
import json, sys
s = json.loads(sys.stdin.readline())
st = {t["task"]: t["status"] for t in s["tasks"]}
assert st == {0: "done", 1: "done", 2: "done", 3: "failed"}, st
assert s["frames_done"] == s["frames"] - 3, s
assert s["finish"].startswith("pending"), s["finish"]
' || fail "status after the cancel: $status"
res=$("$CLI" farm resume "$PROJECT" --progress json) || fail "farm resume failed: $res"
ARRAY2=$(echo "$res" | json_field array_job)
FINISH2=$(echo "$res" | json_field finish_job)
[ "$(echo "$res" | json_field frames)" -eq 3 ] || fail "resume should render 3 frames: $res"
wait_gone "$ARRAY2,$FINISH2,$FINISH" 120
check_frames
check_finish_after "$FINISH2"
[ ! -f "$OUT/farm/logs/finish-$FINISH.log" ] || fail "the replaced finishing job ran"
again=$("$CLI" farm resume "$PROJECT") || fail "second resume failed"
echo "$again" | grep -q "nothing to resume" || fail "second resume: $again"
echo "round 2 passed: cancelled ${ARRAY}_3, resumed as $ARRAY2, finishing job $FINISH2"
