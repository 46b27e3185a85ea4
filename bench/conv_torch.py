#!/usr/bin/env python3
"""Times PyTorch CPU on the workloads of ConvBench.java and UNetStepBench.java, same shapes.

    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \
        /usr/bin/python3 bench/conv_torch.py [--threads 1,2] [--reps 10] [--only conv,unet] \
        [--segloss bench/results/jmh-....json ...] [--json]

Workloads (identical to the Java benchmarks):
  conv_forward           Conv3d(16, 16, 3, padding=1, bias=False) on x [1, 16, 64, 64, 64], no graph
                         (3.62 GFLOP).
  conv_forward_backward  the same with x and w requiring grad, then y.backward(dy) for a fixed dy:
                         y, dx and dw (10.9 GFLOP).
  unet_step              one training step of segloss's example U-Net (examples/.../UNet3d.java,
                         the network of `segloss train`): UNet3d(1, 4, depth 3, base 8, no deep
                         supervision) on x [1, 1, 64, 64, 64] with random labels; forward,
                         Dice + CE (DiceCELoss.nnUnet(false)), backward, AdamW(lr 3e-3) step.
The network, layer by layer as UNet3d.java builds it: per level l (channels 8 * 2^l), a block of two
(Conv3d 3x3x3 pad 1 no bias -> InstanceNorm3d(eps 1e-5, affine) -> LeakyReLU(0.01)); MaxPool3d(2)
between encoder levels; in the decoder ConvTranspose3d(kernel 2, stride 2, no bias) to the level's
channels, concat [skip, up] on channels, a block on 2x channels; a 1x1x1 Conv3d head with bias.
Loss: CE (mean over voxels) + soft Dice without background (per sample and class, smoothing 1e-5 on
numerator and denominator, 1 - mean Dice). AdamW: betas 0.9, 0.999, eps 1e-8, weight decay 0.01.

One run is timed with time.perf_counter; prints the median and min of --reps runs after 3
warm-ups, per thread count (torch.set_num_threads). With --segloss, reads JMH results files of
bench/run (ConvBench / UNetStepBench) and prints segloss's time per op at the same thread count and
the ratio torch / segloss (> 1: segloss is faster). Debian: apt-get install -y python3-torch
libopenblas0-pthread (torch 1.13). OpenBLAS matters: for small inputs (C·D·H < 20480, here the
32^3 and 16^3 levels of the U-Net) torch 1.13 takes its im2col + BLAS convolution instead of
oneDNN, and python3-torch alone pulls only the reference BLAS, with which one U-Net step took
2.8-3.2 s instead of 0.7-0.9 s on the 2-core Xeon. The allocator setting keeps glibc from
returning big buffers to the OS every run.
"""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

from losses_torch import time_it  # median and min after 3 warm-ups, shared with the loss benchmark

S, C = 64, 16
CLASSES, DEPTH, BASE, SLOPE = 4, 3, 8, 0.01
CONV_FLOPS = 2.0 * C * C * 27 * S ** 3


def block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv3d(cin, cout, 3, padding=1, bias=False), nn.InstanceNorm3d(cout, eps=1e-5, affine=True),
        nn.LeakyReLU(SLOPE),
        nn.Conv3d(cout, cout, 3, padding=1, bias=False), nn.InstanceNorm3d(cout, eps=1e-5, affine=True),
        nn.LeakyReLU(SLOPE))


class UNet3d(nn.Module):
    """UNet3d.java with deepSupervision false."""

    def __init__(self, in_channels: int, classes: int, depth: int, base: int):
        super().__init__()
        ch = [base << l for l in range(depth)]
        self.depth = depth
        self.encoder = nn.ModuleList(block(in_channels if l == 0 else ch[l - 1], ch[l]) for l in range(depth))
        self.ups = nn.ModuleList(nn.ConvTranspose3d(ch[l + 1], ch[l], 2, stride=2, bias=False)
                                 for l in range(depth - 2, -1, -1))
        self.decoder = nn.ModuleList(block(2 * ch[l], ch[l]) for l in range(depth - 2, -1, -1))
        self.head = nn.Conv3d(ch[0], classes, 1)
        self.pool = nn.MaxPool3d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips, h = [], x
        for l in range(self.depth):
            if l > 0:
                h = self.pool(h)
            h = self.encoder[l](h)
            skips.append(h)
        for i, l in enumerate(range(self.depth - 2, -1, -1)):
            h = self.ups[i](h)
            h = self.decoder[i](torch.cat([skips[l], h], dim=1))
        return self.head(h)


