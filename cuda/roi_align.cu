// RoIAlign forward/backward (torchvision semantics) and FPN level assignment on the GPU. The
// float arithmetic follows the CPU library step by step (built with --fmad=false), so the
// forward agrees with it bit for bit; the backward adds with atomicAdd, in any order.
#include <cmath>

#include "cuda_util.h"

namespace ws {
namespace {

struct RoiGeometry {
  int64_t batch;
  float start_h, start_w, bin_h, bin_w, count;
  int grid_h, grid_w;  // 0: no samples
};

__device__ RoiGeometry roi_geometry(const float *roi, int pooled_h, int pooled_w, float scale,
                                    int sampling_ratio, bool aligned) {
  RoiGeometry g;
  g.batch = static_cast<int64_t>(roi[0]);
  const float offset = aligned ? 0.5f : 0.f;
  g.start_w = roi[1] * scale - offset;
  g.start_h = roi[2] * scale - offset;
  float roi_w = (roi[3] * scale - offset) - g.start_w;
  float roi_h = (roi[4] * scale - offset) - g.start_h;
  if (!aligned) {
    roi_w = fmaxf(roi_w, 1.f);
    roi_h = fmaxf(roi_h, 1.f);
  }
  g.bin_h = roi_h / static_cast<float>(pooled_h);
  g.bin_w = roi_w / static_cast<float>(pooled_w);
  g.grid_h = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceilf(roi_h / pooled_h));
  g.grid_w = sampling_ratio > 0 ? sampling_ratio : static_cast<int>(ceilf(roi_w / pooled_w));
  g.count = static_cast<float>(max(g.grid_h * g.grid_w, 1));
  if (g.grid_h <= 0 || g.grid_w <= 0) g.grid_h = g.grid_w = 0;
  return g;
}

struct Tap {
  int low, high;
  float w_low, w_high;
  bool valid;
};

__device__ Tap axis_tap(float start, float bin, int p, int i, int grid, int64_t size) {
  float v = start + static_cast<float>(p) * bin +
            static_cast<float>(i + .5f) * bin / static_cast<float>(grid);
  Tap t{0, 0, 0.f, 0.f, false};
  if (!(v >= -1.0 && v <= static_cast<double>(size))) return t;
  if (v <= 0) v = 0;
  int low = static_cast<int>(v), high;
  if (low >= size - 1) {
    high = low = static_cast<int>(size - 1);
    v = static_cast<float>(low);
  } else {
    high = low + 1;
  }
  const float l = v - static_cast<float>(low);
  t.low = low;
  t.high = high;
  t.w_low = static_cast<float>(1. - l);
  t.w_high = l;
  t.valid = true;
  return t;
}

__global__ void check_batches(const float *rois, int64_t r, int64_t n, int *bad) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= r) return;
  const float b = rois[i * 5];
  if (!(b > -1.f && b < static_cast<float>(n))) atomicExch(bad, 1);
}

__global__ void forward_kernel(const float *input, int64_t c, int64_t h, int64_t w,
                               const float *rois, int64_t total, int pooled_h, int pooled_w,
                               float scale, int sampling_ratio, bool aligned, float *output) {
  const int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (index >= total) return;
  const int pw = static_cast<int>(index % pooled_w);
  const int ph = static_cast<int>((index / pooled_w) % pooled_h);
  const int64_t ch = (index / (int64_t{pooled_w} * pooled_h)) % c;
  const int64_t r = index / (int64_t{pooled_w} * pooled_h * c);
  const RoiGeometry g = roi_geometry(rois + r * 5, pooled_h, pooled_w, scale, sampling_ratio, aligned);
  const float *plane = input + (g.batch * c + ch) * h * w;
  float acc = 0.f;
  for (int iy = 0; iy < g.grid_h; ++iy) {
    const Tap ty = axis_tap(g.start_h, g.bin_h, ph, iy, g.grid_h, h);
    for (int ix = 0; ix < g.grid_w; ++ix) {
      const Tap tx = axis_tap(g.start_w, g.bin_w, pw, ix, g.grid_w, w);
      if (!ty.valid || !tx.valid) continue;
      const float w1 = ty.w_low * tx.w_low, w2 = ty.w_low * tx.w_high;
      const float w3 = ty.w_high * tx.w_low, w4 = ty.w_high * tx.w_high;
      const float *lo = plane + int64_t{ty.low} * w, *hi = plane + int64_t{ty.high} * w;
      acc += w1 * lo[tx.low] + w2 * lo[tx.high] + w3 * hi[tx.low] + w4 * hi[tx.high];
    }
  }
  output[index] = acc / g.count;
}

__global__ void backward_kernel(const float *grad_output, int64_t c, int64_t h, int64_t w,
                                const float *rois, int64_t total, int pooled_h, int pooled_w,
                                float scale, int sampling_ratio, bool aligned,
                                float *grad_input) {
  const int64_t index = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (index >= total) return;
  const int pw = static_cast<int>(index % pooled_w);
  const int ph = static_cast<int>((index / pooled_w) % pooled_h);
  const int64_t ch = (index / (int64_t{pooled_w} * pooled_h)) % c;
  const int64_t r = index / (int64_t{pooled_w} * pooled_h * c);
  const RoiGeometry g = roi_geometry(rois + r * 5, pooled_h, pooled_w, scale, sampling_ratio, aligned);
  float *plane = grad_input + (g.batch * c + ch) * h * w;
  const float grad = grad_output[index];
  const float count = static_cast<float>(g.grid_h * g.grid_w);
  for (int iy = 0; iy < g.grid_h; ++iy) {
    const Tap ty = axis_tap(g.start_h, g.bin_h, ph, iy, g.grid_h, h);
    if (!ty.valid) continue;
    float *lo = plane + int64_t{ty.low} * w, *hi = plane + int64_t{ty.high} * w;
    for (int ix = 0; ix < g.grid_w; ++ix) {
      const Tap tx = axis_tap(g.start_w, g.bin_w, pw, ix, g.grid_w, w);
      if (!tx.valid) continue;
      atomicAdd(lo + tx.low, grad * (ty.w_low * tx.w_low) / count);
      atomicAdd(lo + tx.high, grad * (ty.w_low * tx.w_high) / count);
      atomicAdd(hi + tx.low, grad * (ty.w_high * tx.w_low) / count);
      atomicAdd(hi + tx.high, grad * (ty.w_high * tx.w_high) / count);
    }
  }
}

