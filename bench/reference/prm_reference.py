#!/usr/bin/python3
"""The reference peak back-propagation (WISE's forward_test loop) in PyTorch, for PrmBench.

One forward pass of torchvision's ResNet features + 1x1 classifier + x8 bilinear upsampling,
then one backward per peak with retain_graph, as WISE does; with the weights requiring grad
(WISE) and frozen. Peaks are spread over the maps like PrmBench's. Prints a markdown table.
Usage: prm_reference.py [backbone] [size] [repeats] [threads] [K,K,...]
"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision


def main():
    arch = sys.argv[1] if len(sys.argv) > 1 else "resnet18"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 224
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    ks = [int(k) for k in sys.argv[5].split(",")] if len(sys.argv) > 5 else [1, 8, 32]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)()
    features = torch.nn.Sequential(*list(model.children())[:-2]).eval()
    classifier = torch.nn.Conv2d(model.fc.in_features, 20, 1)
    x0 = torch.randn(1, 3, size, size)

    def run(k, frozen):
        for p in list(features.parameters()) + list(classifier.parameters()):
            p.requires_grad = not frozen
        x = x0.clone().requires_grad_(True)
        maps = F.interpolate(classifier(features(x)), scale_factor=8, mode="bilinear", align_corners=True)
        _, c, h, w = maps.shape
        grad = torch.zeros_like(maps)
        for i in range(k):
            flat = (i * c * h * w) // k
            grad.zero_()
            grad.view(-1)[flat] = 1
            if x.grad is not None:
                x.grad.zero_()
            maps.backward(grad, retain_graph=True)
            prm = x.grad.detach().sum(1).clamp(min=0)
            prm / prm.sum()

    def timed(k, frozen):
        run(k, frozen)
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run(k, frozen)
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts)

    print(f"prm_reference: torch {torch.__version__}, {arch}, 1x3x{size}x{size}, {threads} threads, median of {repeats}\n")
    print("| K peaks | loop, weights requiring grad (ms) | loop, frozen (ms) |")
    print("|---:|---:|---:|")
    for k in ks:
        print(f"| {k} | {timed(k, False):.0f} | {timed(k, True):.0f} |")


if __name__ == "__main__":
    main()
