#!/usr/bin/env python3
"""wiseseg's native kernels against torchvision's ops (and PRM's peak finding) on the same random
inputs, through the C ABI (src/main/native/wiseseg_kernels.h) with ctypes and torch tensors'
data_ptr(). With --device cuda: the CUDA library on CUDA tensors, timed with CUDA events; with
--device cpu (the CPU half): the CPU library on CPU tensors, timed with time.perf_counter.

Per kernel it checks agreement (tolerances derived below, in the check functions), times both
sides (median after warm-up, inputs rotated so that the L2 cache cannot hold them), and, for
RoIAlign, the share of the copy-bandwidth roofline. It prints one table, the targets met or not,
and writes both plus a JSON of every number under --out.

Exit status: 0 all checks agree; 1 a check failed; 2 the run was incomplete (an error, or the
time budget ran out before every check had run). Targets never change the exit status.

--self-test injects a fault into each kernel's output (after the call, before the check) and
exits 0 only if every check then fails: the checks can see an error of that size.

Only the standard library, torch and torchvision. Usage: see tests/gpu/README.md.
"""
import argparse
import ctypes
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import poolers

U32 = 2.0 ** -24  # unit roundoff of float32 (round to nearest): |fl(x) - x| <= U32 |x|
U64 = 2.0 ** -53  # the same for float64
WS_ABI_VERSION = 3

# ---------------------------------------------------------------------------------------------
# ctypes bindings of the C ABI


class KernelError(RuntimeError):
    pass


class Kernels:
    """One wiseseg kernel library (CPU or CUDA) loaded with ctypes. Every array argument is a
    torch tensor on the library's device, contiguous; the wrappers pass data_ptr()."""

    def __init__(self, path, device):
        self.path = path
        self.device = device
        self.lib = lib = ctypes.CDLL(path)
        P, I32, I64, F32 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64, ctypes.c_float
        PI64, PI32 = ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int32)
        sig = {
            "ws_abi_version": (I32, []),
            "ws_last_error": (ctypes.c_char_p, []),
            "ws_backend_name": (ctypes.c_char_p, []),
            "ws_cpu_isa": (ctypes.c_char_p, []),
            "ws_set_num_threads": (I32, [I32]),
            "ws_get_num_threads": (I32, []),
            "ws_device_count": (I32, [PI32]),
            "ws_device_name": (I32, [I32, ctypes.c_char_p, I32]),
            "ws_set_device": (I32, [I32]),
            "ws_synchronize": (I32, [P]),
            "ws_range_push": (I32, [ctypes.c_char_p]),
            "ws_range_pop": (I32, []),
            "ws_peak_find": (I32, [P, I64, I64, I64, I64, I32, P, I64, P, P, PI64, P, P, P, P]),
            "ws_proposal_score": (I32, [P, I64, I64, I64, P, I64, P, P, I32, P, P, P, P, P, P, P]),
            "ws_roi_align_forward": (I32, [P, I64, I64, I64, I64, P, I64, I32, I32, F32, I32, I32, P, P]),
            "ws_roi_align_backward": (I32, [P, P, I64, I64, I64, I64, I64, I32, I32, F32, I32, I32, P, P]),
            "ws_fpn_level_assign": (I32, [P, I64, I32, I32, F32, I32, F32, P, P]),
            "ws_nms": (I32, [P, P, I64, F32, P, PI64, P]),
            "ws_batched_nms": (I32, [P, P, P, I64, F32, P, PI64, P]),
        }
        for name, (res, args) in sig.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, args
        if lib.ws_abi_version() != WS_ABI_VERSION:
            raise KernelError(f"{path}: ABI version {lib.ws_abi_version()}, expected {WS_ABI_VERSION}")
        self.backend = lib.ws_backend_name().decode()
        # profiler ranges: NVTX on CUDA (no-ops without a profiler), no-ops on the CPU; both answer WS_OK
        self._ok(lib.ws_range_push(b"compare.py"), "ws_range_push")
        self._ok(lib.ws_range_pop(), "ws_range_pop")
        if (self.backend == "cuda") != (device.type == "cuda"):
            raise KernelError(f"{path} is the {self.backend} library, tensors are on {device}")

    def stream(self):
        if self.device.type != "cuda":
            return None
        s = torch.cuda.current_stream(self.device).cuda_stream
        return s or None  # 0: the legacy default stream, NULL in the ABI

    def _ok(self, rc, what):
        if rc != 0:
            raise KernelError(f"{what}: status {rc}: {self.lib.ws_last_error().decode()}")

    def _p(self, t):
        if t is None:
            return None
        assert t.is_contiguous() and t.device == self.device, (t.shape, t.device, self.device)
        return t.data_ptr()

    def info(self):
        out = {"library": self.path, "backend": self.backend,
               "cpu_isa": self.lib.ws_cpu_isa().decode(), "threads": self.lib.ws_get_num_threads()}
        if self.backend == "cuda":
            buf = ctypes.create_string_buffer(256)
            self._ok(self.lib.ws_device_name(self.device.index or 0, buf, 256), "ws_device_name")
            out["device_name"] = buf.value.decode()
        return out

    def peak_find(self, maps, win, thresholds=None, out=None):
        n, c, h, w = maps.shape
        if out is None:
            out = self.peak_buffers(n, c, h, w)
        count = ctypes.c_int64(-1)
        self._ok(self.lib.ws_peak_find(self._p(maps), n, c, h, w, win, self._p(thresholds),
                                       out["capacity"], self._p(out["peaks"]), self._p(out["values"]),
                                       ctypes.byref(count), self._p(out["agg"]), self._p(out["counts"]),
                                       self._p(out["medians"]), self.stream()), "ws_peak_find")
        k = count.value
        if k > out["capacity"]:
            raise KernelError(f"ws_peak_find: {k} peaks, capacity {out['capacity']}")
        return {"peaks": out["peaks"][:k], "values": out["values"][:k], "agg": out["agg"],
                "counts": out["counts"], "medians": out["medians"], "count": k}

    def peak_buffers(self, n, c, h, w):
        cap = n * c * h * w
        d = self.device
        return {"capacity": cap, "peaks": torch.full((cap, 4), -1, dtype=torch.int32, device=d),
                "values": torch.full((cap,), -7.0, device=d), "agg": torch.full((n, c), -7.0, device=d),
                "counts": torch.full((n, c), -1, dtype=torch.int32, device=d),
                "medians": torch.full((n, c), -7.0, device=d)}

    def proposal_score(self, packed, h, w, maps, thresholds, points, radius, out=None):
        p, k = packed.shape[0], maps.shape[0]
        d = self.device
        if out is None:
            out = {"inside": torch.full((k, p), -7.0, device=d), "boundary": torch.full((k, p), -7.0, device=d),
                   "inter": torch.full((k, p), -1, dtype=torch.int64, device=d),
                   "uni": torch.full((k, p), -1, dtype=torch.int64, device=d),
                   "contains": torch.full((k, p), 9, dtype=torch.uint8, device=d),
                   "area": torch.full((p,), -1, dtype=torch.int64, device=d)}
        self._ok(self.lib.ws_proposal_score(
            self._p(packed), p, h, w, self._p(maps), k, self._p(thresholds), self._p(points), radius,
            self._p(out["inside"]), self._p(out["inter"]), self._p(out["uni"]), self._p(out["boundary"]),
            self._p(out["contains"]), self._p(out["area"]), self.stream()), "ws_proposal_score")
        return out

    def roi_align_forward(self, x, rois, ph, pw, scale, sr, aligned, out=None):
        n, c, h, w = x.shape
        r = rois.shape[0]
        if out is None:
            out = torch.full((r, c, ph, pw), -7.0, device=self.device)
        self._ok(self.lib.ws_roi_align_forward(self._p(x), n, c, h, w, self._p(rois), r, ph, pw, scale, sr,
                                               int(aligned), self._p(out), self.stream()),
                 "ws_roi_align_forward")
        return out

    def roi_align_backward(self, grad_out, rois, grad_in, scale, sr, aligned):
        """Accumulates into grad_in (N x C x H x W), as the ABI does."""
        r, c, ph, pw = grad_out.shape
        n, _, h, w = grad_in.shape
        self._ok(self.lib.ws_roi_align_backward(self._p(grad_out), self._p(rois), r, n, c, h, w, ph, pw,
                                                scale, sr, int(aligned), self._p(grad_in), self.stream()),
                 "ws_roi_align_backward")
        return grad_in

    def fpn_levels(self, rois, k_min=2, k_max=5, canonical_scale=224.0, canonical_level=4, eps=1e-6, out=None):
        r = rois.shape[0]
        if out is None:
            out = torch.full((r,), -1, dtype=torch.int32, device=self.device)
        self._ok(self.lib.ws_fpn_level_assign(self._p(rois), r, k_min, k_max, canonical_scale, canonical_level,
                                              eps, self._p(out), self.stream()), "ws_fpn_level_assign")
        return out

    def nms(self, boxes, scores, thr, groups=None, keep=None):
        n = boxes.shape[0]
        if keep is None:
            keep = torch.full((n,), -1, dtype=torch.int64, device=self.device)
        kept = ctypes.c_int64(-1)
        if groups is None:
            rc = self.lib.ws_nms(self._p(boxes), self._p(scores), n, thr, self._p(keep), ctypes.byref(kept),
                                 self.stream())
        else:
            rc = self.lib.ws_batched_nms(self._p(boxes), self._p(scores), self._p(groups), n, thr, self._p(keep),
                                         ctypes.byref(kept), self.stream())
        self._ok(rc, "ws_nms" if groups is None else "ws_batched_nms")
        return keep[:kept.value]


