// Non-maximum suppression, torchvision's CPU algorithm: stable sort by score, greedy scan.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "status.h"

namespace ws {
namespace {

// groups == nullptr: every box is in the same group.
void nms(const float *boxes, const float *scores, const int64_t *groups, int64_t n,
         float iou_threshold, int64_t *keep, int64_t *num_kept) {
  require(n >= 0, "negative box count");
  require(num_kept != nullptr, "num_kept is null");
  require(n == 0 || (boxes != nullptr && scores != nullptr && keep != nullptr),
          "boxes/scores/keep are null");
  *num_kept = 0;
  if (n == 0) return;
  for (int64_t i = 0; i < n; ++i)
    require(!std::isnan(scores[i]), "scores contain NaN");
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<float> area(n);
  for (int64_t i = 0; i < n; ++i) {
    const float *b = boxes + 4 * i;
    area[i] = (b[2] - b[0]) * (b[3] - b[1]);
  }
  std::vector<char> suppressed(n, 0);
  int64_t count = 0;
  for (int64_t oi = 0; oi < n; ++oi) {
    const int64_t i = order[oi];
    if (suppressed[i]) continue;
    keep[count++] = i;
    const float *a = boxes + 4 * i;
    for (int64_t oj = oi + 1; oj < n; ++oj) {
      const int64_t j = order[oj];
      if (suppressed[j] || (groups != nullptr && groups[j] != groups[i])) continue;
      const float *b = boxes + 4 * j;
      const float w = std::max(0.0f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
      const float h = std::max(0.0f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
      const float inter = w * h;
      const float iou = inter / (area[i] + area[j] - inter);
      if (iou > iou_threshold) suppressed[j] = 1;
    }
  }
  *num_kept = count;
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_nms(const float *boxes, const float *scores, int64_t n, float iou_threshold,
                          int64_t *keep, int64_t *num_kept, void *) {
  return ws::guarded("ws_nms", [&] {
    ws::nms(boxes, scores, nullptr, n, iou_threshold, keep, num_kept);
  });
}

extern "C" int32_t ws_batched_nms(const float *boxes, const float *scores, const int64_t *groups,
                                  int64_t n, float iou_threshold, int64_t *keep,
                                  int64_t *num_kept, void *) {
  return ws::guarded("ws_batched_nms", [&] {
    ws::require(n == 0 || groups != nullptr, "groups is null");
    ws::nms(boxes, scores, groups, n, iou_threshold, keep, num_kept);
  });
}