def dice_ce(logits: torch.Tensor, y: torch.Tensor, onehot: torch.Tensor, smooth: float = 1e-5) -> torch.Tensor:
    ce = F.cross_entropy(logits, y)
    p = torch.softmax(logits, dim=1)[:, 1:]
    g = onehot[:, 1:]
    axes = (2, 3, 4)
    dice = (2 * (p * g).sum(axes) + smooth) / (p.sum(axes) + g.sum(axes) + smooth)
    return ce + (1 - dice).mean()


def segloss_times(paths: list) -> dict:
    """{(workload, threads): seconds per op} from JMH jsons of bench/run (later files win)."""
    names = {"ConvBench.forward": "conv_forward", "ConvBench.forwardBackward": "conv_forward_backward",
             "UNetStepBench.step": "unet_step"}
    out = {}
    for path in paths:
        with open(path) as f:
            for r in json.load(f):
                short = ".".join(r["benchmark"].split(".")[-2:])
                if short in names and r["params"].get("impl", "vector") == "vector":
                    out[(names[short], int(r["params"]["threads"]))] = 1.0 / r["primaryMetric"]["score"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--only", default="conv,unet")
    ap.add_argument("--segloss", nargs="+", help="JMH results json(s) of bench/run with ConvBench / UNetStepBench")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    only = set(a.only.split(","))
    seg = segloss_times(a.segloss) if a.segloss else {}

    torch.manual_seed(2026)
    x = torch.randn(1, C, S, S, S)
    w = (torch.randn(C, C, 3, 3, 3) * (2.0 / (C * 27)) ** 0.5)
    dy = torch.randn(1, C, S, S, S)
    xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)

    def conv_forward():
        with torch.no_grad():
            return F.conv3d(x, w, padding=1)

    def conv_forward_backward():
        xg.grad, wg.grad = None, None
        F.conv3d(xg, wg, padding=1).backward(dy)
        return wg.grad

    model = UNet3d(1, CLASSES, DEPTH, BASE)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
    ux = torch.randn(1, 1, S, S, S)
    uy = torch.randint(0, CLASSES, (1, S, S, S))
    onehot = F.one_hot(uy, CLASSES).permute(0, 4, 1, 2, 3).float()

    def unet_step():
        opt.zero_grad(set_to_none=True)
        loss = dice_ce(model(ux), uy, onehot)
        loss.backward()
        opt.step()
        return loss

    work = []
    if "conv" in only:
        work += [("conv_forward", conv_forward, CONV_FLOPS), ("conv_forward_backward", conv_forward_backward, 3 * CONV_FLOPS)]
    if "unet" in only:
        work += [("unet_step", unet_step, 0)]
    for n in (int(v) for v in a.threads.split(",")):
        torch.set_num_threads(n)
        for name, fn, flops in work:
            med, best = time_it(fn, a.reps)
            s = seg.get((name, n))
            if a.json:
                print(json.dumps({"workload": name, "threads": n, "median_ms": med * 1e3, "min_ms": best * 1e3,
                                  "segloss_ms": s * 1e3 if s else None, "torch_over_segloss": med / s if s else None,
                                  "torch": torch.__version__}))
                continue
            rate = f"  {flops / med / 1e9:6.1f} GFLOP/s" if flops else ""
            ratio = f"  segloss {s * 1e3:8.2f} ms  torch/segloss {med / s:5.2f}x" if s else ""
            print(f"{name:22s} threads={n}  median {med * 1e3:8.2f} ms  min {best * 1e3:8.2f} ms{rate}{ratio}"
                  f"  torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
