#!/usr/bin/python3
"""Issue #16's table from finished `wiseseg run`/`demo` folders (standard library only).

  bench/wise_table.py RUN [RUN ...]

Prints, per run folder, every scored row of metrics-<rule>.json (AP25/50/75 and ABO, in %), the
pseudo-mask diagnostics of the val split and of each round's training masks, the choice of
tune.json when there is one, and the issue's targets: the WISE Mask R-CNN beats its pseudo masks
by >= 5 AP50 and reaches >= 80% of the GT-trained AP50; the GT-trained one reaches >= 50 AP50.
"""
import glob
import json
import os
import sys

PSEUDO, WISE, UPPER = "pseudo masks", "Mask R-CNN on pseudo masks (WISE)", "Mask R-CNN on GT masks (upper bound)"


def pct(v):
    return "-" if v is None else "%.1f" % (100 * v)


def row_numbers(node):
    ap = node["reference"]["mean"]
    return ap.get("AP25"), ap.get("AP50"), ap.get("AP75"), node["abo"]["mean"].get("ABO")


def diag_line(d):
    if not d:
        return ""
    return ("%.1f masks/image for %.1f objects/image; precision %s, object recall %s at IoU %.1f; "
            "%d duplicates, %d of the wrong class" % (d["masksPerImage"], d["objectsPerImage"],
                                                       pct(d.get("precision")), pct(d.get("recall")),
                                                       d["iou"], d["duplicates"], d["wrongClass"]))


def table(run):
    files = sorted(glob.glob(os.path.join(run, "metrics-*.json")))
    if not files:
        print("%s: no metrics-*.json (not finished)" % run)
        return
    for f in files:
        m = json.load(open(f))
        print("\n### %s (%s)\n" % (run, os.path.basename(f)))
        tune = os.path.join(run, "tune.json")
        if os.path.exists(tune):
            t = json.load(open(tune))
            best = (t.get("ranked") or [{}])[0]  # tune.json holds percentages
            print("settings chosen on %d tuning images (AP50 there %s): %s\n" % (
                len(t.get("images", [])), "%.1f" % best["ap50"] if "ap50" in best else "-", best.get("description", t.get("chosen"))))
        print("| row | AP25 | AP50 | AP75 | ABO |")
        print("|---|---:|---:|---:|---:|")
        numbers = {}
        for name, node in m.items():
            n = row_numbers(node)
            numbers[name] = n
            print("| %s | %s | %s | %s | %s |" % ((name,) + tuple(pct(v) for v in n)))
        print()
        if "diagnostics" in m.get(PSEUDO, {}):
            print("- val pseudo masks: " + diag_line(m[PSEUDO]["diagnostics"]))
        for name, node in m.items():
            if "trainingMasks" in node:
                print("- training masks of %s: %s" % (name, diag_line(node["trainingMasks"])))
        p, w, u = (numbers.get(k, (None,) * 4)[1] for k in (PSEUDO, WISE, UPPER))
        if p is not None and w is not None:
            print("- target WISE >= pseudo + 5 AP50: %s (%+.1f)" % ("met" if w - p >= 0.05 else "NOT met", 100 * (w - p)))
        if w is not None and u:
            print("- target WISE >= 80%% of GT-trained AP50: %s (%.0f%%)" % ("met" if w >= 0.8 * u else "NOT met", 100 * w / u))
        if u is not None:
            print("- GT-trained >= 50 AP50 (asked of the hard family): %s (%.1f)" % ("yes" if u >= 0.5 else "no", 100 * u))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for r in sys.argv[1:]:
        table(r)
