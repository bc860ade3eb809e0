/*
 * wiseseg native kernels: the one C ABI shared by the CPU library (libwiseseg_cpu.so, sources in
 * src/main/native/) and the CUDA library (libwiseseg_cuda.so, sources in cuda/).
 *
 * Conventions (every function):
 *  - plain C types only; tensors are dense, C-contiguous (row-major) float32 / int32 / int64 /
 *    uint64 buffers whose shapes are passed explicitly;
 *  - in the CUDA library every array argument is a DEVICE pointer, except the ones documented as
 *    "host"; `stream` is a cudaStream_t (NULL = default stream). The CPU library ignores `stream`;
 *  - the return value is a status: WS_OK (0) or an error code; ws_last_error() then returns a
 *    message for the calling thread. No C++ exception ever crosses this boundary.
 *  - arguments are validated in Java before the call; the kernels still check what is cheap
 *    (sizes >= 0, non-null pointers) and return WS_ERR_ARGUMENT rather than crash.
 */
#ifndef WISESEG_KERNELS_H
#define WISESEG_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WS_OK 0
#define WS_ERR_ARGUMENT 1  /* a bad argument: message names it                 */
#define WS_ERR_CUDA 2      /* a CUDA runtime error: message carries cudaGetErrorString */
#define WS_ERR_INTERNAL 3  /* anything else (allocation failure, ...)            */

#define WS_ABI_VERSION 3

/* Exported from the shared libraries, which build with hidden visibility by default. */
#if defined(__GNUC__)
#define WS_API __attribute__((visibility("default")))
#else
#define WS_API
#endif

/* ---- library ------------------------------------------------------------------------------ */

/* ABI version of this library; Java refuses a library whose version differs. */
WS_API int32_t ws_abi_version(void);

/* Message of the last failed call on this thread ("" if none). Valid until the next call. */
WS_API const char *ws_last_error(void);

/* "cpu" or "cuda". */
WS_API const char *ws_backend_name(void);

/* CPU: the code path of the multiversioned kernels in this process, "avx2" or "default": the
 * CPU's best, capped by the environment variable WISESEG_MAX_CPU_ISA=default|avx2 (read once).
 * CUDA: "none". */
WS_API const char *ws_cpu_isa(void);

/* CPU: number of worker threads the kernels use (<= 0: all hardware threads). CUDA: set is a
 * no-op and get returns 1. */
WS_API int32_t ws_set_num_threads(int32_t n);
WS_API int32_t ws_get_num_threads(void);

/* CUDA: number of visible devices (host out). CPU: always 0. A CUDA library on a machine
 * without driver/GPU returns WS_ERR_CUDA with the runtime's message. */
WS_API int32_t ws_device_count(int32_t *count);

/* CUDA: name of device `device` into `buf` (host, `len` bytes, NUL-terminated). */
WS_API int32_t ws_device_name(int32_t device, char *buf, int32_t len);

/* CUDA: select the current device for this thread. CPU: accepts 0 only. */
WS_API int32_t ws_set_device(int32_t device);

/* CUDA: wait for `stream`. CPU: no-op. */
WS_API int32_t ws_synchronize(void *stream);

/* ---- profiler ranges ------------------------------------------------------------------------
 * A named range on the calling thread's stack of nested ranges, for a profiler's timeline (Java
 * pushes one per io.wiseseg.util.Trace span). CUDA: NVTX v3's nvtxRangePushA / nvtxRangePop, so
 * Nsight Systems shows the range by name; NVTX makes both no-ops when no profiler is attached, and
 * neither needs a GPU. CPU: no-ops.
 * name: a NUL-terminated string (host) that needs to live only for the call (NVTX copies it);
 *   NULL is WS_ERR_ARGUMENT and pushes nothing.
 * Pop on the thread that pushed, innermost range first. ws_range_pop always returns WS_OK: a pop
 * without a push is the profiler's to ignore. */
WS_API int32_t ws_range_push(const char *name);
WS_API int32_t ws_range_pop(void);

