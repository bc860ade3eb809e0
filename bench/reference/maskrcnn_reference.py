#!/usr/bin/python3
"""Times torchvision's maskrcnn_resnet50_fpn (0.14, CPU, eval) on the formula weights and image of
tests/fixtures/make_maskrcnn_fixture.py and prints one JSON object. Run by
bench/java/io/wiseseg/bench/MaskRcnnBench.java so both sides are measured in the same run.

usage: maskrcnn_reference.py REPEATS THREADS HEIGHT WIDTH NUM_CLASSES
"""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
from make_maskrcnn_fixture import build_model, formula_image  # noqa: E402


def main():
    repeats, threads, h, w, classes = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(threads)
    model = build_model(num_classes=classes, min_size=800, max_size=1333)
    image = torch.from_numpy(formula_image(h, w))
    with torch.no_grad():
        out = model([image])[0]  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = model([image])[0]
            times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"median_ms": statistics.median(times), "times_ms": times,
                      "detections": len(out["scores"]), "top_score": float(out["scores"][0]) if len(out["scores"]) else None}))


if __name__ == "__main__":
    main()
