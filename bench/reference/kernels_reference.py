#!/usr/bin/python3
"""Times the reference implementations of wiseseg's kernels on the benchmark shapes and prints one
JSON object {name: median_ms}. Run by bench/java/io/wiseseg/bench/KernelBench.java so both sides
are measured in the same run on the same machine (Debian's python3-torch / python3-torchvision).

usage: kernels_reference.py REPEATS THREADS [names...]
"""
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision


def median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def rois_for(r, h_img, w_img, seed):
    g = torch.Generator().manual_seed(seed)
    x1 = torch.rand(r, generator=g) * w_img * 0.9
    y1 = torch.rand(r, generator=g) * h_img * 0.9
    bw = 8 + torch.rand(r, generator=g) * w_img * 0.3
    bh = 8 + torch.rand(r, generator=g) * h_img * 0.3
    return torch.stack([torch.zeros(r), x1, y1, x1 + bw, y1 + bh], dim=1)


def prm_peaks(maps, win=3):
    offset = (win - 1) // 2
    padded = F.pad(maps, (offset,) * 4, value=float("-inf"))
    b, c, hp, wp = padded.shape
    element_map = torch.arange(0, hp * wp).long().view(1, 1, hp, wp)[:, :, offset:-offset, offset:-offset]
    _, indices = F.max_pool2d(padded, kernel_size=win, stride=1, return_indices=True)
    peak_map = indices == element_map
    peak_map = peak_map & (maps >= maps.view(b, c, -1).median(dim=2)[0].view(b, c, 1, 1))
    peaks = torch.nonzero(peak_map)
    pm = peak_map.float()
    agg = (maps * pm).view(b, c, -1).sum(2) / pm.view(b, c, -1).sum(2)
    return peaks, agg


def main():
    repeats, threads = int(sys.argv[1]), int(sys.argv[2])
    wanted = set(sys.argv[3:])
    torch.set_num_threads(threads)
    out = {}
    feats = torch.randn(1, 256, 200, 272)
    rois = rois_for(1000, 800, 1088, 0)

    def want(name):
        return not wanted or name in wanted

    if want("roi_align_7x7"):
        out["roi_align_7x7"] = median_ms(lambda: torchvision.ops.roi_align(feats, rois, (7, 7), 0.25, 2, False), repeats)
    if want("roi_align_14x14"):
        out["roi_align_14x14"] = median_ms(lambda: torchvision.ops.roi_align(feats, rois, (14, 14), 0.25, 2, False), repeats)
    if want("roi_align_7x7_fwd_bwd"):
        x = feats.clone().requires_grad_(True)
        g = torch.randn(1000, 256, 7, 7)

        def fwd_bwd():
            x.grad = None
            torchvision.ops.roi_align(x, rois, (7, 7), 0.25, 2, False).backward(g)
        out["roi_align_7x7_fwd_bwd"] = median_ms(fwd_bwd, repeats)
    if want("peaks_16x20x112"):
        m = torch.randn(16, 20, 112, 112)
        out["peaks_16x20x112"] = median_ms(lambda: prm_peaks(m), repeats)
    if want("peaks_1x20x112"):
        m = torch.randn(1, 20, 112, 112)
        out["peaks_1x20x112"] = median_ms(lambda: prm_peaks(m), repeats)
    if want("proposal_sums_20x500"):
        rng = np.random.default_rng(0)
        maps = rng.random((20, 375, 500), dtype=np.float32)
        props = rng.random((500, 375, 500)) < 0.2
        def loop():
            s = np.empty((20, 500), dtype=np.float64)
            for k in range(20):
                for p in range(500):
                    s[k, p] = maps[k][props[p]].sum()
            return s
        out["proposal_sums_20x500"] = median_ms(loop, max(1, repeats // 5))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
