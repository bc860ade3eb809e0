// PRM peak stimulation (forward): local maxima by max-pool-with-indices semantics, filtered by a
// per-map threshold (default: torch.median's lower median).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "median.h"
#include "parallel.h"
#include "status.h"

namespace ws {
namespace {

struct MapPeaks {
  std::vector<int32_t> yx;  // y, x pairs in row-major order
  std::vector<float> values;
  float threshold = 0.f;
};

struct Scratch {
  std::vector<float> sorted, padded, row_max, above, below;
  std::vector<uint8_t> keep;
};

inline float max2(float a, float b) { return a > b ? a : b; }

// PRM pads the map with -inf (F.pad) before max_pool2d(return_indices=True), whose running max
// starts at -inf on the window's first position and moves only to strictly greater values. So
// (y, x) is its window's index iff every earlier window element (padding included) is < v and
// no later one is > v. With the window's row maxima (row_max) that is, per pixel:
// max(rows above, left part of its row) < v and max(right part of its row, rows below) <= v.
// A -inf pixel therefore is never a peak when win > 1 (the window's first element ties with it).
void find_map_peaks(const float *map, int64_t h, int64_t w, int64_t half, const float *threshold,
                    Scratch &s, MapPeaks &out) {
  out.yx.clear();
  out.values.clear();
  if (h * w == 0) {
    out.threshold = threshold ? *threshold : 0.f;
    return;
  }
  out.threshold = threshold ? *threshold : lower_median(map, h * w, s.sorted);
  const float limit = out.threshold, ninf = -std::numeric_limits<float>::infinity();
  const int64_t pw = w + 2 * half;  // a row padded with -inf on both sides
  s.padded.assign(static_cast<size_t>(h * pw), ninf);
  s.row_max.assign(static_cast<size_t>(h * w), ninf);
  for (int64_t y = 0; y < h; ++y) {
    float *pad = s.padded.data() + y * pw;
    std::copy(map + y * w, map + (y + 1) * w, pad + half);
    float *rm = s.row_max.data() + y * w;
    for (int64_t d = 0; d <= 2 * half; ++d)
      for (int64_t x = 0; x < w; ++x) rm[x] = max2(rm[x], pad[x + d]);
  }
  s.above.resize(static_cast<size_t>(w));
  s.below.resize(static_cast<size_t>(w));
  s.keep.resize(static_cast<size_t>(w));
  for (int64_t y = 0; y < h; ++y) {
    const float *pad = s.padded.data() + y * pw, *row = map + y * w;
    uint8_t *keep = s.keep.data();
    if (half == 1 && y > 0 && y + 1 < h) {  // the common 3 x 3 case, one fused pass
      const float *up = s.row_max.data() + (y - 1) * w, *down = up + 2 * w;
      for (int64_t x = 0; x < w; ++x) {
        const float v = row[x];
        keep[x] = (v >= limit) & (max2(up[x], pad[x]) < v) & (max2(pad[x + 2], down[x]) <= v);
      }
    } else {
      float *above = s.above.data(), *below = s.below.data();
      std::fill(above, above + w, ninf);
      std::fill(below, below + w, ninf);
      for (int64_t yy = std::max<int64_t>(0, y - half); yy < y; ++yy)
        for (int64_t x = 0; x < w; ++x) above[x] = max2(above[x], s.row_max[yy * w + x]);
      for (int64_t yy = y + 1; yy <= std::min(h - 1, y + half); ++yy)
        for (int64_t x = 0; x < w; ++x) below[x] = max2(below[x], s.row_max[yy * w + x]);
      for (int64_t d = 0; d < half; ++d)
        for (int64_t x = 0; x < w; ++x) {
          above[x] = max2(above[x], pad[x + d]);             // left of x
          below[x] = max2(below[x], pad[x + half + 1 + d]);  // right of x
        }
      for (int64_t x = 0; x < w; ++x) {
        const float v = row[x];
        // win = 1: the window is the pixel itself
        keep[x] = (v >= limit) & (((above[x] < v) & (below[x] <= v)) | (half == 0));
      }
    }
    for (int64_t x = 0; x < w; ++x) {
      if (!keep[x]) continue;
      out.yx.push_back(static_cast<int32_t>(y));
      out.yx.push_back(static_cast<int32_t>(x));
      out.values.push_back(row[x]);
    }
  }
}

}  // namespace
}  // namespace ws

extern "C" int32_t ws_peak_find(const float *maps, int64_t n, int64_t c, int64_t h, int64_t w,
                                int32_t win, const float *thresholds, int64_t capacity,
                                int32_t *peaks, float *values, int64_t *count,
                                float *aggregation, int32_t *peak_counts, float *medians,
                                void *) {
  return ws::guarded("ws_peak_find", [&] {
    using ws::require;
    require(n >= 0 && c >= 0 && h >= 0 && w >= 0, "negative map size");
    require(win >= 1 && win % 2 == 1, "win must be odd and >= 1");
    require(capacity >= 0, "negative capacity");
    require(count != nullptr, "count is null");
    const int64_t map_count = n * c, map_size = h * w;
    require(map_count * map_size == 0 || maps != nullptr, "maps is null");
    require(capacity == 0 || (peaks != nullptr && values != nullptr), "peaks/values are null");

    std::vector<ws::MapPeaks> found(static_cast<size_t>(map_count));
    // Tiny maps are not worth a thread each: group them so a chunk is >= ~64k pixels.
    const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(map_size, 1));
    std::vector<ws::Scratch> scratch_by_worker(ws::worker_count(map_count, grain));
    ws::parallel_for(map_count, grain, [&](int64_t begin, int64_t end, int worker) {
      for (int64_t m = begin; m < end; ++m)
        ws::find_map_peaks(maps + m * map_size, h, w, win / 2,
                           thresholds ? thresholds + m : nullptr, scratch_by_worker[worker],
                           found[m]);
    });

    int64_t total = 0;
    for (int64_t m = 0; m < map_count; ++m) {
      const ws::MapPeaks &mp = found[m];
      const int64_t found_here = static_cast<int64_t>(mp.values.size());
      double sum = 0.0;
      for (int64_t i = 0; i < found_here; ++i) {
        sum += mp.values[i];
        const int64_t slot = total + i;
        if (slot < capacity) {
          int32_t *out = peaks + slot * 4;
          out[0] = static_cast<int32_t>(m / c);
          out[1] = static_cast<int32_t>(m % c);
          out[2] = mp.yx[2 * i];
          out[3] = mp.yx[2 * i + 1];
          values[slot] = mp.values[i];
        }
      }
      total += found_here;
      if (aggregation) aggregation[m] = found_here ? static_cast<float>(sum / found_here) : 0.f;
      if (peak_counts) peak_counts[m] = static_cast<int32_t>(found_here);
      if (medians) medians[m] = mp.threshold;
    }
    *count = total;
  });
}