# ---------------------------------------------------------------------------------------------
# faults for --self-test: each perturbs OUR output after the call, by an error of the size a real
# bug makes (one peak lost, one bilinear tap misplaced, one pixel miscounted, one NMS decision
# flipped, one level off by one). Every check must then fail.

FAULTS = set()


def fault(kind):
    return kind in FAULTS


# ---------------------------------------------------------------------------------------------
# timing


class Clock:
    """Median wall time of a call: CUDA events on the current stream around it (device time,
    including any host synchronisation the call makes), or time.perf_counter on the CPU."""

    def __init__(self, device, deadline):
        self.cuda = device.type == "cuda"
        self.device = device
        self.deadline = deadline

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def median_ms(self, fn, sets=1, warmup=3, repeats=25, budget_s=4.0):
        """fn(i) runs call i on input set i % sets (rotation keeps the inputs out of the cache).
        Stops early (>= 3 samples) past budget_s or the global deadline."""
        for i in range(warmup):
            fn(i % sets)
        self.sync()
        times = []
        stop = min(time.monotonic() + budget_s, self.deadline)
        for i in range(repeats):
            if self.cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn(i % sets)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            else:
                t0 = time.perf_counter()
                fn(i % sets)
                times.append((time.perf_counter() - t0) * 1e3)
            if len(times) >= 3 and time.monotonic() > stop:
                break
        return statistics.median(times), times


def copy_bandwidth(clock, device, quick):
    """Device-to-device copy bandwidth, counting bytes read + bytes written: the roofline's
    ceiling (GB/s). A copy of 1 GiB (GPU) or 128 MiB (CPU; 32 MiB with --quick)."""
    nbytes = (32 << 20 if quick else 128 << 20) if device.type == "cpu" else (1 << 30)
    src = torch.rand(nbytes // 4, device=device)
    dst = torch.empty_like(src)
    ms, _ = clock.median_ms(lambda i: dst.copy_(src), warmup=2, repeats=15, budget_s=3.0)
    return 2 * nbytes / (ms * 1e-3) / 1e9, nbytes, ms


# ---------------------------------------------------------------------------------------------
# references


def prm_peaks(maps, win=3, thresholds=None, literal_aggregation=True):
    """PRM's peak stimulation (forward), after its peak_stimulation.py: pad with -inf, max-pool
    with indices over win x win at stride 1, a peak is a pixel that is its window's argmax, kept
    when >= the map's median (torch.median: the lower middle value) or the given threshold.
    Returns (peak list as torch.nonzero gives it, aggregation = mean peak value per map).
    PRM builds its index map with torch.arange on the host and copies it; we build it on the
    device (faster, so a conservative baseline). literal_aggregation: PRM's formula
    sum(input * peak_map) / sum(peak_map), which is NaN for a map holding -inf (-inf * 0); else
    the mean over the peaks' values (its intent)."""
    off = (win - 1) // 2
    padded = F.pad(maps, (off, off, off, off), value=float("-inf"))
    b, c, hp, wp = padded.shape
    index = torch.arange(hp * wp, device=maps.device).view(1, 1, hp, wp)
    if off:
        index = index[:, :, off:-off, off:-off]
    _, indices = F.max_pool2d(padded, kernel_size=win, stride=1, return_indices=True)
    peak_map = indices == index
    if thresholds is None:
        thresholds = maps.view(b, c, -1).median(dim=2)[0]
    peak_map &= maps >= thresholds.view(b, c, 1, 1)
    peaks = torch.nonzero(peak_map)
    pm = peak_map.float()
    if literal_aggregation:
        agg = (maps * pm).view(b, c, -1).sum(2) / pm.view(b, c, -1).sum(2)
    else:
        agg = torch.where(peak_map, maps, torch.zeros_like(maps)).view(b, c, -1).sum(2) / pm.view(b, c, -1).sum(2)
    return peaks, agg, thresholds


def level_mapper(k_min, k_max):
    """torchvision's LevelMapper (torchvision.ops.poolers); should a later torchvision move it,
    the same formula written out: floor(4 + log2(sqrt(area) / 224) + 1e-6) in float32, clamped."""
    cls = getattr(poolers, "LevelMapper", None)
    if cls is not None:
        return cls(k_min, k_max)

    def mapper(boxlists):
        s = torch.sqrt(torch.cat([torchvision.ops.box_area(b) for b in boxlists]))
        lv = torch.floor(4 + torch.log2(s / 224) + torch.tensor(1e-6, dtype=s.dtype))
        return torch.clamp(lv, min=k_min, max=k_max).to(torch.int64) - k_min
    return mapper


def tv_roi_align_backward(grad, rois, scale, ph, pw, n, c, h, w, sr, aligned):
    """torchvision's RoIAlign backward op (what autograd calls); through autograd if the op is
    not registered under that name."""
    op = getattr(torch.ops.torchvision, "_roi_align_backward", None)
    if op is not None:
        return op(grad, rois, scale, ph, pw, n, c, h, w, sr, aligned)
    x = torch.zeros((n, c, h, w), device=grad.device, dtype=grad.dtype, requires_grad=True)
    torchvision.ops.roi_align(x, rois, (ph, pw), scale, sr, aligned).backward(grad)
    return x.grad


def near_level_boundary(boxes, k_min=2, k_max=5):
    """RoIs whose FPN level two float32 implementations may legitimately disagree on: the
    float64 v = 4 + log2(sqrt(area) / 224) + 1e-6 within 64 u of an integer inside the clamp
    range (see Harness.fpn)."""
    b = boxes.double()
    v = 4 + torch.log2(torch.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])) / 224) + 1e-6
    return ((v - v.round()).abs() <= 64 * U32) & (v.round() > k_min) & (v.round() <= k_max)


