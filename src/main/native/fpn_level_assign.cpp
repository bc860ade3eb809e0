// FPN level per RoI, as torchvision's LevelMapper.
#include <cmath>

#include "status.h"

extern "C" int32_t ws_fpn_level_assign(const float *rois, int64_t r, int32_t k_min,
                                       int32_t k_max, float canonical_scale,
                                       int32_t canonical_level, float eps, int32_t *levels,
                                       void *) {
  return ws::guarded("ws_fpn_level_assign", [&] {
    ws::require(r >= 0, "negative RoI count");
    ws::require(k_min <= k_max, "k_min > k_max");
    ws::require(r == 0 || (rois != nullptr && levels != nullptr), "rois/levels are null");
    for (int64_t i = 0; i < r; ++i) {
      const float *roi = rois + i * 5;
      const float area = (roi[3] - roi[1]) * (roi[4] - roi[2]);
      const float ratio = std::sqrt(area) / canonical_scale;
      // log2 in double, rounded to float: the float log2 correctly rounded, on CPU and GPU alike
      const float lg = static_cast<float>(std::log2(static_cast<double>(ratio)));
      float level = std::floor(static_cast<float>(canonical_level) + lg + eps);
      if (!(level >= static_cast<float>(k_min))) level = static_cast<float>(k_min);  // also NaN
      if (level > static_cast<float>(k_max)) level = static_cast<float>(k_max);
      levels[i] = static_cast<int32_t>(level) - k_min;
    }
  });
}
