// RoIAlign backward (torchvision semantics): every sample's four bilinear weights x grad / count
// are added into grad_input. Parallel over (image, channel) planes, so no two threads ever write
// the same element; within a plane the additions follow torchvision's order (RoI, bin, sample).
#include <algorithm>
#include <vector>

#include "parallel.h"
#include "roi_align_plan.h"
#include "status.h"

extern "C" int32_t ws_roi_align_backward(const float *grad_output, const float *rois, int64_t r,
                                         int64_t n, int64_t c, int64_t h, int64_t w,
                                         int32_t pooled_h, int32_t pooled_w,
                                         float spatial_scale, int32_t sampling_ratio,
                                         int32_t aligned, float *grad_input, void *) {
  return ws::guarded("ws_roi_align_backward", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0 && r >= 0, "negative size");
    require(pooled_h > 0 && pooled_w > 0, "pooled size must be positive");
    require(r == 0 || rois != nullptr, "rois is null");
    for (int64_t i = 0; i < r; ++i)
      require(ws::batch_in_range(rois + i * 5, n), "a RoI's batch_index is outside [0, N)");
    const int64_t bins = int64_t{pooled_h} * pooled_w;
    if (r * c * bins == 0) return;
    require(grad_output != nullptr, "grad_output is null");
    require(h > 0 && w > 0 && grad_input != nullptr, "grad_input is empty or null");

    std::vector<ws::RoiPlan> plans(static_cast<size_t>(r));
    std::vector<std::vector<int64_t>> rois_of_image(static_cast<size_t>(n));
    int64_t samples = 0;
    for (int64_t i = 0; i < r; ++i) {
      plans[i] = ws::plan_roi(rois + i * 5, h, w, pooled_h, pooled_w, spatial_scale,
                              sampling_ratio, aligned != 0);
      rois_of_image[plans[i].batch].push_back(i);
      samples += int64_t{plans[i].grid_h} * plans[i].grid_w * bins;
    }
    const int64_t planes = n * c;
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(samples / n + 1, 1));
    ws::parallel_for(planes, grain, [&](int64_t begin, int64_t end, int) {
      for (int64_t plane = begin; plane < end; ++plane) {
        const int64_t b = plane / c, ch = plane % c;
        float *gin = grad_input + plane * h * w;
        for (int64_t roi : rois_of_image[b]) {
          const ws::RoiPlan &plan = plans[roi];
          const float count = static_cast<float>(plan.grid_h * plan.grid_w);
          const float *gout = grad_output + (roi * c + ch) * bins;
          for (int32_t ph = 0; ph < pooled_h; ++ph)
            for (int32_t pw = 0; pw < pooled_w; ++pw) {
              const float grad = gout[ph * pooled_w + pw];
              for (int32_t iy = 0; iy < plan.grid_h; ++iy) {
                const ws::AxisTap &ty = plan.ys[ph * plan.grid_h + iy];
                if (!ty.valid) continue;
                float *lo = gin + int64_t{ty.low} * w, *hi = gin + int64_t{ty.high} * w;
                for (int32_t ix = 0; ix < plan.grid_w; ++ix) {
                  const ws::AxisTap &tx = plan.xs[pw * plan.grid_w + ix];
                  if (!tx.valid) continue;
                  lo[tx.low] += grad * (ty.w_low * tx.w_low) / count;
                  lo[tx.high] += grad * (ty.w_low * tx.w_high) / count;
                  hi[tx.low] += grad * (ty.w_high * tx.w_low) / count;
                  hi[tx.high] += grad * (ty.w_high * tx.w_high) / count;
                }
              }
            }
        }
      }
    });
  });
}
