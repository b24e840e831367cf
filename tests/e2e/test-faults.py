#!/usr/bin/env python3
"""Crash, disk-full and render-farm tests of spatial-recovery-cli.

Crashes: render, train, prepare and deliver are killed with SIGKILL at
points drawn by a seeded generator (SR_FAULT_KILL_AT, engine/core/sr-fs.c:
the Nth step of the command's atomic writes), then run again to completion.
The outputs must then be byte-identical to an uninterrupted run (training
resumes from its last checkpoint with --resume, so its checkpoints, previews
and contact sheets must match bit for bit), no temporary or partial file may
remain, and the project file must be untouched. The GUI's save path is
killed the same way: the project file must always load, holding either the
previous save or the new one.

Disk full (root with tmpfs only; skipped otherwise): every writing command
on a small tmpfs fails with a message saying the disk is full, exits
non-zero, and leaves only complete files.

Render farm: four render processes, then four deliver processes, on
overlapping frame ranges into one folder; every frame is written once and
matches a single-process run.

Usage: test-faults.py SAVE-HELPER [crash|diskfull|farm ...]; $SR_CLI names
the CLI. SR_FAULT_SEED changes the drawn kill points.
"""

import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time

CLI = os.environ.get("SR_CLI")
SEED = int(os.environ.get("SR_FAULT_SEED", "20261207"))
POINTS_PER_COMMAND = 10
# SOURCE_DATE_EPOCH pins the dates written into checkpoints, masters and
# notes, so two runs can be compared byte for byte.
ENV = dict(os.environ, OMP_NUM_THREADS="1", SOURCE_DATE_EPOCH="1700000000", LC_ALL="C")
ENV.pop("SR_FAULT_KILL_AT", None)

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def run(args, cwd, kill_at=None, timeout=120):
    env = dict(ENV)
    if kill_at is not None:
        env["SR_FAULT_KILL_AT"] = str(kill_at)
    return subprocess.run([CLI] + args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def must(args, cwd):
    r = run(args, cwd)
    if r.returncode != 0:
        raise SystemExit("%s failed (%d):\n%s%s" % (" ".join(args[:1]), r.returncode, r.stdout,
                                                    r.stderr))
    return r


def snapshot(root):
    """Every file under root: relative path -> bytes."""
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, root)] = f.read()
    return files


def leftovers(root):
    """Temporary files (".NAME.XXXXXX.tmp") and hidden staging folders."""
    found = []
    for d, dirs, names in os.walk(root):
        for n in [x for x in dirs if x.startswith(".")] + [x for x in names if x.endswith(".tmp")]:
            found.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(found)


def checkpoint_step(path):
    """The step in a checkpoint's metadata; None when there is no file."""
    try:
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            return int(json.loads(f.read(n))["__metadata__"]["step"])
    except FileNotFoundError:
        return None


def compare(label, got, want):
    if got == want:
        return True
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    differ = sorted(k for k in set(got) & set(want) if got[k] != want[k])
    fail("%s: outputs differ from an uninterrupted run: missing %s, extra %s, different %s" %
         (label, missing[:5], extra[:5], differ[:5]))
    return False


def fault_points(args, cwd):
    """How many atomic-write steps the command takes (SR_FAULT_KILL_AT=0)."""
    r = run(args, cwd, kill_at=0)
    if r.returncode != 0:
        raise SystemExit("%s failed while counting fault points:\n%s" % (args[0], r.stderr))
    return sum(1 for line in r.stderr.splitlines() if line.startswith("sr-fault-point "))


def make_fixture(work):
    """A 6-frame demo, a small trained model and a render of it."""
    must(["demo", "d", "--frames", "6", "--size", "96x80", "--no-grain", "--no-train",
          "--progress", "quiet"], work)
    must(TRAIN + ["--steps", "20"], work)
    shutil.copy(os.path.join(work, "out", "checkpoints", "latest.safetensors"),
                os.path.join(work, "model.safetensors"))
    shutil.rmtree(os.path.join(work, "out"))
    must(RENDER_ARGS("rend/r.%04d.exr"), work)
    # The review override is recorded in the project once; every later
    # deliver restates it and leaves the project as it is.
    must(DELIVER_ARGS("first-delivery"), work)
    shutil.rmtree(os.path.join(work, "first-delivery"))


