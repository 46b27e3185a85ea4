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
Twins of LossBench.catalog (the losses of `segloss losses` with their catalogue defaults: softmax,
integer labels, smoothing 1e-5 unless said), written with plain torch ops for the same work; their
values are not compared with Java's here (the conformance vectors do that):
  catalog:dice-ce                  Dice without background + mean cross-entropy (nnU-Net DC_and_CE)
  catalog:dice                     soft Dice without background
  catalog:jaccard                  1 - (I + s)/(P + G - I + s), without background
  catalog:generalized-dice         MONAI GeneralizedDiceLoss, w = 1/G^2 (constant), background included
  catalog:cross-entropy            torch.nn.functional.cross_entropy
  catalog:weighted-cross-entropy   CE with foreground weights (N - S_c)/S_c, S_c = sum of the predicted
                                   probabilities (a constant of the graph), sum / N
  catalog:focal                    -(1 - p_t)^2 log p_t, mean over B*C*voxels (MONAI mean)
  catalog:sensitivity-specificity  0.05 * MSE over positives + 0.95 * MSE over negatives, per sample/class
  catalog:tversky                  alpha = beta = 0.5, without background
  catalog:asymmetric-similarity    Tversky with alpha = 1/(1 + 1.5^2), beta = 1.5^2/(1 + 1.5^2)
  catalog:focal-tversky            alpha 0.3, beta 0.7, (1 - TI)^0.75 per class, without background
  catalog:exp-log                  0.8 mean (-ln Dice)^0.3 (batch-pooled, eps 1) + 0.2 mean w_y (-ln p_y)^0.3,
                                   w_l = (sum_k f_k / f_l)^0.5 (constant)
  catalog:overlap                  2 sum p (1 - p) / N over the foreground channels
  catalog:generalized-wasserstein-dice  gwdl above with the binary M (the catalogue's default)
  catalog:lovasz-softmax           lovasz above
Not twinned: sudre-dice, focal-positive, left-atrium (reconstructions without a PyTorch reference),
boundary and hausdorff-dt as the catalogue runs them (they compute exact distance transforms per
call, which PyTorch has no op for; the boundary row above times the boundary term with given maps).
One run = the loss and its backward into a cleared gradient. Prints the median (and min) of --reps runs
after 3 warm-ups, per thread count. Debian: apt-get install -y python3-torch libopenblas0-pthread
(torch 1.13; OpenBLAS for bench/conv_torch.py's sake, see there).
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


def ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits, y)


def region_sums(p: torch.Tensor, onehot: torch.Tensor, first: int = 1):
    """I, P, G per sample and class over the spatial axes, channels from `first` on (1: no background)."""
    p, g = p[:, first:], onehot[:, first:]
    axes = (2, 3, 4)
    return (p * g).sum(axes), p.sum(axes), g.sum(axes)


def dice_nobg(logits: torch.Tensor, onehot: torch.Tensor, s: float = 1e-5) -> torch.Tensor:
    i, pp, g = region_sums(torch.softmax(logits, dim=1), onehot)
    return (1 - (2 * i + s) / (pp + g + s)).mean()


def jaccard(logits: torch.Tensor, onehot: torch.Tensor, s: float = 1e-5) -> torch.Tensor:
    i, pp, g = region_sums(torch.softmax(logits, dim=1), onehot)
    return (1 - (i + s) / (pp + g - i + s)).mean()


def tversky_index(logits, onehot, alpha, beta, s=1e-5):
    tp, pp, g = region_sums(torch.softmax(logits, dim=1), onehot)
    return (tp + s) / (tp + alpha * (pp - tp) + beta * (g - tp) + s)


def tversky(logits, onehot, alpha=0.5, beta=0.5):
    return (1 - tversky_index(logits, onehot, alpha, beta)).mean()


def focal_tversky(logits, onehot):
    return ((1 - tversky_index(logits, onehot, 0.3, 0.7)) ** 0.75).mean()


def generalized_dice(logits: torch.Tensor, onehot: torch.Tensor, s: float = 1e-5) -> torch.Tensor:
    i, pp, g = region_sums(torch.softmax(logits, dim=1), onehot, first=0)
    w = 1.0 / (g * g)
    w = torch.where(torch.isinf(w), torch.zeros_like(w), w)
    w = torch.where(w == 0, w.max(dim=1, keepdim=True).values.expand_as(w), w).detach()
    return (1 - (2 * (w * i).sum(1) + s) / ((w * (pp + g)).sum(1) + s)).mean()


def weighted_ce(logits: torch.Tensor, y: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=1)
    n = float(y.numel())
    sc = logp.detach().exp().sum((0, 2, 3, 4))                 # predicted volume per class
    w = ((n - sc) / sc).clamp_min(0)
    w[0] = 1.0
    return -(w.view(1, C, 1, 1, 1) * onehot * logp).sum() / n


def focal(logits: torch.Tensor, onehot: torch.Tensor, gamma: float = 2.0) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=1)
    return (-(1 - logp.exp()) ** gamma * onehot * logp).mean()