__global__ void level_kernel(const float *rois, int64_t r, int k_min, int k_max, float scale,
                             int level0, float eps, int32_t *levels) {
  const int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
  if (i >= r) return;
  const float *roi = rois + i * 5;
  const float area = (roi[3] - roi[1]) * (roi[4] - roi[2]);
  const float ratio = sqrtf(area) / scale;
  const float lg = static_cast<float>(log2(static_cast<double>(ratio)));
  float level = floorf(static_cast<float>(level0) + lg + eps);
  if (!(level >= static_cast<float>(k_min))) level = static_cast<float>(k_min);
  if (level > static_cast<float>(k_max)) level = static_cast<float>(k_max);
  levels[i] = static_cast<int32_t>(level) - k_min;
}

// Rejects batch indices outside [0, n) (reads one flag back: a stream synchronisation).
void require_batches(const float *rois, int64_t r, int64_t n, cudaStream_t stream) {
  if (r == 0) return;
  DeviceBuffer<int> bad(1, stream);
  cuda_check(cudaMemsetAsync(bad.get(), 0, sizeof(int), stream), "memset");
  check_batches<<<blocks_for(r, 256), 256, 0, stream>>>(rois, r, n, bad.get());
  launch_check("check_batches");
  int host_bad = 0;
  cuda_check(cudaMemcpyAsync(&host_bad, bad.get(), sizeof(int), cudaMemcpyDeviceToHost, stream),
             "copy flag");
  cuda_check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  require(!host_bad, "a RoI's batch_index is outside [0, N)");
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_roi_align_forward(const float *input, int64_t n, int64_t c, int64_t h,
                                        int64_t w, const float *rois, int64_t r,
                                        int32_t pooled_h, int32_t pooled_w,
                                        float spatial_scale, int32_t sampling_ratio,
                                        int32_t aligned, float *output, void *stream_ptr) {
  return ws::guarded("ws_roi_align_forward", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0 && r >= 0, "negative size");
    require(pooled_h > 0 && pooled_w > 0, "pooled size must be positive");
    require(r == 0 || rois != nullptr, "rois is null");
    const int64_t total = r * c * pooled_h * pooled_w;
    require(total == 0 || output != nullptr, "output is null");
    cudaStream_t stream = ws::as_stream(stream_ptr);
    ws::require_batches(rois, r, n, stream);
    if (total == 0) return;
    require(h > 0 && w > 0 && input != nullptr, "input is empty or null");
    ws::forward_kernel<<<ws::blocks_for(total, 256), 256, 0, stream>>>(
        input, c, h, w, rois, total, pooled_h, pooled_w, spatial_scale, sampling_ratio,
        aligned != 0, output);
    ws::launch_check("roi_align forward");
  });
}

extern "C" int32_t ws_roi_align_backward(const float *grad_output, const float *rois, int64_t r,
                                         int64_t n, int64_t c, int64_t h, int64_t w,
                                         int32_t pooled_h, int32_t pooled_w,
                                         float spatial_scale, int32_t sampling_ratio,
                                         int32_t aligned, float *grad_input, void *stream_ptr) {
  return ws::guarded("ws_roi_align_backward", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0 && r >= 0, "negative size");
    require(pooled_h > 0 && pooled_w > 0, "pooled size must be positive");
    require(r == 0 || rois != nullptr, "rois is null");
    cudaStream_t stream = ws::as_stream(stream_ptr);
    ws::require_batches(rois, r, n, stream);
    const int64_t total = r * c * pooled_h * pooled_w;
    if (total == 0) return;
    require(grad_output != nullptr, "grad_output is null");
    require(h > 0 && w > 0 && grad_input != nullptr, "grad_input is empty or null");
    ws::backward_kernel<<<ws::blocks_for(total, 256), 256, 0, stream>>>(
        grad_output, c, h, w, rois, total, pooled_h, pooled_w, spatial_scale, sampling_ratio,
        aligned != 0, grad_input);
    ws::launch_check("roi_align backward");
  });
}

extern "C" int32_t ws_fpn_level_assign(const float *rois, int64_t r, int32_t k_min,
                                       int32_t k_max, float canonical_scale,
                                       int32_t canonical_level, float eps, int32_t *levels,
                                       void *stream_ptr) {
  return ws::guarded("ws_fpn_level_assign", [&] {
    ws::require(r >= 0, "negative RoI count");
    ws::require(k_min <= k_max, "k_min > k_max");
    ws::require(r == 0 || (rois != nullptr && levels != nullptr), "rois/levels are null");
    if (r == 0) return;
    ws::level_kernel<<<ws::blocks_for(r, 256), 256, 0, ws::as_stream(stream_ptr)>>>(
        rois, r, k_min, k_max, canonical_scale, canonical_level, eps, levels);
    ws::launch_check("fpn_level_assign");
  });
}