TRAIN = ["train", "d/demo.srproj", "--steps", "40", "--patch", "32", "--batch", "2",
         "--checkpoint-every", "10", "--contact-sheet-every", "10", "--threads", "1",
         "--backend", "cpu", "--progress", "quiet", "--out", "out"]


def RENDER_ARGS(output, frames=None):
    a = ["render", "-m", "model.safetensors", "-i", "d/source/demo_src.%04d.exr", "-o", output,
         "--backend", "cpu", "--progress", "quiet"]
    if frames:
        a += ["--frames", frames]
    return a


def DELIVER_ARGS(out, frames=None):
    a = ["deliver", "d/demo.srproj", "-r", "rend/r.%04d.exr", "--checkpoint", "model.safetensors",
         "-o", out, "--progress", "quiet", "--override-review", "--by", "e2e",
         "--reason", "fault injection on an unreviewed demo"]
    if frames:
        a += ["--frames", frames]
    return a


def resume_train(work):
    """What a user runs after a crash: --resume when a checkpoint exists;
    nothing when the last one was already saved."""
    step = checkpoint_step(os.path.join(work, "out", "checkpoints", "latest.safetensors"))
    if step == int(TRAIN[TRAIN.index("--steps") + 1]):
        return None
    return TRAIN + (["--resume"] if step is not None else [])


COMMANDS = {
    "render": (RENDER_ARGS("out/r.%04d.exr"), lambda work: RENDER_ARGS("out/r.%04d.exr")),
    "render-png": (RENDER_ARGS("out/r.%04d.png"), lambda work: RENDER_ARGS("out/r.%04d.png")),
    "train": (TRAIN, resume_train),
    "prepare": (["prepare", "d/demo.srproj", "-o", "out", "--progress", "quiet"],
                lambda work: ["prepare", "d/demo.srproj", "-o", "out", "--progress", "quiet"]),
    "deliver": (DELIVER_ARGS("out"), lambda work: DELIVER_ARGS("out")),
}


def crash_command(work, rng, name, first, again):
    out = os.path.join(work, "out")
    inputs = {k: v for k, v in snapshot(work).items()
              if not k.startswith("out" + os.sep) and not k.endswith(".qa-cache")}
    must(first, work)
    want = snapshot(out)
    shutil.rmtree(out)
    n_points = fault_points(first, work)
    if n_points < 1:
        fail("%s: no fault points" % name)
        return
    shutil.rmtree(out)
    points = sorted(rng.sample(range(1, n_points + 1), min(POINTS_PER_COMMAND, n_points)))
    kills = 0
    for p in points:
        r = run(first, work, kill_at=p)
        if r.returncode == -9:
            kills += 1
        elif r.returncode != 0:
            fail("%s killed at point %d: exited %d instead: %s" % (name, p, r.returncode,
                                                                  r.stderr.strip()[-300:]))
        args = again(work)
        r = run(args, work) if args else None
        if r and r.returncode != 0:
            fail("%s after a kill at point %d: the second run failed (%d): %s" %
                 (name, p, r.returncode, r.stderr.strip()[-400:]))
        compare("%s killed at point %d" % (name, p), snapshot(out), want)
        left = leftovers(work)
        if left:
            fail("%s killed at point %d: left %s" % (name, p, left[:5]))
            for x in left:
                path = os.path.join(work, x)
                if os.path.isdir(path):
                    shutil.rmtree(path, ignore_errors=True)
                elif os.path.exists(path):
                    os.remove(path)
        # The QA cache beside the rendered frames is validation's own file
        # (written atomically, keyed by the frames it measured), the one
        # thing delivery may write outside its folder.
        now = {k: v for k, v in snapshot(work).items()
               if not k.startswith("out" + os.sep) and not k.endswith(".qa-cache")}
        if now != inputs:
            fail("%s killed at point %d: changed files outside its output folder: %s" %
                 (name, p, sorted(k for k in set(now) | set(inputs)
                                  if now.get(k) != inputs.get(k))[:5]))
        shutil.rmtree(out, ignore_errors=True)
    print("%s: %d write steps, killed at %s (%d kills)" %
          (name, n_points, points, kills), flush=True)
    if kills < min(POINTS_PER_COMMAND, n_points):
        fail("%s: only %d of %d runs were killed" % (name, kills, len(points)))