def iou_matrix64(boxes):
    b = boxes.double()
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(b[:, None, :2], b[None, :, :2])
    rb = torch.min(b[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area[:, None] + area[None, :] - inter)


def nms_validity(keep, boxes, scores, groups, thr, eps):
    """Is `keep` a correct greedy NMS result (torchvision's rule: visit boxes by descending score,
    drop a box whose IoU with an already kept box of its group is > thr), where every decision
    whose float64 IoU lies within eps of thr may go either way? eps is the float32 error bound of
    the IoU the implementation computes. Vectorised: for each box, m = its largest float64 IoU
    with the kept boxes ranked before it; a kept box needs m <= thr + eps, a dropped one
    m > thr - eps."""
    n = scores.shape[0]
    keep = keep.long()
    if keep.numel() != torch.unique(keep).numel() or (keep.numel() and (keep.min() < 0 or keep.max() >= n)):
        return False, {"problem": "duplicate or out-of-range indices"}
    s = scores[keep]
    if keep.numel() > 1 and bool((s[1:] > s[:-1]).any()):
        return False, {"problem": "not in descending score order"}
    order = torch.sort(scores, descending=True, stable=True)[1]
    rank = torch.empty_like(order)
    rank[order] = torch.arange(n, device=scores.device)
    kept = torch.zeros(n, dtype=torch.bool, device=scores.device)
    kept[keep] = True
    eligible = kept[None, :] & (rank[None, :] < rank[:, None])
    if groups is not None:
        eligible &= groups[None, :] == groups[:, None]
    m = torch.where(eligible, iou_matrix64(boxes), torch.zeros((), dtype=torch.float64, device=boxes.device))
    m = m.max(dim=1)[0]
    bad_keep = int((kept & (m > thr + eps)).sum())
    bad_drop = int((~kept & (m <= thr - eps)).sum())
    ambiguous = int(((m - thr).abs() <= eps).sum())
    return bad_keep == 0 and bad_drop == 0, {"wrongly_kept": bad_keep, "wrongly_dropped": bad_drop,
                                             "ambiguous_within_eps": ambiguous}


def pack_masks(masks):
    """P x H x W bool -> P x H x ceil(W/64) int64 words (the ABI's uint64 layout: bit x % 64 of
    word x / 64; int64 holds the same bits)."""
    p, h, w = masks.shape
    wpr = (w + 63) // 64
    weights = torch.tensor([1 << b for b in range(63)] + [-(1 << 63)], dtype=torch.int64, device=masks.device)
    out = torch.empty((p, h, wpr), dtype=torch.int64, device=masks.device)
    for s in range(0, p, 32):  # in chunks: 64 bits unpacked as int64 is 64x the mask's bytes
        m = F.pad(masks[s:s + 32], (0, wpr * 64 - w)).view(-1, h, wpr, 64).long()
        out[s:s + 32] = (m * weights).sum(-1)
    return out


def proposal_reference(masks, maps, thresholds, points, radius, dtype=torch.float64):
    """The proposal scores with torch ops: sums and counts as matrix products in `dtype` (float64:
    exact counts, sums to ~1e-16), the boundary as dilation & ~erosion by max-pooling over the
    (2r+1)^2 window (max_pool2d pads with -inf, so the window is clipped to the image, as OpenCV's
    morphological gradient with its default border)."""
    p, h, w = masks.shape
    k = maps.shape[0]
    mf = masks.reshape(p, h * w).to(dtype)
    x = maps.reshape(k, h * w).to(dtype)
    t = (maps >= thresholds.view(k, 1, 1)).reshape(k, h * w).to(dtype)
    m4 = masks[:, None].float()
    ks = 2 * radius + 1
    dil = F.max_pool2d(m4, ks, 1, radius) > 0
    ero = -F.max_pool2d(-m4, ks, 1, radius) > 0
    edge = (dil & ~ero).reshape(p, h * w).to(dtype)
    inter = t @ mf.T
    area = masks.reshape(p, -1).sum(1)
    ref = {"inside": x @ mf.T, "boundary": x @ edge.T, "inter": inter.round().long(),
           "uni": (area[None, :] + t.sum(1).long()[:, None] - inter.round().long()), "area": area}
    py, px = points[:, 0].long(), points[:, 1].long()
    inside = (py >= 0) & (py < h) & (px >= 0) & (px < w)
    cont = masks[:, py.clamp(0, h - 1), px.clamp(0, w - 1)].T & inside[:, None]
    ref["contains"] = cont.to(torch.uint8)
    if dtype == torch.float64:
        ax = x.abs()
        ref["abs_inside"], ref["abs_boundary"] = ax @ mf.T, ax @ edge.T
    return ref


def roi_axis_taps(start, bin_size, grid, pooled, size):
    """Taps along one axis of every RoI, as torchvision places its samples (float64):
    start, bin_size, grid: R-vectors. Returns R x size counts: how many (bin, sample, low/high
    tap) entries land on each row (or column); invalid samples (outside [-1, size]) count 0."""
    r = start.shape[0]
    gmax = max(int(grid.max().item()) if r else 0, 0)
    out = torch.zeros((r, size), dtype=torch.float64, device=start.device)
    if gmax == 0 or r == 0:
        return out
    p = torch.arange(pooled, device=start.device, dtype=torch.float64).view(1, pooled, 1)
    i = torch.arange(gmax, device=start.device, dtype=torch.float64).view(1, 1, gmax)
    g = grid.view(r, 1, 1).double()
    v = start.view(r, 1, 1) + p * bin_size.view(r, 1, 1) + (i + 0.5) * bin_size.view(r, 1, 1) / g.clamp(min=1)
    valid = (i < g) & (v >= -1.0) & (v <= size)
    v = v.clamp(min=0)
    low = v.floor().long()
    high = low + 1
    at_end = low >= size - 1
    low = torch.where(at_end, torch.full_like(low, size - 1), low)
    high = torch.where(at_end, low, high).clamp(max=size - 1)
    ones = valid.double().view(r, -1)
    out.scatter_add_(1, low.view(r, -1).clamp(0, size - 1), ones)
    out.scatter_add_(1, high.view(r, -1).clamp(0, size - 1), ones)
    return out


def roi_geometry(rois, ph, pw, scale, sr, aligned):
    off = 0.5 if aligned else 0.0
    r = rois.double()
    x1, y1 = r[:, 1] * scale - off, r[:, 2] * scale - off
    rw, rh = r[:, 3] * scale - off - x1, r[:, 4] * scale - off - y1
    if not aligned:
        rw, rh = rw.clamp(min=1.0), rh.clamp(min=1.0)
    if sr > 0:
        gh = torch.full_like(rh, sr).long()
        gw = torch.full_like(rw, sr).long()
    else:
        gh, gw = torch.ceil(rh / ph).long(), torch.ceil(rw / pw).long()
    gh, gw = gh.clamp(min=0), gw.clamp(min=0)
    return x1, y1, rw / pw, rh / ph, gh, gw


def roi_tap_counts(rois, n, h, w, ph, pw, scale, sr, aligned):
    """N x H x W float64: how many bilinear taps (4 per valid sample) of all RoIs land on each
    input pixel. The taps are separable (rows x columns), so per image the count is
    CY^T @ CX with CY (RoIs x H) and CX (RoIs x W) the per-axis tap histograms."""
    x1, y1, bw, bh, gh, gw = roi_geometry(rois, ph, pw, scale, sr, aligned)
    cy = roi_axis_taps(y1, bh, gh, ph, h)
    cx = roi_axis_taps(x1, bw, gw, pw, w)
    batch = rois[:, 0].long()
    out = torch.zeros((n, h, w), dtype=torch.float64, device=rois.device)
    for b in range(n):
        sel = batch == b
        if bool(sel.any()):
            out[b] = cy[sel].T @ cx[sel]
    counts = (gh * gw).clamp(min=1)
    return out, counts


def roi_coord_max(rois, h, w, scale):
    """Largest magnitude of any sample coordinate or intermediate (feature-map units), >= 1."""
    return max(float(rois[:, 1:].abs().max().item()) * scale if rois.shape[0] else 0.0, h, w, 1.0) + 1.0


# ---------------------------------------------------------------------------------------------
# inputs


def gen(device, seed):
    g = torch.Generator(device="cpu").manual_seed(seed)
    return g


def uniform(g, shape, lo, hi, device):
    return (torch.rand(shape, generator=g) * (hi - lo) + lo).to(device)


def bench_rois(g, r, img_h, img_w, device, batches=1):
    """The RoIs of bench/reference/kernels_reference.py: corner uniform over 90 % of the image,
    sides 8 + up to 30 % of the image's."""
    x1 = torch.rand(r, generator=g) * img_w * 0.9
    y1 = torch.rand(r, generator=g) * img_h * 0.9
    bw = 8 + torch.rand(r, generator=g) * img_w * 0.3
    bh = 8 + torch.rand(r, generator=g) * img_h * 0.3
    b = torch.randint(0, batches, (r,), generator=g).float()
    return torch.stack([b, x1, y1, x1 + bw, y1 + bh], dim=1).to(device)


def scale_spread_rois(g, r, img_h, img_w, device):
    """RoIs whose sides are log-uniform over 16 .. 800 px (clipped to the image), so that FPN
    assigns them to every level."""
    side = torch.exp(torch.empty(r).uniform_(math.log(16), math.log(800), generator=g))
    aspect = torch.exp(torch.empty(r).uniform_(-0.7, 0.7, generator=g))
    bw = (side * aspect).clamp(max=img_w - 1)
    bh = (side / aspect).clamp(max=img_h - 1)
    x1 = torch.rand(r, generator=g) * (img_w - bw)
    y1 = torch.rand(r, generator=g) * (img_h - bh)
    return torch.stack([torch.zeros(r), x1, y1, x1 + bw, y1 + bh], dim=1).to(device)


def odd_rois(g, r, n, img_h, img_w, device):
    """RoIs partly outside, zero-sized, malformed (x2 < x1) and wholly outside, as
    tests/native/test_util.h draws them."""
    out = []
    for i in range(r):
        b = float(torch.randint(0, n, (1,), generator=g))
        x1 = float(torch.empty(1).uniform_(-0.3 * img_w, 1.1 * img_w, generator=g))
        y1 = float(torch.empty(1).uniform_(-0.3 * img_h, 1.1 * img_h, generator=g))
        bw = float(torch.empty(1).uniform_(0, 0.8 * img_w, generator=g))
        bh = float(torch.empty(1).uniform_(0, 0.8 * img_h, generator=g))
        if i % 6 == 3:
            bw = bh = 0.0
        if i % 6 == 4:
            bw = -float(torch.empty(1).uniform_(0, 5, generator=g))
        row = [b, x1, y1, x1 + bw, y1 + bh]
        if i % 6 == 5:
            row[1], row[3] = img_w + 8.0, img_w + 30.0
        out.append(row)
    return torch.tensor(out, dtype=torch.float32).to(device)


def smooth_maps(g, n, c, coarse, factor, device):
    """PRM-like class response maps: coarse noise upsampled bilinearly (align_corners, as PRM's
    sub-pixel locating factor)."""
    base = torch.rand((n, c, coarse, coarse), generator=g) * 2 - 1
    size = coarse * factor  # 14 -> 112 for factor 8
    return F.interpolate(base, size=(size, size), mode="bilinear", align_corners=True).contiguous().to(device)


def random_masks(g, p, h, w, device, blobs_only=False):
    """Proposal masks: ellipses and rectangles (some over the border); unless blobs_only, also
    speckle, an empty and a full mask (as tests/native/test_util.h)."""
    yy = torch.arange(h, dtype=torch.float64).view(1, h, 1)
    xx = torch.arange(w, dtype=torch.float64).view(1, 1, w)
    cy = (torch.rand(p, generator=g, dtype=torch.float64) * 1.4 - 0.2) * h
    cx = (torch.rand(p, generator=g, dtype=torch.float64) * 1.4 - 0.2) * w
    ry = 0.5 + torch.rand(p, generator=g, dtype=torch.float64) * (0.7 * h + 0.5)
    rx = 0.5 + torch.rand(p, generator=g, dtype=torch.float64) * (0.7 * w + 0.5)
    dy = (yy - cy.view(p, 1, 1)) / ry.view(p, 1, 1)
    dx = (xx - cx.view(p, 1, 1)) / rx.view(p, 1, 1)
    ellipse = dy * dy + dx * dx <= 1
    rect = (dy.abs() <= 1) & (dx.abs() <= 1)
    kind = torch.arange(p) % (2 if blobs_only else 5)
    masks = torch.where((kind == 1).view(p, 1, 1), rect, ellipse)
    if not blobs_only:
        speckle = torch.rand((p, h, w), generator=g) < 0.25
        masks = torch.where((kind == 2).view(p, 1, 1), speckle, masks)
        masks[(kind == 3) & (torch.arange(p) > 0)] = False
        masks[kind == 4] = True
    return masks.contiguous().to(device)


def nms_boxes(g, n, img_h, img_w, device, objects=None):
    """Detector-like boxes: clusters of jittered boxes around `objects` object boxes (so many
    overlap near any threshold), scores all distinct (a permutation), so that the visiting
    order does not depend on how a sort breaks ties."""
    objects = objects or max(1, n // 40)
    side = torch.exp(torch.empty(objects).uniform_(math.log(24), math.log(400), generator=g))
    ox = torch.rand(objects, generator=g) * (img_w - side).clamp(min=1)
    oy = torch.rand(objects, generator=g) * (img_h - side).clamp(min=1)
    which = torch.randint(0, objects, (n,), generator=g)
    s = side[which] * torch.exp(torch.randn(n, generator=g) * 0.15)
    cx = ox[which] + side[which] / 2 + torch.randn(n, generator=g) * 0.12 * side[which]
    cy = oy[which] + side[which] / 2 + torch.randn(n, generator=g) * 0.12 * side[which]
    aspect = torch.exp(torch.randn(n, generator=g) * 0.1)
    bw, bh = (s * aspect).clamp(min=2), (s / aspect).clamp(min=2)
    boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1)
    scores = (torch.randperm(n, generator=g).float() + 1) / n
    return boxes.contiguous().to(device), scores.to(device)


# ---------------------------------------------------------------------------------------------
# the checks: each returns one row (dict) for the table and the JSON


class Harness:
    def __init__(self, args, kernels, clock, device):
        self.args = args
        self.k = kernels
        self.clock = clock
        self.device = device
        self.rows = []
        self.timing = not args.no_timing

    def time_pair(self, ours, ref, sets, budget_s=None):
        """Median ms of our call and of the reference, each over its rotation of input sets."""
        if not self.timing:
            return None, None
        budget = budget_s if budget_s is not None else (1.5 if self.args.quick else 3.0)
        rep = 12 if self.args.quick else 30
        o, _ = self.clock.median_ms(ours, sets, repeats=rep, budget_s=budget)
        r, _ = self.clock.median_ms(ref, sets, repeats=rep, budget_s=budget)
        return o, r

    def sets_for(self, bytes_per_set):
        """Input sets to rotate through: enough to exceed 3x the L2 cache (GPU), at most 8."""
        if self.device.type != "cuda":
            return 2
        l2 = getattr(torch.cuda.get_device_properties(self.device), "L2_cache_size", 60 << 20)
        return int(min(8, max(2, math.ceil(3 * l2 / max(bytes_per_set, 1)))))

    def add(self, row, timed=True):
        """timed=False: an edge case (its own row in the JSON, folded into one row per kernel in
        the table unless it failed)."""
        row.setdefault("ok", False)
        row["edge"] = not timed
        self.rows.append(row)
        status = "ok " if row["ok"] else "FAIL"
        t = ""
        if row.get("ours_ms") is not None:
            t = f"  ours {row['ours_ms']:.3f} ms, ref {row['ref_ms']:.3f} ms"
        print(f"  [{status}] {row['kernel']:<18} {row['shape']:<44} {row['agreement']}{t}", flush=True)

    # -- peaks ------------------------------------------------------------------------------

    def peaks(self, name, maps_sets, win=3, thresholds=None, literal=True, timed=True):
        """Peaks: the peak list (n, c, y, x in torch.nonzero's order), each peak's value, the
        per-map thresholds (medians) must be IDENTICAL to PRM's op (pure comparisons and an
        order statistic: no rounding). Aggregation = mean of a map's peak values: PRM's op sums
        k float32 values (|error| <= (k-1) u sum|v|, any order) and divides (u); ours sums in
        double and rounds once (u |mean|). So |ours - PRM| <= u ((k+1) sum|v| / k + 2 |mean|)."""
        maps = maps_sets[0]
        n, c, h, w = maps.shape
        buf = self.k.peak_buffers(n, c, h, w)
        got = self.k.peak_find(maps, win, thresholds, out=buf)
        peaks_ref, agg_ref, thr_ref = prm_peaks(maps, win, thresholds, literal_aggregation=literal)
        ours_peaks = got["peaks"].long()
        ours_values = got["values"]
        if fault("peaks"):  # one peak lost
            k = ours_peaks.shape[0]
            if k:
                keep = torch.arange(k, device=maps.device) != k // 2
                ours_peaks, ours_values = ours_peaks[keep], ours_values[keep]
            else:
                ours_peaks = torch.zeros((1, 4), dtype=torch.long, device=maps.device)
                ours_values = torch.zeros(1, device=maps.device)
        same_list = ours_peaks.shape == peaks_ref.shape and bool((ours_peaks == peaks_ref).all())
        ref_values = maps[tuple(peaks_ref.T)] if peaks_ref.numel() else maps.new_zeros(0)
        same_values = same_list and bool((ours_values == ref_values).all())
        same_thr = bool((got["medians"] == thr_ref.view(n, c)).all())
        counts_ref = torch.zeros(n * c, dtype=torch.int64, device=maps.device)
        if peaks_ref.numel():
            counts_ref.index_add_(0, peaks_ref[:, 0] * c + peaks_ref[:, 1], torch.ones_like(peaks_ref[:, 0]))
        same_counts = bool((got["counts"].view(-1).long() == counts_ref).all())
        # aggregation, maps with peaks (PRM's op divides 0 by 0 on the others; ours writes 0)
        k = counts_ref.double()
        absum = torch.zeros(n * c, dtype=torch.float64, device=maps.device)
        if peaks_ref.numel():
            absum.index_add_(0, peaks_ref[:, 0] * c + peaks_ref[:, 1], ref_values.double().abs())
        has = k > 0
        agg_o, agg_r = got["agg"].view(-1).double(), agg_ref.view(-1).double()
        tol = U32 * ((k + 1) * absum / k.clamp(min=1) + 2 * agg_r.abs())
        err = (agg_o - agg_r).abs()
        agg_ok = bool((err[has] <= tol[has]).all()) and bool((agg_o[~has] == 0).all())
        max_err = float(err[has].max()) if bool(has.any()) else 0.0
        ok = same_list and same_values and same_thr and same_counts and agg_ok
        what = []
        if not same_list:
            what.append(f"peak list differs ({ours_peaks.shape[0]} vs {peaks_ref.shape[0]})")
        elif not same_values:
            what.append("values differ")
        if not same_thr:
            what.append("medians differ")
        if not same_counts:
            what.append("counts differ")
        if not agg_ok:
            what.append(f"aggregation err {max_err:.2e} > tol")
        agreement = (f"identical {peaks_ref.shape[0]} peaks; agg err {max_err:.1e}" if ok else "; ".join(what))
        row = {"kernel": "peaks", "shape": name, "ok": ok, "agreement": agreement,
               "peaks": int(peaks_ref.shape[0]), "aggregation_max_abs_err": max_err,
               "aggregation_max_tol": float(tol[has].max()) if bool(has.any()) else 0.0}
        if timed:
            sets = maps_sets
            o, r = self.time_pair(lambda i: self.k.peak_find(sets[i % len(sets)], win, thresholds, out=buf),
                                  lambda i: prm_peaks(sets[i % len(sets)], win, thresholds), len(sets))
            row.update(ours_ms=o, ref_ms=r, ref_name="PRM op (torch max-pool)")
        self.add(row, timed)

    # -- proposal scoring -------------------------------------------------------------------

    def proposals(self, name, masks, maps, thresholds, points, radius, timed=True):
        """Proposal scores against torch ops in float64. Areas, |P n T|, |P u T| and containment
        are integers: IDENTICAL. The sums: ours accumulates in double and rounds once to float32;
        the reference is a float64 product. Each float64 sum of n = H*W terms is within
        n 2^-53 sum|terms| of the exact one (any order), so
        |ours - ref| <= u |ref| + 2 n 2^-53 sum|terms| (+ the same again for safety)."""
        p, h, w = masks.shape
        packed = pack_masks(masks)
        got = self.k.proposal_score(packed, h, w, maps, thresholds, points, radius)
        ref = proposal_reference(masks, maps, thresholds, points, radius)
        inside, boundary = got["inside"].double(), got["boundary"].double()
        if fault("proposals") and inside.numel():  # one pixel's value lost from the largest sum
            j = int(ref["inside"].abs().argmax())
            pix = maps.abs().flatten()
            pix = pix[pix > 0]
            inside.view(-1)[j] += float(pix.median()) if pix.numel() else 1.0
        nn = h * w
        res = {}
        for key, val, absval in (("inside", inside, ref["abs_inside"]), ("boundary", boundary, ref["abs_boundary"])):
            tol = U32 * ref[key].abs() + 4 * nn * U64 * absval
            err = (val - ref[key]).abs()
            res[key] = (bool((err <= tol).all()), float(err.max()) if err.numel() else 0.0,
                        float((err / tol.clamp(min=1e-300)).max()) if err.numel() else 0.0)
        exact = {key: bool((got[key].long() == ref[key].long()).all()) for key in ("inter", "uni", "area", "contains")}
        ok = all(v[0] for v in res.values()) and all(exact.values())
        max_err = max(res["inside"][1], res["boundary"][1])
        if ok:
            agreement = f"counts identical; sums err {max_err:.1e} ({max(res['inside'][2], res['boundary'][2]):.2f} tol)"
        else:
            bad = [k for k, v in exact.items() if not v] + [f"sum_{k} err {v[1]:.2e}" for k, v in res.items() if not v[0]]
            agreement = "differs: " + ", ".join(bad)
        row = {"kernel": "proposal_score", "shape": name, "ok": ok, "agreement": agreement,
               "sum_max_abs_err": max_err, "sum_err_over_tol": max(res["inside"][2], res["boundary"][2]),
               "exact": exact}
        if timed:
            out = {k2: v for k2, v in got.items()}

            def ref32(i):
                return proposal_reference(masks, maps, thresholds, points, radius, dtype=torch.float32)
            o, r = self.time_pair(lambda i: self.k.proposal_score(packed, h, w, maps, thresholds, points, radius, out=out),
                                  ref32, 1)
            row.update(ours_ms=o, ref_ms=r, ref_name="torch ops (float32 matmuls, max-pool boundary)")
        self.add(row, timed)

    # -- RoIAlign ---------------------------------------------------------------------------

    @staticmethod
    def forward_bound(x, rois, h, w, scale, count_max):
        """Bound on |float32 RoIAlign - exact| per output, for one implementation. A sample
        coordinate is computed with about 8 float32 roundings of numbers of magnitude <= Cmax
        (the largest coordinate, feature units): |dy|, |dx| <= 8 u Cmax. Bilinear
        interpolation changes by at most 2M per unit of y or x (M = max|input|), so position
        errors cost <= 2 * 2M * 8 u Cmax. The 4 weights (products of 1-l, l: 3 roundings), the
        4-term sum and the running sum over `count` samples then the division add
        <= (count + 8) u M. Two implementations (ours, torchvision) differ by up to twice this."""
        m = float(x.abs().max()) if x.numel() else 0.0
        cmax = roi_coord_max(rois, h, w, scale)
        return U32 * m * (32 * cmax + count_max + 8)

    def roi_forward(self, name, xs, rois, ph, pw, scale, sr, aligned, timed=True, targets=True):
        x = xs[0]
        n, c, h, w = x.shape
        out = self.k.roi_align_forward(x, rois, ph, pw, scale, sr, aligned)
        if fault("roi_align"):  # one bilinear tap's weight misplaced in one output: ~ M / (4 count)
            out = out.clone()
            out.view(-1)[out.numel() // 3] += 0.02 * float(x.abs().max())
        ref = torchvision.ops.roi_align(x, rois, (ph, pw), scale, sr, aligned)
        ref64 = torchvision.ops.roi_align(x.double(), rois.double(), (ph, pw), scale, sr, aligned)
        x1, y1, bw, bh, gh, gw = roi_geometry(rois, ph, pw, scale, sr, aligned)
        count_max = int((gh * gw).clamp(min=1).max()) if rois.shape[0] else 1
        b1 = self.forward_bound(x, rois, h, w, scale, count_max)
        err = float((out - ref).abs().max()) if out.numel() else 0.0
        err64 = float((out.double() - ref64).abs().max()) if out.numel() else 0.0
        tv64 = float((ref.double() - ref64).abs().max()) if out.numel() else 0.0
        exact = bool(torch.equal(out, ref))
        ok = err <= 2 * b1 and err64 <= b1 * (1 + 1e-6) + 1e-300 and bool(torch.isfinite(out).all())
        agreement = ("bit-exact" if exact else f"max err {err:.1e}") + f" (tol {2 * b1:.1e}); f64 {err64:.1e}"
        row = {"kernel": "roi_align fwd", "shape": name, "ok": ok, "agreement": agreement,
               "max_abs_err": err, "tol": 2 * b1, "max_abs_err_vs_f64": err64, "err_vs_f64_over_tol": err64 / b1,
               "torchvision_err_vs_f64": tv64, "bit_exact": exact, "roi_target": targets}
        if timed:
            # bytes moved, lower bound: every output written once + every input element that
            # some bilinear tap reads, read once (its footprint: all touched pixels x channels) +
            # the RoIs. Re-reads by overlapping RoIs or neighbouring samples are not counted.
            taps, _ = roi_tap_counts(rois, n, h, w, ph, pw, scale, sr, aligned)
            footprint = int((taps > 0).sum())
            nbytes = 4 * out.numel() + 4 * footprint * c + 4 * rois.numel()
            outs = [torch.empty_like(out) for _ in xs]
            o, r = self.time_pair(
                lambda i: self.k.roi_align_forward(xs[i % len(xs)], rois, ph, pw, scale, sr, aligned, out=outs[i % len(xs)]),
                lambda i: torchvision.ops.roi_align(xs[i % len(xs)], rois, (ph, pw), scale, sr, aligned), len(xs))
            row.update(ours_ms=o, ref_ms=r, ref_name="torchvision.ops.roi_align", bytes_moved=nbytes,
                       footprint_pixels=footprint)
        self.add(row, timed)

    def roi_backward(self, name, x, rois, ph, pw, scale, sr, aligned, grads, timed=True, targets=True):
        """Backward: ours (into zeros) against torchvision's backward through autograd. Each
        grad_input pixel is a sum of n_p terms g w / count (n_p: the taps landing there, counted
        from the sample geometry in float64). Summed in any order (atomics), a float32 sum is within
        (n_p - 1) u sum|terms| of the exact one; the weights' position errors (<= 8 u Cmax per
        axis, as in the forward) move each term by <= (G / count) 16 u Cmax (G = max|grad|).
        Per implementation: B_p = u ((n_p + 8) S_p + n_p (G / count_min) 16 Cmax) with
        S_p = sum|terms| (torchvision's backward of |grad| in float64); ours and torchvision
        differ by <= 2 B_p."""
        n, c, h, w = x.shape
        g = grads[0]
        grad_in = torch.zeros_like(x)
        self.k.roi_align_backward(g, rois, grad_in, scale, sr, aligned)
        taps, counts = roi_tap_counts(rois, n, h, w, ph, pw, scale, sr, aligned)
        if fault("roi_align_bwd"):  # a quarter-weight term lost at a typically loaded pixel
            grad_in = grad_in.clone()
            nz = taps.flatten().nonzero().flatten()
            med = nz[taps.flatten()[nz].argsort()[nz.numel() // 2]] if nz.numel() else 0
            grad_in.view(n, -1, h * w)[int(med) // (h * w), 0, int(med) % (h * w)] += \
                0.25 * float(g.abs().max()) / int(counts.max())
        xr = x.detach().clone().requires_grad_(True)
        torchvision.ops.roi_align(xr, rois, (ph, pw), scale, sr, aligned).backward(g)
        ref = xr.grad
        x64 = x.double().requires_grad_(True)
        torchvision.ops.roi_align(x64, rois.double(), (ph, pw), scale, sr, aligned).backward(g.double().abs())
        s_p = x64.grad  # sum of |terms| per pixel
        x64b = x.double().requires_grad_(True)
        torchvision.ops.roi_align(x64b, rois.double(), (ph, pw), scale, sr, aligned).backward(g.double())
        ref64 = x64b.grad
        cmax = roi_coord_max(rois, h, w, scale)
        gmax = float(g.abs().max()) if g.numel() else 0.0
        # float32 coordinates within an ulp of an integer put a tap (of weight <= 8 u Cmax) on the
        # neighbouring pixel that this float64 count misses: take counts and sums over each
        # pixel's 3x3 neighbourhood, and allow two such stray taps on every pixel.
        n_p = F.max_pool2d(taps.view(n, 1, h, w), 3, 1, 1)
        s_p = F.max_pool2d(s_p.reshape(n * c, 1, h, w), 3, 1, 1).view(n, c, h, w)
        b_p = U32 * ((n_p + 8) * s_p + (n_p + 2) * (gmax / int(counts.min() if counts.numel() else 1)) * 16 * cmax)
        diff = (grad_in.double() - ref.double()).abs()
        diff64 = (grad_in.double() - ref64).abs()
        ok = bool((diff <= 2 * b_p).all()) and bool((diff64 <= b_p * (1 + 1e-6)).all())
        err = float(diff.max())
        ratio = float((diff / (2 * b_p).clamp(min=1e-300)).max())
        agreement = f"max err {err:.1e} ({ratio:.2f} of tol, max tol {float((2 * b_p).max()):.1e})"
        row = {"kernel": "roi_align bwd", "shape": name, "ok": ok, "agreement": agreement,
               "max_abs_err": err, "err_over_tol": ratio, "max_abs_err_vs_f64": float(diff64.max()),
               "err_vs_f64_over_tol": float((diff64 / b_p.clamp(min=1e-300)).max()),
               "torchvision_err_vs_f64": float((ref.double() - ref64).abs().max()),
               "max_taps_per_pixel": int(taps.max()), "roi_target": targets}
        if timed:
            # bytes moved, lower bound for the plain gradient: grad_output read once + grad_input
            # written once (every element: it is zero where no tap lands) + the RoIs.
            nbytes = 4 * g.numel() + 4 * x.numel() + 4 * rois.numel()
            gins = [torch.empty_like(x) for _ in grads]

            def ours(i):
                gi = gins[i % len(grads)]
                gi.zero_()  # the ABI accumulates; torchvision's op returns a fresh zeroed tensor
                self.k.roi_align_backward(grads[i % len(grads)], rois, gi, scale, sr, aligned)

            def theirs(i):
                tv_roi_align_backward(grads[i % len(grads)], rois, scale, ph, pw, n, c, h, w, sr, aligned)
            o, r = self.time_pair(ours, theirs, len(grads))
            row.update(ours_ms=o, ref_ms=r, ref_name="torchvision _roi_align_backward (autograd's op)",
                       bytes_moved=nbytes)
        self.add(row, timed)

    def roi_multiscale(self, name, feats_sets, rois, image_hw, out_size=7, sr=2, timed=True):
        """MultiScaleRoIAlign (Mask R-CNN's box pooler): ours = our FPN level assignment + our
        RoIAlign per level; torchvision = ops.MultiScaleRoIAlign. RoIs whose levels differ must
        be ambiguous ones (checked in the fpn row); the rest are compared as in the forward."""
        names = [str(i) for i in range(len(feats_sets[0]))]
        pooler = poolers.MultiScaleRoIAlign(names, out_size, sr)
        boxes = rois[:, 1:].contiguous()
        feats = feats_sets[0]
        scales = [2.0 ** round(math.log2(f.shape[-1] / image_hw[1])) for f in feats]
        k_min = int(-math.log2(scales[0]))
        k_max = int(-math.log2(scales[-1]))
        c = feats[0].shape[1]
        lvl_buf = torch.empty(rois.shape[0], dtype=torch.int32, device=rois.device)

        def ours(fs):
            levels = self.k.fpn_levels(rois, k_min, k_max, out=lvl_buf)
            result = torch.zeros((rois.shape[0], c, out_size, out_size), device=rois.device)
            for lv, (f, s) in enumerate(zip(fs, scales)):
                idx = torch.where(levels == lv)[0]
                if idx.numel():
                    result[idx] = self.k.roi_align_forward(f, rois[idx].contiguous(), out_size, out_size, s, sr, False)
            return result, levels

        def theirs(fs):
            return pooler({nm: f for nm, f in zip(names, fs)}, [boxes], [image_hw])
        out, levels = ours(feats)
        if fault("roi_align"):
            out.view(-1)[out.numel() // 3] += 0.02 * max(float(f.abs().max()) for f in feats)
        ref = theirs(feats)
        lv_ref = level_mapper(k_min, k_max)([boxes])
        same_level = levels.long() == lv_ref
        stray = int((~same_level & ~near_level_boundary(boxes)).sum())  # must be 0, as in the fpn row
        b1 = max(self.forward_bound(f, rois, f.shape[-2], f.shape[-1], s, sr * sr) for f, s in zip(feats, scales))
        err = float((out - ref).abs()[same_level].max()) if bool(same_level.any()) else 0.0
        ok = err <= 2 * b1 and bool(torch.isfinite(out).all()) and stray == 0
        diff_levels = int((~same_level).sum())
        agreement = (f"max err {err:.1e} (tol {2 * b1:.1e})"
                     + (f"; {diff_levels} RoIs on other levels" if diff_levels else ""))
        hist = torch.bincount(lv_ref, minlength=len(feats)).tolist()
        row = {"kernel": "roi_align fpn", "shape": name, "ok": ok, "agreement": agreement,
               "max_abs_err": err, "tol": 2 * b1, "rois_per_level": hist, "level_mismatches": diff_levels,
               "roi_target": True}
        if timed:
            nbytes = 4 * out.numel() + 4 * rois.numel()
            for lv, (f, s) in enumerate(zip(feats, scales)):
                sel = lv_ref == lv
                if bool(sel.any()):
                    taps, _ = roi_tap_counts(rois[sel], 1, f.shape[-2], f.shape[-1], out_size, out_size, s, sr, False)
                    nbytes += 4 * int((taps > 0).sum()) * c
            o, r = self.time_pair(lambda i: ours(feats_sets[i % len(feats_sets)]),
                                  lambda i: theirs(feats_sets[i % len(feats_sets)]), len(feats_sets))
            row.update(ours_ms=o, ref_ms=r, ref_name="torchvision.ops.MultiScaleRoIAlign", bytes_moved=nbytes)
        self.add(row, timed)

    # -- FPN level assignment ---------------------------------------------------------------

    def fpn(self, name, rois, timed=True):
        """Levels against torchvision's LevelMapper (k 2..5, 224, 4, eps 1e-6). The level is
        floor(v), v = 4 + log2(sqrt(area) / 224) + 1e-6, both sides in float32: area (3
        roundings), sqrt, / 224, log2 (<= 2 ulp), two additions at magnitude <= 8: |dv| <= 32 u
        per side, so the two may differ only where the float64 v is within 64 u of an integer
        (inside the clamp range). All other RoIs: IDENTICAL. Boxes of side 56 * 2^j (v an
        integer + 1e-6: the case eps exists for) must land exactly on their level."""
        ours = self.k.fpn_levels(rois).long()
        boxes = rois[:, 1:].contiguous()
        ref = level_mapper(2, 5)([boxes])
        if fault("fpn"):
            ours = ours.clone()
            ours[0] = (ours[0] + 1) % 4
        near = near_level_boundary(boxes)
        mism = ours != ref
        bad = int((mism & ~near).sum())
        # the exact cases
        side = torch.tensor([56.0 * 2 ** j for j in range(5)], device=rois.device)
        exact_boxes = torch.stack([torch.zeros(5, device=rois.device), side * 0 + 10, side * 0 + 10, 10 + side, 10 + side], 1)
        expect = torch.tensor([0, 1, 2, 3, 3], device=rois.device)
        ours_exact = self.k.fpn_levels(exact_boxes.contiguous()).long()
        ref_exact = level_mapper(2, 5)([exact_boxes[:, 1:].contiguous()])
        exact_ok = bool((ours_exact == expect).all()) and bool((ref_exact == expect).all())
        ok = bad == 0 and exact_ok
        agreement = (f"identical {rois.shape[0]} levels" if int(mism.sum()) == 0 else
                     f"{int(mism.sum())} differ ({bad} not at a level boundary)") + \
            ("" if exact_ok else "; exact 56*2^j boxes wrong")
        row = {"kernel": "fpn_level", "shape": name, "ok": ok, "agreement": agreement,
               "mismatches": int(mism.sum()), "mismatches_not_ambiguous": bad, "ambiguous": int(near.sum()),
               "exact_cases_ok": exact_ok}
        if timed:
            buf = torch.empty(rois.shape[0], dtype=torch.int32, device=rois.device)
            mapper = level_mapper(2, 5)
            o, r = self.time_pair(lambda i: self.k.fpn_levels(rois, out=buf), lambda i: mapper([boxes]), 1)
            row.update(ours_ms=o, ref_ms=r, ref_name="torchvision LevelMapper")
        self.add(row, timed)

    # -- NMS --------------------------------------------------------------------------------

    def nms(self, name, boxes, scores, thr, groups=None, timed=True):
        """Keep lists against torchvision's nms / batched_nms. Expected: identical. Where they
        differ, each list must be a valid greedy NMS result with float64 IoUs (nms_validity), the
        differences lying only at decisions whose IoU is within eps of the threshold: eps = 16 u
        for an IoU computed in float32 from the true coordinates (4 side differences, 3
        products, union sum: each rounding relative <= u, the union has no cancellation since
        union >= each area), and for torchvision's batched_nms coordinate trick (boxes shifted
        by group x (max + 1), so coordinates round at the shifted magnitude Smax) also
        8 ulp(Smax) / (shortest side). Both lists are checked this way, not only compared."""
        ours = self.k.nms(boxes, scores, thr, groups)
        if fault("nms") and ours.numel():
            ours = ours[:-1]
        if groups is None:
            ref = torchvision.ops.nms(boxes, scores, thr)
            eps_ref = 16 * U32
        else:
            ref = torchvision.ops.batched_nms(boxes, scores, groups, thr)
            smax = (float(boxes.max()) + 1) * (int(groups.max()) + 1) + float(boxes.abs().max())
            ulp = 2.0 ** (math.floor(math.log2(max(smax, 1e-30))) - 23)
            side = float(torch.min(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).min())
            eps_ref = 16 * U32 + 8 * ulp / max(side, 1e-30)
        identical = ours.shape == ref.shape and bool((ours == ref).all())
        ok_ours, why_ours = nms_validity(ours, boxes, scores, groups, thr, 16 * U32)
        ok_ref, why_ref = nms_validity(ref, boxes, scores, groups, thr, eps_ref)
        ok = ok_ours and (identical or ok_ref)
        if identical:
            agreement = f"identical keep lists ({ours.numel()} kept)"
        else:
            agreement = (f"lists differ ({ours.numel()} vs {ref.numel()} kept); ours "
                         + ("valid" if ok_ours else f"INVALID {why_ours}") + ", torchvision "
                         + ("valid" if ok_ref else f"invalid {why_ref}"))
        row = {"kernel": "batched_nms" if groups is not None else "nms", "shape": name, "ok": ok,
               "agreement": agreement, "identical": identical, "kept": int(ours.numel()),
               "kept_torchvision": int(ref.numel()), "ours_validity": why_ours, "torchvision_validity": why_ref,
               "eps_torchvision": eps_ref}
        if timed:
            keep = torch.empty(boxes.shape[0], dtype=torch.int64, device=boxes.device)
            if groups is None:
                o, r = self.time_pair(lambda i: self.k.nms(boxes, scores, thr, keep=keep),
                                      lambda i: torchvision.ops.nms(boxes, scores, thr), 1)
                row["ref_name"] = "torchvision.ops.nms"
            else:
                o, r = self.time_pair(lambda i: self.k.nms(boxes, scores, thr, groups, keep=keep),
                                      lambda i: torchvision.ops.batched_nms(boxes, scores, groups, thr), 1)
                row["ref_name"] = "torchvision.ops.batched_nms"
            row.update(ours_ms=o, ref_ms=r)
        self.add(row, timed)


# ---------------------------------------------------------------------------------------------
# the plan: shapes per mode


def run_checks(h, args, device):
    quick = args.quick
    g = gen(device, args.seed)
    budget_left = lambda: h.clock.deadline - time.monotonic()  # noqa: E731

    def step(label, fn):
        if budget_left() < 5:
            raise TimeoutError(f"time budget exhausted before {label}")
        try:
            fn()
        except KernelError as e:
            h.add({"kernel": label, "shape": "-", "ok": False, "agreement": f"ERROR {e}"})
        except Exception as e:  # a harness error is a failure too, with its trace in the log
            traceback.print_exc()
            h.add({"kernel": label, "shape": "-", "ok": False, "agreement": f"ERROR {type(e).__name__}: {e}"})

    # ---- peaks
    def peaks():
        if quick:
            n, coarse, factor = 2, 7, 8
        else:
            n, coarse, factor = 16, 14, 8
        size = (coarse - 1) * factor + factor
        sets = max(2, h.sets_for(n * 20 * size * size * 4)) if not args.no_timing else 1
        smooth = [smooth_maps(g, n, 20, coarse, factor, device) for _ in range(sets)]
        noise = [uniform(g, (n, 20, size, size), -1, 1, device) for _ in range(sets)]
        h.peaks(f"{n}x20x{size}x{size} smooth, win 3", smooth)
        h.peaks(f"{n}x20x{size}x{size} noise, win 3", noise)
        if not quick:
            one = [smooth_maps(g, 1, 20, coarse, factor, device) for _ in range(sets)]
            h.peaks(f"1x20x{size}x{size} smooth, win 3", one)
        # edge cases (not timed): ties (few levels), a constant map, win 5, -inf pixels, given thresholds
        ties = (torch.randint(0, 3, (2, 4, 16, 16), generator=g).float()).to(device)
        h.peaks("2x4x16x16 ties (3 levels), win 3", [ties], timed=False)
        h.peaks("2x4x16x16 ties (3 levels), win 5", [ties], win=5, timed=False)
        h.peaks("1x1x6x5 constant, win 3", [torch.full((1, 1, 6, 5), 2.5, device=device)], timed=False)
        inf = torch.randint(0, 3, (2, 3, 8, 9), generator=g).float()
        inf[(inf == 0) | (torch.arange(inf.numel()).view(inf.shape) % 7 == 0)] = float("-inf")
        h.peaks("2x3x8x9 with -inf, win 3", [inf.to(device)], literal=False, timed=False)
        thr = uniform(g, (2, 5), -0.5, 0.5, device)
        h.peaks("2x5x37x41 given thresholds, win 5", [uniform(g, (2, 5, 37, 41), -1, 1, device)], win=5,
                thresholds=thr, timed=False)
    step("peaks", peaks)

    # ---- proposal scoring
    def proposals():
        if quick:
            p, k, hh, ww = 60, 5, 96, 130
        else:
            p, k, hh, ww = 500, 20, 375, 500
        masks = random_masks(g, p, hh, ww, device, blobs_only=True)
        maps = uniform(g, (k, hh, ww), 0, 1, device)
        thr = uniform(g, (k,), 0.2, 0.8, device)
        pts = torch.stack([torch.randint(-1, hh + 1, (k,), generator=g), torch.randint(-1, ww + 1, (k,), generator=g)],
                          1).int().to(device)
        h.proposals(f"{p} blob masks x {k} maps {hh}x{ww}, r 2", masks, maps, thr, pts, 2)
        for r, (hh2, ww2) in ((0, (7, 63)), (1, (11, 65)), (3, (13, 130))):
            m2 = random_masks(g, 7, hh2, ww2, device)
            mp2 = uniform(g, (3, hh2, ww2), -1, 2, device)
            t2 = uniform(g, (3,), -0.5, 1.5, device)
            p2 = torch.stack([torch.randint(-1, hh2 + 1, (3,), generator=g),
                              torch.randint(-1, ww2 + 1, (3,), generator=g)], 1).int().to(device)
            h.proposals(f"7 mixed masks x 3 maps {hh2}x{ww2}, r {r}", m2, mp2, t2, p2, r, timed=False)
    step("proposal_score", proposals)

    # ---- RoIAlign
    def roi_align():
        if quick:
            c, fh, fw, r, img = 32, 50, 68, 200, (200, 272)
        else:
            c, fh, fw, r, img = 256, 200, 272, 1000, (800, 1088)
        per_set = c * fh * fw * 4
        sets = h.sets_for(per_set) if not args.no_timing else 1
        xs = [uniform(g, (1, c, fh, fw), -1, 1, device) for _ in range(sets)]
        rois = bench_rois(g, r, img[0], img[1], device)
        base = f"{r} RoIs x {c} ch on {fh}x{fw}"
        h.roi_forward(f"{base}, 7x7 s2", xs, rois, 7, 7, 0.25, 2, False)
        h.roi_forward(f"{base}, 14x14 s2", xs, rois, 14, 14, 0.25, 2, False)
        grads = [uniform(g, (r, c, 7, 7), -1, 1, device) for _ in range(sets)]
        h.roi_backward(f"{base}, 7x7 s2", xs[0], rois, 7, 7, 0.25, 2, False, grads)
        # the box pooler over 4 FPN levels (strides 4..32)
        levels = [(img[0] // s, img[1] // s) for s in (4, 8, 16, 32)]
        per_set = sum(c * a * b * 4 for a, b in levels)
        sets_ms = h.sets_for(per_set) if not args.no_timing else 1
        feats = [[uniform(g, (1, c, a, b), -1, 1, device) for a, b in levels] for _ in range(sets_ms)]
        ms_rois = scale_spread_rois(g, r, img[0], img[1], device)
        h.roi_multiscale(f"{r} RoIs x {c} ch, 4 levels {levels[0][0]}x{levels[0][1]}.., 7x7 s2", feats, ms_rois, img)
        # variants (not timed): aligned, adaptive and other sampling ratios, odd RoIs, 2 images
        for aligned in (False, True):
            for sr in (0, 2, 3):
                x2 = uniform(g, (2, 13, 20, 24), -1, 1, device)
                r2 = odd_rois(g, 60, 2, 20 / 0.25, 24 / 0.25, device)
                nm = f"2x13x20x24, 60 odd RoIs, 7x7 s{sr}{' aligned' if aligned else ''}"
                h.roi_forward(nm, [x2], r2, 7, 7, 0.25, sr, aligned, timed=False, targets=False)
                h.roi_backward(nm, x2, r2, 7, 7, 0.25, sr, aligned, [uniform(g, (60, 13, 7, 7), -1, 1, device)],
                               timed=False, targets=False)
    step("roi_align", roi_align)

    # ---- FPN levels
    def fpn():
        r = 1000 if quick else 1000
        rois = scale_spread_rois(g, r, 800, 1088, device)
        tiny = torch.tensor([[0, 5, 5, 5, 9], [0, 1, 1, 2, 2]], dtype=torch.float32, device=device)  # zero area, 1 px
        h.fpn(f"{r} RoIs, sides 16..800 px, k 2..5", torch.cat([rois, tiny]).contiguous())
    step("fpn_level", fpn)

    # ---- NMS
    def nms():
        if quick:
            cases = [(500, 0.7, None), (1000, 0.5, 4)]
        else:
            cases = [(2000, 0.7, None), (1000, 0.5, None), (5000, 0.7, 4), (20000 // 4 + 1000, 0.5, 20)]
        for n, thr, groups in cases:
            boxes, scores = nms_boxes(g, n, 800, 1088, device)
            if groups is None:
                h.nms(f"{n} boxes, IoU {thr}", boxes, scores, thr)
            else:
                grp = torch.randint(0, groups, (n,), generator=g).to(device)
                h.nms(f"{n} boxes, {groups} groups, IoU {thr}", boxes, scores, thr, grp)
    step("nms", nms)


# ---------------------------------------------------------------------------------------------
# report


TARGETS_NOTE = ("targets (GPU only): RoIAlign >= 1.3x torchvision CUDA and >= 60 % of the copy roofline; "
                "peaks >= 5x PRM's op")


def finish_rows(rows, bw_gbps, cuda):
    for row in rows:
        o, r = row.get("ours_ms"), row.get("ref_ms")
        row["speedup"] = (r / o) if (o and r) else None
        if o and row.get("bytes_moved"):
            achieved = row["bytes_moved"] / (o * 1e-3) / 1e9
            row["achieved_GBps"] = achieved
            row["roofline_pct"] = 100.0 * achieved / bw_gbps
    targets = []
    for row in rows:
        if row.get("ours_ms") is None:
            continue
        if row["kernel"].startswith("roi_align") and row.get("roi_target"):
            targets.append({"target": "RoIAlign >= 1.3x torchvision", "row": f"{row['kernel']} {row['shape']}",
                            "value": row["speedup"], "need": 1.3, "met": cuda and row["speedup"] >= 1.3,
                            "applies": cuda})
            targets.append({"target": "RoIAlign >= 60 % of roofline", "row": f"{row['kernel']} {row['shape']}",
                            "value": row.get("roofline_pct"), "need": 60.0,
                            "met": cuda and (row.get("roofline_pct") or 0) >= 60.0, "applies": cuda})
        if row["kernel"] == "peaks":
            targets.append({"target": "peaks >= 5x PRM's op", "row": f"peaks {row['shape']}",
                            "value": row["speedup"], "need": 5.0, "met": cuda and row["speedup"] >= 5.0,
                            "applies": cuda})
    return targets


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


EDGE_CASES = {
    "peaks": "ties, constant map, -inf pixels, win 5, given thresholds",
    "proposal_score": "mixed masks (speckle, empty, full), r 0/1/3, points outside",
    "roi_align fwd": "odd RoIs (outside, empty, x2<x1), aligned, s 0/2/3, 2 images",
    "roi_align bwd": "odd RoIs (outside, empty, x2<x1), aligned, s 0/2/3, 2 images",
}


def table_rows(rows):
    """Timed rows one by one; edge cases folded into one row per kernel; failures always shown."""
    out = [r for r in rows if not r.get("edge") or not r["ok"]]
    kinds = []
    for r in rows:
        if r.get("edge") and r["kernel"] not in kinds:
            kinds.append(r["kernel"])
    for kind in kinds:
        edge = [r for r in rows if r.get("edge") and r["kernel"] == kind]
        good = [r for r in edge if r["ok"]]
        if not good:
            continue
        errs = [r.get("max_abs_err", r.get("sum_max_abs_err", r.get("aggregation_max_abs_err"))) for r in good]
        errs = [e for e in errs if e is not None]
        agreement = f"{len(good)} of {len(edge)} agree" + (f", max err {max(errs):.1e}" if errs else "")
        out.append({"kernel": kind, "shape": f"{len(edge)} edge cases: {EDGE_CASES.get(kind, '')}", "ok": True,
                    "agreement": agreement})
    return out


def table(rows, cuda):
    unit = "" if cuda else " (CPU)"
    head = ["kernel", "shape", "max error / agreement", f"ours ms{unit}", f"torchvision ms{unit}", "speed-up",
            "roofline %"]
    body = []
    for r in table_rows(rows):
        body.append([("" if r["ok"] else "FAIL ") + r["kernel"], r["shape"], r["agreement"],
                     fmt(r.get("ours_ms"), ".3f"), fmt(r.get("ref_ms"), ".3f"),
                     fmt(r.get("speedup"), ".2f", "-") + ("x" if r.get("speedup") else ""),
                     fmt(r.get("roofline_pct"), ".1f")])
    widths = [max(len(head[i]), *(len(b[i]) for b in body)) if body else len(head[i]) for i in range(len(head))]
    line = lambda cells: "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)) + " |"  # noqa: E731
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(b) for b in body]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", choices=["cuda", "cpu"], required=True)
    ap.add_argument("--lib", required=True, help="libwiseseg_cuda.so (cuda) or libwiseseg_cpu.so (cpu)")
    ap.add_argument("--out", default=os.environ.get("OUT") or None, help="folder for the table and JSON")
    ap.add_argument("--quick", action="store_true", help="small shapes (the CPU half in CI)")
    ap.add_argument("--no-timing", action="store_true", help="checks only")
    ap.add_argument("--self-test", action="store_true",
                    help="inject a fault into every kernel's output; succeed only if every check fails")
    ap.add_argument("--budget-s", type=float, default=420.0, help="stop starting new work after this")
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--threads", type=int, default=0, help="CPU library threads (0: all)")
    args = ap.parse_args()
    t0 = time.monotonic()
    if args.self_test:
        args.no_timing = True
        FAULTS.update({"peaks", "proposals", "roi_align", "roi_align_bwd", "fpn", "nms"})
    if args.out is None:
        import tempfile
        args.out = tempfile.mkdtemp(prefix="wiseseg-gpu-check-")
    os.makedirs(args.out, exist_ok=True)

    if args.device == "cuda":
        if not torch.cuda.is_available():
            print("compare.py: --device cuda but torch sees no GPU", file=sys.stderr)
            return 2
        device = torch.device("cuda", 0)
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = False  # the float64/float32 references stay exact
        torch.backends.cudnn.allow_tf32 = False
    else:
        device = torch.device("cpu")
    kernels = Kernels(os.path.abspath(args.lib), device)
    if args.device == "cpu":
        kernels.lib.ws_set_num_threads(args.threads)
    cuda = device.type == "cuda"
    clock = Clock(device, t0 + args.budget_s)
    info = {"mode": args.device, "quick": args.quick, "self_test": args.self_test,
            "torch": torch.__version__, "torchvision": torchvision.__version__, "python": platform.python_version(),
            "torch_threads": torch.get_num_threads(), "kernels": kernels.info(), "host": platform.node(),
            "cpu_count": os.cpu_count()}
    if cuda:
        prop = torch.cuda.get_device_properties(device)
        info.update(gpu=prop.name, sms=prop.multi_processor_count, gpu_memory_GiB=prop.total_memory / 2 ** 30,
                    l2_bytes=getattr(prop, "L2_cache_size", None), torch_cuda=torch.version.cuda)
    print(f"== wiseseg kernels vs torchvision ({'CUDA: ' + info.get('gpu', '') if cuda else 'CPU half'}"
          f"{', quick shapes' if args.quick else ''}{', SELF-TEST with injected faults' if args.self_test else ''})")
    print(f"   torch {torch.__version__}, torchvision {torchvision.__version__}; ours: {kernels.path} "
          f"({kernels.backend}, {json.dumps(kernels.info().get('device_name') or kernels.info()['cpu_isa'])}, "
          f"{kernels.info()['threads']} threads)", flush=True)

    bw = None
    if not args.no_timing:
        bw, nbytes, ms = copy_bandwidth(clock, device, args.quick)
        info["copy_bandwidth"] = {"GBps_read_plus_write": bw, "bytes": nbytes, "ms": ms,
                                  "how": "dst.copy_(src), median, (read + written bytes) / time"}
        print(f"   copy bandwidth ({'device-to-device, CUDA events' if cuda else 'CPU memory, perf_counter'}): "
              f"{bw:.0f} GB/s (read + write, {nbytes >> 20} MiB copy, {ms:.3f} ms)", flush=True)

    h = Harness(args, kernels, clock, device)
    incomplete = None
    try:
        run_checks(h, args, device)
    except TimeoutError as e:
        incomplete = str(e)
        print(f"compare.py: {e}", file=sys.stderr)
    rows = h.rows
    targets = finish_rows(rows, bw, cuda) if bw else []
    elapsed = time.monotonic() - t0
    failed = [r for r in rows if not r["ok"]]

    lines = [f"wiseseg kernels vs torchvision: {'CUDA, ' + info.get('gpu', '') if cuda else 'CPU half (times: CPU, perf_counter)'}"
             f"{', quick shapes' if args.quick else ''}; torch {torch.__version__}, torchvision {torchvision.__version__}"]
    if bw:
        lines.append(f"copy bandwidth (read + write) {bw:.0f} GB/s; roofline % = bytes moved (lower bound) / ours time / that")
    lines.append(table(rows, cuda))
    if targets:
        lines.append(TARGETS_NOTE + ("" if cuda else " -- not applicable on the CPU half"))
        for t in targets:
            val = fmt(t["value"], ".2f")
            state = ("MET" if t["met"] else "NOT MET") if t["applies"] else "n/a (CPU)"
            lines.append(f"  {t['target']:<30} {t['row']:<60} {val:>8} (need {t['need']:g}): {state}")
    if args.self_test:
        caught = len(failed)
        verdict = f"self-test: {caught} of {len(rows)} checks failed on injected faults"
        lines.append(verdict + ("; all caught" if caught == len(rows) else "; NOT all caught: " +
                                ", ".join(f"{r['kernel']} {r['shape']}" for r in rows if r["ok"])))
    else:
        lines.append(f"{len(rows) - len(failed)} of {len(rows)} checks agree"
                     + (f"; FAILED: {', '.join(r['kernel'] + ' ' + r['shape'] for r in failed)}" if failed else "")
                     + (f"; INCOMPLETE: {incomplete}" if incomplete else "") + f"; {elapsed:.1f} s")
    text = "\n".join(lines)
    print()
    print(text, flush=True)
    stem = "self-test" if args.self_test else ("compare-quick" if args.quick else "compare")
    with open(os.path.join(args.out, f"{stem}-{args.device}.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(args.out, f"{stem}-{args.device}.json"), "w") as f:
        json.dump({"info": info, "rows": rows, "targets": targets, "failed": len(failed),
                   "incomplete": incomplete, "elapsed_s": elapsed}, f, indent=1, default=str)
    print(f"(written: {os.path.join(args.out, stem + '-' + args.device)}.txt and .json)")
    if args.self_test:
        return 0 if (len(failed) == len(rows) and rows and not incomplete) else 1
    if incomplete:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