/* ---- 1. peak finding (PRM peak stimulation, forward) ------------------------------------------
 * maps: N x C x H x W float32.
 * A pixel is a peak when it is the FIRST maximum, in row-major order, of its win x win window
 * (win odd; the window is centred on the pixel and padded with -inf outside the map), exactly as
 * PRM's max_pool2d(return_indices=True) over the -inf-padded map picks its index (the running max
 * starts at -inf with the window's first position, padding included, and is replaced only by a
 * strictly greater value), AND its value is >= the map's threshold. So a -inf pixel is never a
 * peak when win > 1.
 * thresholds: N*C floats (one per map), or NULL for PRM's default: the map's median as
 *   torch.median computes it (the lower of the two middle values when H*W is even).
 * Output, in PRM's order (torch.nonzero of the N x C x H x W peak map: n, then c, then y, then x):
 *   peaks: capacity x 4 int32 (n, c, y, x); values: capacity float32 (the map's value there).
 *   count (HOST): the total number of peaks found, which may exceed capacity: then only the first
 *     `capacity` are written and the caller retries with a larger buffer.
 *   aggregation: N*C float32, the mean of the map's peak values (PRM's aggregation); 0 for a map
 *     without peaks (PRM would divide 0 by 0). May be NULL.
 *   peak_counts: N*C int32, peaks per map. May be NULL.
 *   medians: N*C float32, the threshold used per map (the median, or the given threshold). May be
 *     NULL.
 * Maps without pixels (h or w = 0) have no peaks; their threshold is the given one, else 0.
 * Maps that contain NaN are outside the contract (Java rejects them). */
WS_API int32_t ws_peak_find(const float *maps, int64_t n, int64_t c, int64_t h, int64_t w, int32_t win,
                     const float *thresholds, int64_t capacity, int32_t *peaks, float *values,
                     int64_t *count, float *aggregation, int32_t *peak_counts, float *medians,
                     void *stream);

/* ---- 2. proposal-to-peak scoring ------------------------------------------------------------
 * Masks are bit-packed, row-major, each row padded to whole 64-bit words:
 *   words_per_row = (w + 63) / 64; bit x of row y is bit (x % 64) of word
 *   masks[p * h * words_per_row + y * words_per_row + x / 64]; padding bits must be 0.
 * masks: P masks, h x w each. maps: K float32 maps h x w (peak response maps, or class maps).
 * thresholds: K floats: T(R_k) = { pixels with R_k >= thresholds[k] }.
 * points: K x 2 int32 (y, x) peak positions, in pixels of the h x w grid; may be NULL when
 *   `contains` is NULL. Points outside the grid are contained by no proposal.
 * boundary_radius r >= 0: P's boundary is the set of pixels whose (2r+1) x (2r+1) window, clipped
 *   to the image, holds both a pixel of P and a pixel outside P: OpenCV's morphological gradient
 *   (dilate - erode) with a (2r+1)^2 square kernel and the default border (PRM's contour: r = 2).
 * Outputs (K x P, row k = map k; each may be NULL when not needed):
 *   sum_inside[k,p]   = sum of R_k over P_p                (float32, accumulated in double)
 *   inter[k,p]        = |P_p  ∩ T(R_k)|                      (int64)
 *   uni[k,p]          = |P_p  ∪ T(R_k)|                      (int64)
 *   sum_boundary[k,p] = sum of R_k over the boundary of P_p  (float32, accumulated in double)
 *   contains[k,p]     = 1 when P_p contains point k, else 0 (uint8)
 *   area[p]           = |P_p|                               (int64, P entries)
 * K = 0 or P = 0 is valid and writes nothing (but area when P > 0). */
WS_API int32_t ws_proposal_score(const uint64_t *masks, int64_t p, int64_t h, int64_t w,
                          const float *maps, int64_t k, const float *thresholds,
                          const int32_t *points, int32_t boundary_radius, float *sum_inside,
                          int64_t *inter, int64_t *uni, float *sum_boundary, uint8_t *contains,
                          int64_t *area, void *stream);