def crash_project_save(work, rng, helper):
    """The GUI's save: killed mid-save, the project still loads whole."""
    folder = os.path.join(work, "proj")
    os.makedirs(folder)
    project = os.path.join(folder, "p.srproj")
    shutil.copy(os.path.join(work, "d", "demo.srproj"), project)
    saves = 12
    env = dict(ENV, SR_FAULT_KILL_AT="0")
    r = subprocess.run([helper, "save", project, str(saves)], env=env, capture_output=True,
                       text=True)
    n_points = sum(1 for line in r.stderr.splitlines() if line.startswith("sr-fault-point "))
    if r.returncode != 0 or n_points != 3 * saves:
        fail("project save: %d fault points for %d saves (%s)" % (n_points, saves, r.stderr[-200:]))
        return
    points = sorted(rng.sample(range(1, n_points + 1), POINTS_PER_COMMAND))
    for p in points:
        before = subprocess.run([helper, "read", project], env=ENV, capture_output=True,
                                text=True).stdout.strip()
        env = dict(ENV, SR_FAULT_KILL_AT=str(p))
        r = subprocess.run([helper, "save", project, str(saves)], env=env, capture_output=True,
                           text=True)
        if r.returncode != -9:
            fail("project save killed at point %d: exited %d" % (p, r.returncode))
        r = subprocess.run([helper, "read", project], env=ENV, capture_output=True, text=True)
        k = (p - 1) // 3 + 1  # the save the kill interrupted
        # Killed before its rename a save leaves the previous state; after it, the new one.
        allowed = {"save %d" % k} if p % 3 == 0 else {"save %d" % (k - 1) if k > 1 else before}
        if r.returncode != 0 or r.stdout.strip() not in allowed:
            fail("project save killed at point %d: the project reads %r (%s), expected %s" %
                 (p, r.stdout.strip(), r.stderr.strip(), sorted(allowed)))
        r = subprocess.run([helper, "save", project, "1"], env=ENV, capture_output=True,
                           text=True)
        left = leftovers(folder)
        if r.returncode != 0 or left:
            fail("project save after a kill at point %d: exit %d, left %s" %
                 (p, r.returncode, left))
    print("project save: killed at %s, the project always loaded whole" % points, flush=True)


def test_crashes(work, helper):
    rng = random.Random(SEED)
    for name, (first, again) in COMMANDS.items():
        t0 = time.monotonic()
        crash_command(work, rng, name, first, again)
        print("  (%.1f s)" % (time.monotonic() - t0), flush=True)
    crash_project_save(work, rng, helper)


# ---- disk full ------------------------------------------------------------

DISK_FULL_WORDS = ("No space left", "no space left", "disk is full", "disk full")


def complete_or_log(rel, data, want):
    """A file as the uninterrupted run wrote it; or, for the training loss
    log (appended as training goes), the start of it: the steps done before
    the disk filled, never a line the full run would not have written."""
    if want.get(rel) == data:
        return True
    return (os.path.basename(rel) == "loss.tsv" and rel in want and
            want[rel].startswith(data))


