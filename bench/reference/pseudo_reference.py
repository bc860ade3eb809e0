#!/usr/bin/python3
"""Times the reference's pseudo-mask selection loops on inputs written by PseudoBench and prints
one JSON object {rule: median_ms}:
  prm_retrieval   PRM's instance_seg: per peak, per proposal (first 100): size check, 5x5
                  morphological gradient, balance*sum(R*P) + sum(R*contour) - penalty*sum(Q*P)
  best_objectness WISE's pointList2propDict + bo_proposal: proposals scoring > 0.5 that contain
                  the point, highest score
  best_iou        IoU of each proposal with each thresholded peak response map
Masks come pre-decoded (the reference decodes RLE per proposal on top of this). The contour uses
scipy.ndimage (dilation - erosion with a 5x5 square, border ignored), as cv2.morphologyEx does.

usage: pseudo_reference.py DIR P H W C REPEATS
"""
import json
import os
import statistics
import sys
import time

import numpy as np
from scipy import ndimage


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    d, p, h, w, c, repeats = sys.argv[1], *map(int, sys.argv[2:7])
    masks = np.fromfile(os.path.join(d, "masks.u8"), np.uint8).reshape(p, h, w).astype(bool)
    scores = np.fromfile(os.path.join(d, "scores.f32"), "<f4")
    seeds = np.fromfile(os.path.join(d, "seeds.i32"), "<i4").reshape(-1, 3)
    k = len(seeds)
    prms = np.fromfile(os.path.join(d, "prms.f32"), "<f4").reshape(k, h, w)
    classes = np.fromfile(os.path.join(d, "classes.f32"), "<f4").reshape(c, h, w)
    square = np.ones((5, 5), bool)

    def prm_retrieval():
        bg_factor, penalty, balance = 0.95, 1e-5, 0.8
        img_area = h * w
        out = []
        for i in range(k):
            cls = classes[seeds[i, 0]]
            bg = (cls < bg_factor * cls.mean()).astype(np.float32)
            r = prms[i]
            best, pick = -np.inf, -1
            for j in range(min(100, p)):
                mask = masks[j]
                contour = ndimage.binary_dilation(mask, square) & ~ndimage.binary_erosion(mask, square, border_value=1)
                area = mask.sum()
                if area >= 0.85 * img_area or area < 0.00002 * img_area:
                    continue
                val = balance * r[mask].sum() + r[contour].sum() - penalty * bg[mask].sum()
                if val > best:
                    best, pick = val, j
            out.append(pick)
        return out

    def best_objectness():
        cand = {i: [] for i in range(k)}
        for j in range(p):
            if not scores[j] > 0.5:
                continue
            for i in range(k):
                if masks[j][seeds[i, 1], seeds[i, 2]]:
                    cand[i].append(j)
        return [cand[i][int(np.argmax(scores[cand[i]]))] if cand[i] else -1 for i in range(k)]

    def best_iou():
        out = []
        for i in range(k):
            t = prms[i] >= prms[i].mean()
            ious = [np.logical_and(masks[j], t).sum() / max(1, np.logical_or(masks[j], t).sum()) for j in range(p)]
            out.append(int(np.argmax(ious)))
        return out

    few = max(1, repeats // 3)
    print(json.dumps({"prm_retrieval": median_ms(prm_retrieval, few),
                      "best_objectness": median_ms(best_objectness, repeats),
                      "best_iou": median_ms(best_iou, few)}))


if __name__ == "__main__":
    main()
