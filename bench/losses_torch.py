#!/usr/bin/env python3
"""Times PyTorch forward + backward of the losses of LossBench.java on the same shapes.

    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296 \
        /usr/bin/python3 bench/losses_torch.py [--threads 1,2] [--reps 15] [--json]

Workload (identical to LossBench): logits [2, 4, 64, 64, 64] float32, labels from the integer
formula of LossBench.label, M the 4-class matrix of LossBench.M.
  gwdl      generalised Wasserstein Dice loss, default weighting, smoothing 1e-5 (Fidon's
            formulation: softmax, W = sum_c M[y, c] p_c, TP = sum alpha (1 - W), written here
            with plain torch ops, so autograd differentiates it);
  boundary  mean over B x 3 x voxels of softmax(x)[:, 1:] * maps[:, 1:] (LIVIAETS SurfaceLoss).
  lovasz    Berman's lovasz_softmax (classes 'present', per_image False) on softmax(x), the
            algorithm of bermanmaxim/LovaszSoftmax pytorch/lovasz_losses.py re-typed from its
            description: per class, errors sorted decreasingly, dot with the Lovasz gradient.
  dice      soft Dice, MONAI defaults (smooth 1e-5, per sample and class), on softmax(x).
            The maps are random: their values do not change the time, and the EDT is not timed.
One run = the loss and its backward into a cleared gradient. Prints the median (and min) of --reps runs
after 3 warm-ups, per thread count. Debian: apt-get install -y python3-torch (torch 1.13).
The allocator setting above keeps glibc from returning the 8-32 MiB buffers to the OS on every
run (without it, page faults dominate).
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch

B, C, S = 2, 4, 64
M = [[0, 1, 1, 1], [1, 0, 0.6, 0.2], [1, 0.6, 0, 0.5], [1, 0.2, 0.5, 0]]


def labels() -> torch.Tensor:
    """[B, S, S, S] int64, identical to LossBench.label (integer arithmetic)."""
    b, z, y, x = np.meshgrid(np.arange(B), np.arange(S), np.arange(S), np.arange(S), indexing="ij")
    return torch.from_numpy((x // 16 + 2 * (y // 21) + 3 * (z // 13) + b) % 4).long()


def gwdl(logits: torch.Tensor, y: torch.Tensor, m: torch.Tensor, smooth: float = 1e-5) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)                          # [B, C, D, H, W]
    rows = m[y].permute(0, 4, 1, 2, 3)                         # M[y, c] as [B, C, D, H, W]
    w = (rows * p).sum(dim=1).flatten(1)                       # Wasserstein map [B, S]
    alpha = (y > 0).flatten(1).to(p.dtype)                     # default weighting: 0 on background
    tp = (alpha * (1 - w)).sum(dim=1)
    ae = w.sum(dim=1)
    return (1 - (2 * tp + smooth) / (2 * tp + ae + smooth)).mean()


def boundary(logits: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)
    return (p[:, 1:] * maps[:, 1:]).mean()


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovasz extension w.r.t. sorted errors (Berman et al. 2018, Alg. 1)."""
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.float().cumsum(0)
    union = gts + (1 - gt_sorted).float().cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)
    probas = p.permute(0, 2, 3, 4, 1).reshape(-1, C)          # [B*S, C]
    labels = y.reshape(-1)
    losses = []
    for c in range(C):
        fg = (labels == c).float()
        if fg.sum() == 0:
            continue
        errors = (fg - probas[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, 0, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    return torch.stack(losses).mean()


def dice(logits: torch.Tensor, onehot: torch.Tensor, smooth: float = 1e-5) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)
    axes = (2, 3, 4)
    inter = (p * onehot).sum(axes)
    return (1 - (2 * inter + smooth) / (p.sum(axes) + onehot.sum(axes) + smooth)).mean()


def time_it(fn, reps: int) -> tuple[float, float]:
    for _ in range(3):
        fn()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t), min(t)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(5)
    base = torch.empty(B, C, S, S, S).uniform_(-4, 4, generator=g)
    maps = torch.randn(B, C, S, S, S, generator=g)
    y = labels()
    m = torch.tensor(M, dtype=torch.float32)

    x = base.requires_grad_(True)

    def run_gwdl():
        x.grad = None                                          # a fresh gradient, as Java's Var.param
        gwdl(x, y, m).backward()
        return x.grad

    def run_boundary():
        x.grad = None
        boundary(x, maps).backward()
        return x.grad

    onehot = torch.nn.functional.one_hot(y, C).permute(0, 4, 1, 2, 3).float()

    def run_lovasz():
        x.grad = None
        lovasz(x, y).backward()
        return x.grad

    def run_dice():
        x.grad = None
        dice(x, onehot).backward()
        return x.grad

    for n in (int(v) for v in a.threads.split(",")):
        torch.set_num_threads(n)
        for name, fn in (("gwdl", run_gwdl), ("boundary", run_boundary), ("lovasz", run_lovasz), ("dice", run_dice)):
            med, best = time_it(fn, a.reps)
            if a.json:
                print(json.dumps({"loss": name, "threads": n, "median_ms": med * 1e3, "min_ms": best * 1e3,
                                  "torch": torch.__version__}))
            else:
                print(f"{name:9s} threads={n}  median {med * 1e3:8.2f} ms  min {best * 1e3:8.2f} ms  "
                      f"({1 / med:7.2f} ops/s)  torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