def test_disk_full(work):
    if os.geteuid() != 0:
        print("SKIP disk full: needs root to mount a small tmpfs", flush=True)
        return
    mnt = os.path.join(work, "full")
    os.makedirs(mnt)
    commands = {
        "render": lambda o: RENDER_ARGS(o + "/r.%04d.exr"),
        "train": lambda o: TRAIN[:-1] + [o],
        "prepare": lambda o: ["prepare", "d/demo.srproj", "-o", o, "--progress", "quiet"],
        "deliver": lambda o: DELIVER_ARGS(o),
        "validate": lambda o: ["validate", "d/demo.srproj", "-r", "rend/r.%04d.exr",
                               "--checkpoint", "model.safetensors", "-o", o, "--progress",
                               "quiet"],
    }
    for name, args in commands.items():
        ref = os.path.join(work, "ref-" + name)
        r = run(args(ref), work)
        # validate exits 1 when it flags frames, as it does on the demo.
        if r.returncode not in ((0, 1) if name == "validate" else (0,)):
            raise SystemExit("%s failed (%d): %s" % (name, r.returncode, r.stderr))
        want = snapshot(ref)
        size = max(sum(len(v) for v in want.values()) // 3, 24 * 1024)
        size = (size + 4095) // 4096 * 4096
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("SKIP disk full: cannot mount a tmpfs (%s)" % r.stderr.strip(), flush=True)
            return
        try:
            r = run(args(os.path.join(mnt, "o")), work)
            got = snapshot(mnt)
            left = leftovers(mnt)
        finally:
            subprocess.run(["umount", mnt])
        if r.returncode == 0:
            fail("%s on a full disk (%d bytes) exited 0" % (name, size))
        elif not any(w in r.stderr for w in DISK_FULL_WORDS):
            fail("%s on a full disk: the message does not say so: %s" %
                 (name, r.stderr.strip()[-300:]))
        if left:
            fail("%s on a full disk left %s" % (name, left))
        partial = sorted(k for k, v in got.items() if not complete_or_log(
            os.path.relpath(k, "o"), v, want))
        if partial:
            fail("%s on a full disk left partial or different files: %s" % (name, partial[:5]))
        print("disk full: %s on %d bytes: exit %d, %d complete files, '%s'" %
              (name, size, r.returncode, len(got), r.stderr.strip().splitlines()[-1][:120]
               if r.stderr.strip() else ""), flush=True)
        shutil.rmtree(ref)


# ---- render farm ------------------------------------------------------------

FARM_RANGES = ["1-4", "2-5", "3-6", "1-6"]


def farm(work, label, ranges, args_for, want, out):
    procs = [subprocess.Popen([CLI] + args_for(rg), cwd=work, env=ENV, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for rg in ranges]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for rg, (rc, _, err) in zip(ranges, results):
        if rc != 0:
            fail("%s: the process on frames %s failed (%d): %s" % (label, rg, rc,
                                                                     err.strip()[-300:]))
    compare(label, snapshot(out), want)
    left = leftovers(out)
    if left:
        fail("%s: left %s" % (label, left))
    return results


def test_farm(work):
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    must(RENDER_ARGS("out/r.%04d.exr"), work)
    want = snapshot(out)
    for trial in range(3):
        shutil.rmtree(out)
        results = farm(work, "render farm", FARM_RANGES,
                       lambda rg: RENDER_ARGS("out/r.%04d.exr", rg), want, out)
        # Each frame rendered by exactly one process; the others found it done.
        rendered = 0
        for _, stdout, _ in results:
            for line in stdout.splitlines():
                if line.startswith("frames") and "rendered" in line:
                    rendered += int(line.split(":")[1].split("rendered")[0].strip())
        if rendered != 6:
            fail("render farm: %d frames rendered by four processes for 6 frames" % rendered)
    print("render farm: 4 processes x 3 trials on %s: outputs identical" % FARM_RANGES,
          flush=True)

    # A master records the delivered range (frameRange), so deliveries of
    # different ranges differ by design: the four deliver processes share
    # the whole range, as when a delivery job is started on several nodes.
    shutil.rmtree(out)
    must(DELIVER_ARGS("out"), work)
    want = snapshot(out)
    for trial in range(3):
        shutil.rmtree(out)
        results = farm(work, "deliver farm", [None] * 4, lambda rg: DELIVER_ARGS("out"), want,
                       out)
        written = 0
        for _, stdout, _ in results:
            for line in stdout.splitlines():
                if line.startswith("frames") and "written" in line:
                    written += int(line.split(":")[1].split("written")[0].strip())
        if written != 6:
            fail("deliver farm: %d masters written by four processes for 6 frames" % written)
    print("deliver farm: 4 processes x 3 trials: outputs identical", flush=True)
    shutil.rmtree(out)


def main():
    if not CLI:
        raise SystemExit("SR_CLI must name spatial-recovery-cli")
    helper = sys.argv[1]
    parts = sys.argv[2:] or ["crash", "diskfull", "farm"]
    work = tempfile.mkdtemp(prefix="sr-faults-")
    try:
        t0 = time.monotonic()
        make_fixture(work)
        if "crash" in parts:
            test_crashes(work, helper)
        if "diskfull" in parts:
            test_disk_full(work)
        if "farm" in parts:
            test_farm(work)
        print("%.1f s" % (time.monotonic() - t0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("%d failures" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
