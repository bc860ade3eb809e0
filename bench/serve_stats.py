#!/usr/bin/python3
"""Helpers of bench/serve_load.sh and bench/serve_soak.sh (standard library only).

  serve_stats.py hey CSV             -> "n ok errors throughput p50 p95 p99" (ms; req/s)
  serve_stats.py metrics URL NAME    -> "count sum" of a Prometheus summary/histogram, or a gauge's value
  serve_stats.py same A.json B.json  -> detection counts and score ranges of two /v1/segment answers
  serve_stats.py paired FILE         -> "n | p50 | p99 | model p50 | model p99 | ratio | p99 overhead" from
                                        lines "request_ms model_ms"
"""
import json
import sys
import urllib.request


def percentile(sorted_values, q):
    """Nearest-rank percentile (the smallest value with at least q% of the values at or below it)."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * q // 100) - 1))
    return sorted_values[int(k)]


def hey(csv_path):
    # hey -o csv: response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset
    times, ends, starts, ok, errors = [], [], [], 0, 0
    with open(csv_path) as f:
        next(f)
        for line in f:
            cols = line.strip().split(",")
            if len(cols) < 8:
                continue
            t, status, offset = float(cols[0]), cols[6], float(cols[7])
            starts.append(offset)
            ends.append(offset + t)
            if status == "200":
                ok += 1
                times.append(t * 1e3)
            else:
                errors += 1
    times.sort()
    span = (max(ends) - min(starts)) if ends else float("nan")
    n = ok + errors
    print("%d %d %d %.3f %.1f %.1f %.1f" % (n, ok, errors, ok / span if span > 0 else float("nan"),
                                             percentile(times, 50), percentile(times, 95), percentile(times, 99)))


def paired(path):
    pairs = []
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) == 2:
                pairs.append((float(cols[0]), float(cols[1])))
    req = sorted(p[0] for p in pairs)
    mod = sorted(p[1] for p in pairs)
    over = sorted(p[0] - p[1] for p in pairs)
    r99, m99 = percentile(req, 99), percentile(mod, 99)
    print("%d | %.1f | %.1f | %.1f | %.1f | %.2f | %.1f" % (len(pairs), percentile(req, 50), r99, percentile(mod, 50), m99,
                                                          r99 / m99 if m99 else float("nan"), percentile(over, 99)))


def metrics(url, name):
    text = urllib.request.urlopen(url, timeout=10).read().decode()
    count = total = value = None
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, v = line.rpartition(" ")
        base = key.split("{")[0]
        if base == name + "_count":
            count = (count or 0) + float(v)
        elif base == name + "_sum":
            total = (total or 0) + float(v)
        elif base == name:
            value = (value or 0) + float(v)
    if count is not None:
        print("%g %g" % (count, total or 0))
    else:
        print("%g" % (value if value is not None else float("nan")))


def same(a_path, b_path):
    """The detection counts and score ranges of two /v1/segment answers."""
    a, b = json.load(open(a_path)), json.load(open(b_path))
    sa, sb = [d["score"] for d in a] or [0], [d["score"] for d in b] or [0]
    print("%d and %d detections, scores %.4f-%.4f and %.4f-%.4f" % (len(a), len(b), min(sa), max(sa), min(sb), max(sb)))


if __name__ == "__main__":
    {"hey": hey, "metrics": metrics, "same": same, "paired": paired}[sys.argv[1]](*sys.argv[2:])
