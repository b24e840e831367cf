#!/usr/bin/env python3
"""The luma-residual U-Net of engine/nn/sr-unet.h in PyTorch, timed like sr-bench.

Same widths, same layers (3x3 conv + ReLU pairs, 2x2 stride-2 conv down,
2x2 stride-2 transposed conv up, skip concatenation, 1x1 head to one
channel), same Charbonnier loss on luma, same Adam. Prints "RESULT" lines
in sr-bench's format so run-bench.sh can compare them.

    unet_torch.py [--threads N] [--quick] [--only train|infer]
                  [--memory-format contiguous|channels_last|best]
    unet_torch.py --check DIR    (DIR written by sr-bench --export DIR)

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


def time_train(size, patch, batch, warmup, runs, fmt):
    torch.manual_seed(1)
    net = LumaResidualUNet(*SIZES[size]).to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    src = torch.rand(batch, 3, patch, patch).contiguous(memory_format=fmt)
    gt = torch.rand(batch, 3, patch, patch).contiguous(memory_format=fmt)
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = charbonnier(src, net(src), gt)
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def time_infer(size, w, h, warmup, runs, fmt):
    torch.manual_seed(1)
    m = 1 << (SIZES[size][1] - 1)
    ph, pw = (h + m - 1) // m * m, (w + m - 1) // m * m
    net = LumaResidualUNet(*SIZES[size]).to(memory_format=fmt).eval()
    src = torch.rand(1, 3, ph, pw).contiguous(memory_format=fmt)
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            net(src).contiguous()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


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
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.check:
        raise SystemExit(check(a.check))
    formats = {"contiguous": [torch.contiguous_format], "channels_last": [torch.channels_last],
               "best": [torch.contiguous_format, torch.channels_last]}[a.memory_format]
    names = {torch.contiguous_format: "NCHW", torch.channels_last: "NHWC"}
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"oneDNN {torch.backends.mkldnn.is_available()}")
    if a.only in (None, "train"):
        for size in ("S", "M"):
            for patch in (128, 256):
                runs = 3 if a.quick else (9 if patch == 128 else 5)
                best = None
                for fmt in formats:
                    ms = time_train(size, patch, 3, 2, runs, fmt)
                    print(f"train {size} patch {patch} batch 3 ({names[fmt]}): {ms:.1f} ms/step", flush=True)
                    best = ms if best is None else min(best, ms)
                print(f"RESULT train_{size}_{patch} {best:.3f} ms", flush=True)
    if a.only in (None, "infer"):
        best = None
        for fmt in formats:
            s = time_infer("M", 2048, 1556, 1, 1 if a.quick else 3, fmt)
            print(f"infer M 2048x1556 ({names[fmt]}): {s:.2f} s/frame", flush=True)
            best = s if best is None else min(best, s)
        print(f"RESULT infer_M_2048x1556 {best:.3f} s", flush=True)


if __name__ == "__main__":
    main()
