#!/usr/bin/env python3
"""The luma-residual U-Net of engine/nn/sr-unet.h in PyTorch, timed like sr-bench.

Same widths, same layers (3x3 conv + ReLU pairs, 2x2 stride-2 conv down,
2x2 stride-2 transposed conv up, skip concatenation, 1x1 head to one
channel), same Charbonnier loss on luma, same Adam. Prints "RESULT" lines
in sr-bench's format so run-bench.sh can compare them.

    unet_torch.py [--threads N] [--quick] [--only train|infer]
                  [--model S|M|L] [--patch N]
                  [--memory-format contiguous|channels_last|best]
                  [--device cpu|cuda] [--set cpu|gpu]
                  [--variant eager|amp|compile|all]
    unet_torch.py --check DIR    (DIR written by sr-bench --export DIR)

On a GPU (--device cuda, which implies --set gpu: S, M and L at patch 512,
batch 3; M inference on 2048x1556 and 4096x3112) the variants are eager
fp32 (TF32 off, as our fp32 path), eager with bf16 autocast, and
torch.compile (max-autotune, bf16 autocast); "all" times each and the
RESULT line carries the fastest, so we are compared with PyTorch's best.
Device time is taken with CUDA events.

--check loads our S model's weights into this network (OHWI -> PyTorch's
OIHW; transposed conv OHWI -> IOHW; the decoder's weight and skip_weight
concatenated on input channels), runs the same input and compares ΔY, the
loss and every gradient with ours.

"best" (the default) times both memory formats and reports the faster one
for each figure, so PyTorch is compared at its best.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

SIZES = {"S": (16, 3), "M": (32, 4), "L": (64, 4)}
KR, KG, KB = 0.2126, 0.7152, 0.0722
EPS = 1e-3
# the training figures of sr-bench's CPU set, (size, patch)
CPU_FIGURES = [("S", 128), ("S", 256), ("M", 128), ("M", 256), ("M", 512)]


class LumaResidualUNet(nn.Module):
    def __init__(self, width, levels):
        super().__init__()
        self.levels = levels
        c = [width << l for l in range(levels)]

        def pair(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
                nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True))

        self.enc = nn.ModuleList(pair(3 if l == 0 else c[l], c[l]) for l in range(levels))
        self.down = nn.ModuleList(nn.Conv2d(c[l], c[l + 1], 2, stride=2) for l in range(levels - 1))
        self.up = nn.ModuleList(nn.ConvTranspose2d(c[l + 1], c[l], 2, stride=2) for l in range(levels - 1))
        self.dec = nn.ModuleList(pair(2 * c[l], c[l]) for l in range(levels - 1))
        self.head = nn.Conv2d(c[0], 1, 1)

    def forward(self, x):
        skips = []
        for l in range(self.levels):
            x = self.enc[l](x)
            if l < self.levels - 1:
                skips.append(x)
                x = self.down[l](x)
        for l in range(self.levels - 2, -1, -1):
            x = self.up[l](x)
            x = self.dec[l](torch.cat([x, skips[l]], dim=1))
        return self.head(x)


def luma(rgb):
    return KR * rgb[:, 0:1] + KG * rgb[:, 1:2] + KB * rgb[:, 2:3]


def charbonnier(src, delta, target):
    r = luma(src) + delta - luma(target)
    return torch.sqrt(r * r + EPS * EPS).mean()


class Timer:
    """Wall time on the CPU; CUDA events (device time of the queued work) on a GPU."""

    def __init__(self, device):
        self.cuda = device.type == "cuda"

    def __enter__(self):
        if self.cuda:
            self.a = torch.cuda.Event(enable_timing=True)
            self.b = torch.cuda.Event(enable_timing=True)
            self.a.record()
        else:
            self.t0 = time.perf_counter()
        self.c0 = time.process_time()
        return self

    def __exit__(self, *exc):
        if self.cuda:
            self.b.record()
            self.b.synchronize()
            self.seconds = self.a.elapsed_time(self.b) / 1e3
        else:
            self.seconds = time.perf_counter() - self.t0
        # CPU time of all the process's threads, as sr-bench's cpu_ figures
        self.cpu_seconds = time.process_time() - self.c0


def prepare(net, variant):
    """(module, autocast context factory) for a variant."""
    import contextlib
    if variant == "eager":
        return net, contextlib.nullcontext
    amp = lambda: torch.autocast("cuda", dtype=torch.bfloat16)
    if variant == "amp":
        return net, amp
    return torch.compile(net, mode="max-autotune"), amp


def time_train(size, patch, batch, warmup, runs, fmt, device=torch.device("cpu"), variant="eager"):
    torch.manual_seed(1)
    net = LumaResidualUNet(*SIZES[size]).to(device=device, memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4,
                           fused=device.type == "cuda" or None)
    model, ctx = prepare(net, variant)
    # fresh patches each step from a small pool, as a trainer feeds them
    pool = [(torch.rand(batch, 3, patch, patch, device=device).contiguous(memory_format=fmt),
             torch.rand(batch, 3, patch, patch, device=device).contiguous(memory_format=fmt))
            for _ in range(4)]
    times, cpu = [], []
    for i in range(warmup + runs):
        src, gt = pool[i % len(pool)]
        with Timer(device) as t:
            opt.zero_grad(set_to_none=True)
            with ctx():
                delta = model(src)
            loss = charbonnier(src, delta.float(), gt)
            loss.backward()
            opt.step()
        if device.type == "cpu":
            loss.item()
        if i >= warmup:
            times.append(t.seconds)
            cpu.append(t.cpu_seconds)
    return 1e3 * statistics.median(times), 1e3 * statistics.median(cpu)


def time_infer(size, w, h, warmup, runs, fmt, device=torch.device("cpu"), variant="eager"):
    torch.manual_seed(1)
    m = 1 << (SIZES[size][1] - 1)
    ph, pw = (h + m - 1) // m * m, (w + m - 1) // m * m
    net = LumaResidualUNet(*SIZES[size]).to(device=device, memory_format=fmt).eval()
    model, ctx = prepare(net, variant)
    src = torch.rand(1, 3, ph, pw, device=device).contiguous(memory_format=fmt)
    times, cpu = [], []
    with torch.inference_mode():
        for i in range(warmup + runs):
            with Timer(device) as t:
                with ctx():
                    model(src).float().contiguous()
            if i >= warmup:
                times.append(t.seconds)
                cpu.append(t.cpu_seconds)
    return statistics.median(times), statistics.median(cpu)


def load_ours(d):
    import numpy as np
    meta, params = {}, []
    with open(f"{d}/model.txt") as f:
        for line in f:
            k, *v = line.split()
            if k == "param":
                params.append((v[0], int(v[1]), int(v[2]), [int(x) for x in v[3:]]))
            else:
                meta[k] = v[0]
    arrays = {n: torch.from_numpy(np.fromfile(f"{d}/{n}.bin", dtype="<f4"))
              for n in ("params", "grads", "input", "target", "delta")}
    return meta, params, arrays


def torch_tensor_for(net, name):
    """Maps one of our parameter names to (torch parameter, converter from ours)."""
    conv_ohwi = lambda t: t.permute(0, 3, 1, 2)        # O,KH,KW,I -> O,I,KH,KW
    convT_ohwi = lambda t: t.permute(3, 0, 1, 2)       # O,KH,KW,I -> I,O,KH,KW
    parts = name.split(".")
    mid = net.levels - 1
    if parts[0] == "head":
        m = net.head
        return (m.weight, conv_ohwi) if parts[1] == "weight" else (m.bias, None)
    if parts[0] in ("mid",) or parts[0].startswith("enc"):
        l = mid if parts[0] == "mid" else int(parts[0][3:])
        if parts[1] == "down":
            m, conv = net.down[l], conv_ohwi
        else:
            m, conv = net.enc[l][0 if parts[1] == "conv1" else 2], conv_ohwi
        return (m.weight, conv) if parts[2] == "weight" else (m.bias, None)
    l = int(parts[0][3:])
    if parts[1] == "up":
        m = net.up[l]
        return (m.weight, convT_ohwi) if parts[2] == "weight" else (m.bias, None)
    m = net.dec[l][0 if parts[1] == "conv1" else 2]
    if parts[2] == "bias":
        return m.bias, None
    if parts[1] == "conv2":
        return m.weight, conv_ohwi
    half = m.weight.shape[1] // 2
    sl = slice(0, half) if parts[2] == "weight" else slice(half, 2 * half)
    return m.weight, (conv_ohwi, sl)


def check(d):
    meta, params, arr = load_ours(d)
    n, h, w = int(meta["batch"]), int(meta["height"]), int(meta["width"])
    net = LumaResidualUNet(*SIZES[meta["size"]])
    with torch.no_grad():
        for name, off, count, shape in params:
            p, conv = torch_tensor_for(net, name)
            ours = arr["params"][off:off + count].reshape(shape)
            if isinstance(conv, tuple):
                p[:, conv[1]] = conv[0](ours)
            else:
                p.copy_(conv(ours) if conv else ours)
    nchw = lambda t, c: t.reshape(n, h, w, c).permute(0, 3, 1, 2)
    src, gt = nchw(arr["input"], 3), nchw(arr["target"], 3)
    delta = net(src)
    loss = charbonnier(src, delta, gt)
    loss.backward()
    worst = (delta - nchw(arr["delta"], 1)).abs().max().item()
    print(f"delta: max |ours - torch| = {worst:.3g} (|delta| up to {delta.abs().max().item():.3g})")
    ok = worst < 1e-4
    dl = abs(loss.item() - float(meta["loss"]))
    print(f"loss: ours {float(meta['loss']):.7f} torch {loss.item():.7f}")
    ok = ok and dl < 1e-5
    for name, off, count, shape in params:
        p, conv = torch_tensor_for(net, name)
        ours = arr["grads"][off:off + count].reshape(shape)
        g = p.grad
        if isinstance(conv, tuple):
            theirs, ours = g[:, conv[1]], conv[0](ours)
        else:
            theirs, ours = g, (conv(ours) if conv else ours)
        err = (theirs - ours).abs().max().item()
        scale = theirs.abs().max().item()
        good = err <= 1e-3 * scale + 1e-7
        ok = ok and good
        if not good:
            print(f"gradient {name}: max error {err:.3g} of {scale:.3g}")
    print("check:", "PASS, same network" if ok else "FAIL")
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--check", metavar="DIR")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", choices=["train", "infer"])
    ap.add_argument("--memory-format", choices=["contiguous", "channels_last", "best"], default="best")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--set", choices=["cpu", "gpu"])
    ap.add_argument("--variant", choices=["eager", "amp", "compile", "all"], default="all")
    ap.add_argument("--model", choices=["S", "M", "L"], help="only this size's training figures")
    ap.add_argument("--patch", type=int, help="only this patch's training figures")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.check:
        raise SystemExit(check(a.check))
    formats = {"contiguous": [torch.contiguous_format], "channels_last": [torch.channels_last],
               "best": [torch.contiguous_format, torch.channels_last]}[a.memory_format]
    names = {torch.contiguous_format: "NCHW", torch.channels_last: "NHWC"}
    device = torch.device(a.device)
    gpu_set = (a.set or ("gpu" if device.type == "cuda" else "cpu")) == "gpu"
    if device.type == "cuda":
        # our fp32 path is true fp32: keep PyTorch's eager fp32 honest too
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
        variants = ["eager", "amp", "compile"] if a.variant == "all" else [a.variant]
        print(f"# PyTorch {torch.__version__}, {torch.cuda.get_device_name()}, "
              f"cuDNN {torch.backends.cudnn.version()}")
    else:
        variants = ["eager"]
        print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"oneDNN {torch.backends.mkldnn.is_available()}")
    if a.only in (None, "train"):
        figures = [(s, 512) for s in ("S", "M", "L")] if gpu_set else CPU_FIGURES
        figures = [(s, p) for s, p in figures
                   if a.model in (None, s) and a.patch in (None, p)]
        for size, patch in figures:
            runs = 3 if a.quick else (50 if gpu_set else (9 if patch == 128 else 5))
            warmup = 10 if gpu_set else 2
            best = best_cpu = None
            for variant in variants:
                for fmt in formats:
                    ms, cpu_ms = time_train(size, patch, 3, warmup, runs, fmt, device, variant)
                    print(f"train {size} patch {patch} batch 3 ({variant}, {names[fmt]}): "
                          f"{ms:.2f} ms/step, {cpu_ms:.2f} ms CPU", flush=True)
                    best = ms if best is None else min(best, ms)
                    best_cpu = cpu_ms if best_cpu is None else min(best_cpu, cpu_ms)
            print(f"RESULT train_{size}_{patch} {best:.3f} ms", flush=True)
            if device.type == "cpu":
                print(f"RESULT cpu_train_{size}_{patch} {best_cpu:.3f} ms", flush=True)
    if a.only in (None, "infer"):
        frames = [(2048, 1556), (4096, 3112)] if gpu_set else [(2048, 1556)]
        for w, h in frames:
            best = best_cpu = None
            for variant in variants:
                for fmt in formats:
                    s, cpu_s = time_infer("M", w, h, 3 if gpu_set else 1,
                                          1 if a.quick else (20 if gpu_set else 3), fmt, device,
                                          variant)
                    print(f"infer M {w}x{h} ({variant}, {names[fmt]}): {s:.4f} s/frame, "
                          f"{cpu_s:.4f} s CPU", flush=True)
                    best = s if best is None else min(best, s)
                    best_cpu = cpu_s if best_cpu is None else min(best_cpu, cpu_s)
            print(f"RESULT infer_M_{w}x{h} {best:.4f} s", flush=True)
            if device.type == "cpu":
                print(f"RESULT cpu_infer_M_{w}x{h} {best_cpu:.4f} s", flush=True)


if __name__ == "__main__":
    main()
