#!/usr/bin/python3
"""Times torchvision's maskrcnn_resnet50_fpn (0.14, CPU, eval) on the formula weights and image of
tests/fixtures/make_maskrcnn_fixture.py. Driven by bench/java/io/wiseseg/bench/MaskRcnnBench.java,
which alternates our runs with these so both sides see the same machine load: after building the
model and one warm-up it prints "ready"; then for every line "run" on stdin it runs one inference
and prints one JSON line {"ms": ..., "detections": ...}; it exits at end of input.

usage: maskrcnn_reference.py THREADS HEIGHT WIDTH NUM_CLASSES
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures"))
from make_maskrcnn_fixture import build_model, formula_image  # noqa: E402


def main():
    threads, h, w, classes = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    model = build_model(num_classes=classes, min_size=800, max_size=1333)
    image = torch.from_numpy(formula_image(h, w))
    with torch.no_grad():
        model([image])  # warm-up
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "run":
                continue
            t0 = time.perf_counter()
            out = model([image])[0]
            ms = (time.perf_counter() - t0) * 1e3
            print(json.dumps({"ms": ms, "detections": len(out["scores"])}), flush=True)


if __name__ == "__main__":
    main()
