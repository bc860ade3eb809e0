// The sampling plan of one RoI under torchvision's RoIAlign rules. Sample coordinates are
// separable (y depends on (ph, iy), x on (pw, ix)), so a plan keeps one list of taps per axis and
// the kernels form each sample's four bilinear weights as products, in float, as torchvision does.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace ws {

// One sample coordinate along one axis: its two neighbouring pixels and their weights.
struct AxisTap {
  int32_t low, high;
  float w_low, w_high;  // torchvision's (hy, ly) or (hx, lx)
  bool valid;           // false: the coordinate is beyond [-1, size], the sample contributes 0
};

struct RoiPlan {
  int64_t batch;
  int32_t grid_h, grid_w;  // samples per bin side; <= 0 means no samples
  float count;             // divisor of the forward mean, max(grid_h * grid_w, 1)
  std::vector<AxisTap> ys; // pooled_h * grid_h taps, index ph * grid_h + iy
  std::vector<AxisTap> xs; // pooled_w * grid_w taps, index pw * grid_w + ix
};

// torchvision's clamping of one coordinate (float arithmetic, same operation order).
inline AxisTap axis_tap(float v, int64_t size) {
  AxisTap t{0, 0, 0.f, 0.f, false};
  if (!(v >= -1.0 && v <= static_cast<double>(size))) return t;
  if (v <= 0) v = 0;
  int32_t low = static_cast<int32_t>(v), high;
  if (low >= size - 1) {
    high = low = static_cast<int32_t>(size - 1);
    v = static_cast<float>(low);
  } else {
    high = low + 1;
  }
  float l = v - static_cast<float>(low);
  t.low = low;
  t.high = high;
  t.w_low = static_cast<float>(1. - l);
  t.w_high = l;
  t.valid = true;
  return t;
}

inline std::vector<AxisTap> axis_taps(float start, float bin, int32_t pooled, int32_t grid,
                                      int64_t size) {
  std::vector<AxisTap> taps;
  if (grid <= 0) return taps;
  taps.reserve(static_cast<size_t>(pooled) * grid);
  for (int32_t p = 0; p < pooled; ++p)
    for (int32_t i = 0; i < grid; ++i) {
      const float v = start + static_cast<float>(p) * bin +
                      static_cast<float>(i + .5f) * bin / static_cast<float>(grid);
      taps.push_back(axis_tap(v, size));
    }
  return taps;
}

inline RoiPlan plan_roi(const float *roi, int64_t h, int64_t w, int32_t pooled_h,
                        int32_t pooled_w, float spatial_scale, int32_t sampling_ratio,
                        bool aligned) {
  RoiPlan plan;
  plan.batch = static_cast<int64_t>(roi[0]);
  const float offset = aligned ? 0.5f : 0.f;
  const float start_w = roi[1] * spatial_scale - offset;
  const float start_h = roi[2] * spatial_scale - offset;
  const float end_w = roi[3] * spatial_scale - offset;
  const float end_h = roi[4] * spatial_scale - offset;
  float roi_w = end_w - start_w, roi_h = end_h - start_h;
  if (!aligned) {  // legacy: malformed RoIs become 1 x 1
    roi_w = std::max(roi_w, 1.f);
    roi_h = std::max(roi_h, 1.f);
  }
  const float bin_h = roi_h / static_cast<float>(pooled_h);
  const float bin_w = roi_w / static_cast<float>(pooled_w);
  plan.grid_h = sampling_ratio > 0 ? sampling_ratio
                                   : static_cast<int32_t>(std::ceil(roi_h / pooled_h));
  plan.grid_w = sampling_ratio > 0 ? sampling_ratio
                                   : static_cast<int32_t>(std::ceil(roi_w / pooled_w));
  plan.count = static_cast<float>(std::max(plan.grid_h * plan.grid_w, 1));
  if (plan.grid_h > 0 && plan.grid_w > 0) {
    plan.ys = axis_taps(start_h, bin_h, pooled_h, plan.grid_h, h);
    plan.xs = axis_taps(start_w, bin_w, pooled_w, plan.grid_w, w);
  } else {
    plan.grid_h = plan.grid_w = 0;
  }
  return plan;
}

// The batch index as torchvision reads it (float truncated to int), checked against [0, n).
inline bool batch_in_range(const float *roi, int64_t n) {
  const float b = roi[0];
  return b > -1.f && b < static_cast<float>(n);
}

}  // namespace ws
