#!/usr/bin/env python3
"""Times scipy.ndimage.distance_transform_edt on the blob masks of DistanceBench.java.

    python3 bench/edt_scipy.py [--sizes 64,128] [--reps 15] [--json]

The mask is the same integer formula as DistanceBench.blob (three balls plus the sparse lattice
(7x + 13y + 29z) % 101 == 0), so both sides transform the identical array. Prints the median
(and min) wall time of --reps runs after one warm-up, per size. SciPy's EDT is single-threaded.
Needs numpy and scipy (Debian: apt-get install -y python3-numpy python3-scipy).
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import scipy
from scipy.ndimage import distance_transform_edt


def blob(s: int) -> np.ndarray:
    """[s, s, s] bool, z-y-x row-major, identical to DistanceBench.blob (integer arithmetic)."""
    z, y, x = np.meshgrid(np.arange(s), np.arange(s), np.arange(s), indexing="ij")
    m = (7 * x + 13 * y + 29 * z) % 101 == 0
    balls = [
        (s * 35 // 100, s * 40 // 100, s * 45 // 100, s * 28 // 100),
        (s * 65 // 100, s * 60 // 100, s * 50 // 100, s * 22 // 100),
        (s * 50 // 100, s * 25 // 100, s * 70 // 100, s * 15 // 100),
    ]
    for cz, cy, cx, r in balls:
        m |= (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= r * r
    return m


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="64,128")
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--json", action="store_true", help="one JSON object per size instead of text")
    a = ap.parse_args()
    for s in (int(v) for v in a.sizes.split(",")):
        m = blob(s)
        d = distance_transform_edt(m)   # warm-up (and the value checked below)
        times = []
        for _ in range(a.reps):
            t0 = time.perf_counter()
            distance_transform_edt(m)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        if a.json:
            print(json.dumps({"n": s, "median_s": med, "min_s": min(times), "reps": a.reps,
                              "ones": int(m.sum()), "sum_dist": float(d.sum())}))
        else:
            print(f"scipy {scipy.__version__} distance_transform_edt {s}^3: median {med * 1e3:.1f} ms, "
                  f"min {min(times) * 1e3:.1f} ms over {a.reps} runs (ones {int(m.sum())}, sum {d.sum():.6f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