def sens_spec(logits: torch.Tensor, onehot: torch.Tensor, lam: float = 0.05, eps: float = 1e-5) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)
    axes = (2, 3, 4)
    d2 = (onehot - p) ** 2
    sens = (d2 * onehot).sum(axes) / (onehot.sum(axes) + eps)
    spec = (d2 * (1 - onehot)).sum(axes) / ((1 - onehot).sum(axes) + eps)
    return (lam * sens + (1 - lam) * spec).mean()


def exp_log(logits: torch.Tensor, y: torch.Tensor, onehot: torch.Tensor) -> torch.Tensor:
    logp = torch.log_softmax(logits, dim=1)
    p = logp.exp()
    axes = (0, 2, 3, 4)                                        # Dice pooled over the batch
    dice_c = (2 * (p * onehot).sum(axes) + 1) / (p.sum(axes) + onehot.sum(axes) + 1)
    l_dice = ((-torch.log(dice_c)) ** 0.3).mean()
    f = onehot.sum(axes)
    w = ((f.sum() / f) ** 0.5).detach()
    logp_y = logp.gather(1, y.unsqueeze(1)).squeeze(1)
    l_cross = (w[y] * (-logp_y).clamp_min(0) ** 0.3).mean()
    return 0.8 * l_dice + 0.2 * l_cross


def overlap(logits: torch.Tensor, s: float = 1e-5) -> torch.Tensor:
    p = torch.softmax(logits, dim=1)[:, 1:]
    n = float(p.shape[0] * p[0, 0].numel())
    return (2 * (p * (1 - p)).sum((0, 2, 3, 4)) / (n + s)).mean()


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

    binary = 1 - torch.eye(C)

    def step(loss):
        """One run of a catalogue twin: loss(x) and its backward into a fresh gradient."""
        def run():
            x.grad = None
            loss(x).backward()
            return x.grad
        return run

    catalog = (
        ("catalog:dice-ce", step(lambda z: dice_nobg(z, onehot) + ce(z, y))),
        ("catalog:dice", step(lambda z: dice_nobg(z, onehot))),
        ("catalog:jaccard", step(lambda z: jaccard(z, onehot))),
        ("catalog:generalized-dice", step(lambda z: generalized_dice(z, onehot))),
        ("catalog:cross-entropy", step(lambda z: ce(z, y))),
        ("catalog:weighted-cross-entropy", step(lambda z: weighted_ce(z, y, onehot))),
        ("catalog:focal", step(lambda z: focal(z, onehot))),
        ("catalog:sensitivity-specificity", step(lambda z: sens_spec(z, onehot))),
        ("catalog:tversky", step(lambda z: tversky(z, onehot))),
        ("catalog:asymmetric-similarity", step(lambda z: tversky(z, onehot, 1 / (1 + 1.5 ** 2), 1.5 ** 2 / (1 + 1.5 ** 2)))),
        ("catalog:focal-tversky", step(lambda z: focal_tversky(z, onehot))),
        ("catalog:exp-log", step(lambda z: exp_log(z, y, onehot))),
        ("catalog:overlap", step(lambda z: overlap(z))),
        ("catalog:generalized-wasserstein-dice", step(lambda z: gwdl(z, y, binary))),
        ("catalog:lovasz-softmax", step(lambda z: lovasz(z, y))),
    )

    for n in (int(v) for v in a.threads.split(",")):
        torch.set_num_threads(n)
        for name, fn in (("gwdl", run_gwdl), ("boundary", run_boundary), ("lovasz", run_lovasz), ("dice", run_dice)) + catalog:
            med, best = time_it(fn, a.reps)
            if a.json:
                print(json.dumps({"loss": name, "threads": n, "median_ms": med * 1e3, "min_ms": best * 1e3,
                                  "torch": torch.__version__}))
            else:
                print(f"{name:36s} threads={n}  median {med * 1e3:8.2f} ms  min {best * 1e3:8.2f} ms  "
                      f"({1 / med:7.2f} ops/s)  torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