/* ---- 3. RoIAlign (torchvision semantics) -----------------------------------------------------
 * input: N x C x H x W float32. rois: R x 5 float32 (batch_index, x1, y1, x2, y2) in input-image
 * coordinates; spatial_scale maps them onto this feature map. sampling_ratio > 0: that many
 * samples per bin side; <= 0: adaptive, ceil(roi_size / pooled_size). aligned != 0: subtract 0.5
 * (pixel-centre model); aligned == 0: legacy, RoI sizes forced >= 1.
 * output: R x C x pooled_h x pooled_w float32 (fully written).
 * A batch_index outside [0, N) is a WS_ERR_ARGUMENT (the CUDA library checks it on the device
 * and reads the verdict back, which synchronises `stream`; forward and backward alike). */
WS_API int32_t ws_roi_align_forward(const float *input, int64_t n, int64_t c, int64_t h, int64_t w,
                             const float *rois, int64_t r, int32_t pooled_h, int32_t pooled_w,
                             float spatial_scale, int32_t sampling_ratio, int32_t aligned,
                             float *output, void *stream);

/* grad_output: R x C x pooled_h x pooled_w. grad_input: N x C x H x W, ACCUMULATED into (the
 * caller zeroes it first if it wants the plain gradient). Same RoI semantics as the forward. */
WS_API int32_t ws_roi_align_backward(const float *grad_output, const float *rois, int64_t r,
                              int64_t n, int64_t c, int64_t h, int64_t w, int32_t pooled_h,
                              int32_t pooled_w, float spatial_scale, int32_t sampling_ratio,
                              int32_t aligned, float *grad_input, void *stream);

/* FPN level of each RoI, as torchvision's MultiScaleRoIAlign (LevelMapper):
 *   level = floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps), clamped to
 *   [k_min, k_max], area = (x2 - x1) * (y2 - y1); written as level - k_min (0-based index).
 * torchvision: canonical_scale 224, canonical_level 4, eps 1e-6.
 * rois: R x 5 as above; levels: R int32. (CPU and CUDA alike: pointers follow the library's
 * convention.) */
WS_API int32_t ws_fpn_level_assign(const float *rois, int64_t r, int32_t k_min, int32_t k_max,
                            float canonical_scale, int32_t canonical_level, float eps,
                            int32_t *levels, void *stream);

/* ---- 4. non-maximum suppression (torchvision semantics) --------------------------------------
 * boxes: n x 4 float32 (x1, y1, x2, y2); scores: n float32. Boxes are visited in order of
 * descending score (a stable sort: equal scores keep their input order); a box is dropped when
 * its IoU with an already kept box is > iou_threshold. IoU = inter / (area_a + area_b - inter),
 * area = (x2 - x1) * (y2 - y1), no "+1" (torchvision's formula, in float32).
 * keep: n int64 (room for all); the first *num_kept entries are the kept indices, by descending
 * score. num_kept: one int64 in HOST memory in both libraries (the CUDA library synchronises
 * `stream` to write it); boxes, scores, keep follow the library's pointer convention.
 * n = 0 is valid and writes *num_kept = 0. */
WS_API int32_t ws_nms(const float *boxes, const float *scores, int64_t n, float iou_threshold,
               int64_t *keep, int64_t *num_kept, void *stream);

/* Batched NMS: as ws_nms, but boxes suppress each other only when their groups (n int64, e.g.
 * class labels) are equal. The same result as torchvision's batched_nms, whose offset trick
 * (adding group x (max coordinate + 1) to the boxes) only serves to keep groups apart; we
 * compare groups instead, so IoUs are computed on the true coordinates, as torchvision's CPU
 * path for more than 1000 boxes (one nms per group) does. */
WS_API int32_t ws_batched_nms(const float *boxes, const float *scores, const int64_t *groups,
                       int64_t n, float iou_threshold, int64_t *keep, int64_t *num_kept,
                       void *stream);

#ifdef __cplusplus
}
#endif

#endif /* WISESEG_KERNELS_H */
